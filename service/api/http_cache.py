"""HTTP caching for answers: the representation asked for (JSON, or the sentence as text/plain),
ETags and 304s, Cache-Control, and the replay of a GET asked before. It works only on answers
already serialised by the response schema; the views know nothing of it."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Request, Response, current_app, request
from flask_smorest import Blueprint

from service import metrics
from service.api.answers import JSON, TEXT, Answer, AnswerCache, make_answer

# Accept values that mean JSON without negotiating: what curl, browsers' fetch and CI send.
_PLAIN_JSON = frozenset({"", "*/*", JSON})
_ANSWER_HITS = metrics.CACHE_EVENTS.labels("memory", "answer", "hit")


def _answers() -> AnswerCache:
    return current_app.extensions["wincompat"].answers


def _mimetype(req: Request) -> str:
    accept = req.environ.get("HTTP_ACCEPT", "")
    if accept in _PLAIN_JSON:
        return JSON
    return req.accept_mimetypes.best_match((JSON, TEXT)) or JSON


def send_answer(req: Request, answer: Answer, now: float, *, replayed: bool) -> Response:
    """One answer in the representation asked for, with its validators."""
    mimetype = _mimetype(req)
    etag = answer.etags[mimetype]
    headers = {
        "ETag": f'W/"{etag}"',
        "Cache-Control": f"max-age={answer.max_age(now)}",
        "Vary": "Accept",
    }
    if "HTTP_IF_NONE_MATCH" in req.environ and req.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    body = answer.body(mimetype, now, replayed=replayed)
    return Response(body, status=200, headers=headers, mimetype=mimetype)


def cached(view: Callable[..., Response]) -> Callable[..., Response]:
    """Wraps a view already serialised by @blp.response: its 200 JSON answer (valid for the
    Cache-Control max-age the view set) is negotiated, validated and, for a GET, kept for
    replay. Anything else passes through as it is."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs) -> Response:
        response = view(*args, **kwargs)
        if response.status_code != 200 or response.mimetype != JSON:
            return response
        answers, req = _answers(), request._get_current_object()
        now = answers.clock()
        answer = make_answer(response.get_data(), response.cache_control.max_age or 0, now)
        if req.method == "GET":
            answers.put(req.query_string, answer)
        return send_answer(req, answer, now, replayed=False)

    return wrapper


def replay_on(blp: Blueprint, path: str) -> None:
    """A GET of `path` asked before, within the life of its answer, is answered before any
    parsing, judging or rendering: the hot path of a busy portal, it reads the request once."""

    def replay() -> Response | None:
        req = request._get_current_object()
        if req.method != "GET" or req.path != path:
            return None
        answers = _answers()
        answer = answers.get(req.query_string)
        if answer is None:
            return None
        _ANSWER_HITS.inc()
        return send_answer(req, answer, answers.clock(), replayed=True)

    blp.before_request(replay)
