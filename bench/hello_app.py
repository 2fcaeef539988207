"""The baseline for the cached-throughput benchmark: bare Flask, one route, a short string.

Served by the very same gunicorn config module and settings as wincompat:
`gunicorn -c python:service.gunicorn_conf bench.hello_app:app`.
"""

from __future__ import annotations

from flask import Flask

app = Flask("hello")


@app.get("/")
def hello() -> str:
    return "hello"
