"""Serialised answers, kept per process so a repeated GET skips parsing, judging and rendering.

An answer is kept exactly as long as what it depends on: the tag's remaining cache life for
image questions, an hour for version questions; a stale answer is never kept. It is made from
the bytes the response schema produced; only the `cache` field is written again when served,
so its status and age stay true."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

from cachetools import LRUCache

from service.clock import SYSTEM, Clock

JSON, TEXT = "application/json", "text/plain"


@dataclass(frozen=True)
class Answer:
    head: bytes  # the JSON object without its `cache` field and closing brace
    text: bytes  # the summary sentence, for Accept: text/plain
    etags: dict[str, str]  # per representation, unquoted, weak
    status: str | None  # the cache status when rendered: "hit", "miss", "stale"; None: no image
    age: int  # the image answer's age when rendered
    made: float  # when rendered, by the cache's clock
    expires: float

    def max_age(self, now: float) -> int:
        return max(0, int(self.expires - now))

    def body(self, mimetype: str, now: float, *, replayed: bool) -> bytes:
        if mimetype == TEXT:
            return self.text
        if self.status is None:
            return self.head + b', "cache": null}'
        status = "hit" if replayed else self.status
        age = self.age + int(now - self.made) if replayed else self.age
        return self.head + f', "cache": {{"status": "{status}", "age_seconds": {age}}}}}'.encode()


def _etag(mimetype: str, head: bytes) -> str:
    return hashlib.sha256(mimetype.encode() + b"\0" + head).hexdigest()[:32]


def make_answer(body: bytes, max_age: int, now: float) -> Answer:
    """From the serialised JSON answer: the JSON without `cache`, the sentence, an ETag each."""
    payload = json.loads(body)
    cache = payload.get("cache")
    stable = {k: v for k, v in payload.items() if k != "cache"}
    head = json.dumps(stable).encode()[:-1]
    text = (payload["summary"] + "\n").encode()
    etags = {JSON: _etag(JSON, head), TEXT: _etag(TEXT, text)}
    status = cache["status"] if cache else None
    age = cache["age_seconds"] if cache else 0
    return Answer(head, text, etags, status, age, now, now + max_age)


class AnswerCache:
    def __init__(self, size: int = 4096, clock: Clock = SYSTEM) -> None:
        self._answers: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()
        self.clock = clock

    def get(self, key: bytes) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
        if answer is None or answer.expires <= self.clock():
            return None
        return answer

    def put(self, key: bytes, answer: Answer) -> None:
        if answer.status == "stale" or answer.expires <= answer.made:
            return
        with self._lock:
            self._answers[key] = answer
