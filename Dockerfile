# wincompat: `docker build -t wincompat .` then `docker run -p 8080:8080 wincompat`.
# Two stages: the build stage turns the project into a wheel and installs it, with its
# dependencies, into /opt/venv; the runtime stage gets that venv and nothing else.
# Both stages use the same base image so the venv's interpreter symlinks stay valid.

FROM python:3.12.8-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
RUN python -m venv /opt/venv

# README.* rather than README.md: pyproject names it, but a missing one must not break the build.
COPY pyproject.toml README.* ./
COPY service ./service

RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install /wheels/*.whl \
    && /opt/venv/bin/python -c "import service.gunicorn_conf, flask, gunicorn, prometheus_client"


FROM python:3.12.8-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    WINCOMPAT_BIND=0.0.0.0:8080

RUN groupadd --system --gid 10001 wincompat \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin wincompat

COPY --from=build /opt/venv /opt/venv

USER 10001
EXPOSE 8080

# No curl in slim images: probe /healthz with the standard library, on the port WINCOMPAT_BIND names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('WINCOMPAT_BIND', ':8080').rsplit(':', 1)[-1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]

CMD ["gunicorn", "-c", "python:service.gunicorn_conf", "service.wsgi:app"]
