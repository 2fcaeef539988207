"""No paste, however mangled, makes explain raise: fragments of real pastes shuffled, cut and
mixed with arbitrary text always get an answer whose shape the schema accepts."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.explain_schemas import ExplainResponseSchema
from service.explain.question import Question, Registry, explain
from service.registry.errors import RegistryError

PASTES = Path(__file__).resolve().parent / "data" / "pastes"
LINES = [
    line
    for path in sorted(PASTES.glob("*.txt"))
    for line in path.read_text().replace("{IMAGE}", "127.0.0.1:5000/a/b:1").splitlines()
]
SCHEMA = ExplainResponseSchema()


class Unreachable:
    def resolve(self, ref):
        raise AssertionError(f"{ref} was looked up past a refusing allow-list")


def _problem(exc: RegistryError) -> dict:
    return {"type": "/problems/registry-not-allowed", "detail": exc.detail}


# Every registry refused by name: the answer must still come, with image_error.
REFUSE = Registry(Unreachable(), lambda registry: False, _problem)


def _valid(answer: dict) -> None:
    written = SCHEMA.dump(answer)
    assert SCHEMA.validate(written) == {}


def _cut(line: str, data: st.DataObject) -> str:
    return line[: data.draw(st.integers(0, len(line)))]


fragments = st.one_of(st.sampled_from(LINES), st.text(max_size=80))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(fragments, max_size=30), st.data())
def test_any_mix_of_real_fragments_gets_an_answer(parts, data):
    cut = [_cut(p, data) if data.draw(st.booleans()) else p for p in parts]
    answer = explain(Question("\n".join(cut)), REFUSE)
    _valid(answer)
    assert answer["recognised"] or (answer["fixes"] == [] and answer["compat"] is None)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=40), st.sampled_from(["\r\n", "\n"]))
def test_host_given_answers_judge_or_say_why_not(parts, newline):
    answer = explain(Question(newline.join(parts), host="10.0.20348.2700"), REFUSE)
    _valid(answer)
    assert "host" not in answer["needs"]
