"""One JSON formatter, one logger namespace: every line the service writes is JSON."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from service import logs
from service.app import create_app
from service.config import Config

SERVICE = Path(__file__).resolve().parents[1] / "service"


def test_every_service_logger_is_under_the_namespace():
    made = {
        path.relative_to(SERVICE).as_posix(): re.findall(r"getLogger\(([^)]*)\)", path.read_text())
        for path in SERVICE.rglob("*.py")
    }
    direct = {path: names for path, names in made.items() if names and path != "logs.py"}
    assert direct == {}  # modules take logs.logger("part"), never a name of their own
    assert logs.logger("cache").name == "wincompat.cache"


def _line(record: logging.LogRecord) -> dict:
    return json.loads(logs.JsonFormatter().format(record))


def test_a_line_is_json_with_fields_errors_and_the_request_id():
    app = create_app(Config(), resolver=object())
    record = logging.LogRecord("wincompat.api", logging.ERROR, __file__, 1, "x %s", ("y",), None)
    record.fields = {"registry": "mcr.microsoft.com"}
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    with app.test_request_context(headers={"X-Request-ID": "req-1"}):
        app.preprocess_request()
        entry = _line(record)
    assert entry["message"] == "x y" and entry["level"] == "error"
    assert entry["logger"] == "wincompat.api" and entry["request_id"] == "req-1"
    assert entry["registry"] == "mcr.microsoft.com"
    assert "RuntimeError: boom" in entry["exc_info"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    assert "request_id" not in _line(record)  # outside a request


def test_gunicorn_uses_the_same_formatter(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    from service import gunicorn_conf

    assert gunicorn_conf.JsonFormatter is logs.JsonFormatter
    assert gunicorn_conf.logconfig_dict["formatters"]["json"]["()"] is logs.JsonFormatter


def test_configure_gives_a_bare_root_json_lines(capsys):
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = []  # as outside pytest and gunicorn (pytest adds its own per test)
    try:
        logs.configure()
        logs.logger("cache").warning("Redis at %s failed", "127.0.0.1:6379")
        logging.getLogger("werkzeug").warning("a line from a library")
    finally:
        root.handlers[:] = saved
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["logger"], e["message"]) for e in lines] == [
        ("wincompat.cache", "Redis at 127.0.0.1:6379 failed"),
        ("werkzeug", "a line from a library"),
    ]
