"""The gthread worker, with the errors gunicorn itself answers (400, 414, 431, ...) written as
problem+json like every other error of the service, instead of gunicorn's HTML page.

`worker_class = "service.gunicorn_worker.ProblemThreadWorker"` in gunicorn_conf.py.
"""

from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

_TYPES = {400: "invalid-request", 413: "invalid-request", 414: "invalid-request"}


# What to do instead, for errors a person can act on.
_ADVICE = {
    414: "The request line is too long: send a long host text (a whole `docker info`, say) "
    "by POST /compat with a JSON body.",
}


def problem_bytes(status: int, reason: str, detail: str) -> bytes:
    """A complete HTTP/1.1 response carrying an RFC 9457 problem; the connection closes."""
    kind = _TYPES.get(status)
    detail = _ADVICE.get(status, detail)
    body = json.dumps(
        {
            "type": f"/problems/{kind}" if kind else "about:blank",
            "title": reason,
            "status": status,
            "detail": detail[:300] or reason,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, problem_bytes(status_int, reason, mesg))


class ProblemThreadWorker(ThreadWorker):
    def init_process(self) -> None:
        # gunicorn's Worker.handle_error writes through util.write_error; this process is a
        # worker of ours, so its error page is ours too.
        util.write_error = write_problem
        super().init_process()
