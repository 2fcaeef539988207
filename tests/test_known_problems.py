"""Known problems (runtimes.md): the shipped table, how entries change verdicts, warnings,
sentences and remedies, the operator's override file, and GET /known-problems."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path

import pytest

from service.app import create_app, start_problem
from service.compat import known_problems
from service.compat.assessment import assess
from service.compat.hosts import make_host
from service.compat.known_problems import KnownProblems, KnownProblemsError
from service.compat.remedies import base_tag_for
from service.compat.rules import Isolation, Verdict, judge
from service.compat.versions import WindowsVersion, parse_version
from service.config import Config

TODAY = date(2026, 11, 29)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def table_in_force():
    """Restore the shipped table after a test installs another one."""
    yield
    known_problems.install(known_problems.load(None))


def host(text: str, kind: str | None = None):
    return make_host(parse_version(text, kind=kind), kind)


def image(text: str) -> WindowsVersion:
    return parse_version(text).version


def test_the_shipped_table_has_the_five_entries_of_the_spec_with_sources():
    table = {p.id: p for p in known_problems.shipped()}
    assert set(table) >= {
        "win11-25h2-ltsc2025",
        "image-revision-newer-2025",
        "image-revision-newer-2019",
        "win10-hyperv-ltsc2022",
        "ws2022-dotnet-2025-10",
    }
    assert all(p.source.startswith("https://") and p.text for p in table.values())
    assert table["win11-25h2-ltsc2025"].cite == "microsoft/hcsshim#2566"
    assert table["image-revision-newer-2025"].cite == "actions/runner-images#11582"


def test_the_data_file_is_package_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["service.compat"]
    shipped = ROOT / "service" / "compat" / "data" / known_problems.SHIPPED
    assert any(shipped.match(f"service/compat/{g}") for g in globs)


# host, kind, image, mode -> (verdict, rule): the table's answer where no problem applies.
EFFECTS = [
    pytest.param(
        "10.0.26200.7171",
        "client",
        "10.0.26100.3194",
        "process",
        ("unsupported", "known-problem:win11-25h2-ltsc2025"),
        id="25h2-ltsc2025-process-fails",
    ),
    pytest.param(
        "10.0.26200.7171",
        "client",
        "10.0.26100.3194",
        "hyperv",
        ("unsupported", "known-problem:win11-25h2-ltsc2025"),
        id="25h2-ltsc2025-hyperv-fails",
    ),
    pytest.param(
        "10.0.26100.7171",
        "client",
        "10.0.26100.3194",
        "process",
        ("supported", "win11-supported"),
        id="24h2-ltsc2025-untouched",
    ),
    pytest.param(
        "10.0.26200.7171",
        "client",
        "10.0.20348.2227",
        "process",
        ("preview", "win11-preview"),
        id="25h2-ltsc2022-untouched",
    ),
    pytest.param(
        "10.0.19044.1",
        "client",
        "10.0.20348.1",
        "hyperv",
        ("unsupported", "newer-image"),
        id="win10-ltsc2022-keeps-the-rule-that-excludes-it",
    ),
    pytest.param(
        "10.0.26100.2894",
        "server",
        "10.0.26100.3194",
        "process",
        ("supported", "same-build"),
        id="warning-effect-keeps-the-verdict",
    ),
]


@pytest.mark.parametrize(("h", "kind", "i", "mode", "expected"), EFFECTS)
def test_fails_changes_the_named_modes_only(h, kind, i, mode, expected):
    j = judge(host(h, kind), image(i), mode)
    assert (j.verdict.value, j.rule) == expected, j.reason


def test_a_failing_reason_names_the_source_and_what_the_table_says():
    j = judge(host("10.0.26200.7171", "client"), image("10.0.26100.3194"), Isolation.HYPERV)
    assert j.known_problem == "win11-25h2-ltsc2025"
    assert "microsoft/hcsshim#2566" in j.reason and "0xc0370112" in j.reason
    assert "Microsoft's table says supported" in j.reason


@pytest.mark.parametrize(
    ("h", "kind", "i", "warned"),
    [
        pytest.param("10.0.26100.2894", "server", "10.0.26100.3194", True, id="newer-2025"),
        pytest.param("10.0.26100.3194", "server", "10.0.26100.3194", False, id="same-2025"),
        pytest.param("10.0.26100.3194", "server", "10.0.26100.2894", False, id="older-2025"),
        pytest.param("10.0.17763.5000", "server", "10.0.17763.5329", True, id="newer-2019"),
        pytest.param("10.0.17763", "server", "10.0.17763.5329", False, id="unknown-host-rev"),
    ],
)
def test_warning_entries_add_a_warning(h, kind, i, warned):
    a = assess(host(h, kind), image(i), today=TODAY)
    assert any(w.startswith("Known problem image-revision-newer-") for w in a.warnings) is warned


@pytest.mark.parametrize(
    ("h", "kind", "i", "named", "start"),
    [
        ("10.0.26200.7171", "client", "10.0.26100.3194", "win11-25h2-ltsc2025", "No: "),
        ("10.0.26100.2894", "server", "10.0.26100.3194", "image-revision-newer-2025", "Yes: "),
        ("10.0.20348.4294", "server", "10.0.20348.4294", "ws2022-dotnet-2025-10", "Yes: "),
    ],
)
def test_the_sentence_names_the_known_problem(h, kind, i, named, start):
    a = assess(host(h, kind), image(i), today=TODAY)
    assert a.summary.startswith(start)
    assert f"known problem {named}" in a.summary
    assert a.summary.count(". ") == 0 and a.summary.endswith(".")


ALL_BUILDS = (14393, 17763, 19041, 19044, 20348, 22621, 25398, 26100, 26200)


@pytest.mark.parametrize("kind", ["server", "client"])
@pytest.mark.parametrize("hb", ALL_BUILDS)
def test_remedies_never_recommend_a_known_failing_pair(hb, kind):
    h = host(f"10.0.{hb}.7171", kind)
    table = known_problems.in_force()
    for ib in ALL_BUILDS:
        a = assess(h, WindowsVersion(10, 0, ib, 3194), today=TODAY)
        for remedy in a.remedies:
            if remedy.action == "rebuild":
                tag = parse_version(remedy.fields["tag"]).version
                assert table.failing(h.version, h.kind, tag, "process") is None, remedy
            if remedy.action == "hyperv":
                assert table.failing(h.version, h.kind, a.image, "hyperv") is None, remedy


def test_the_best_base_tag_skips_a_known_failing_one():
    # Microsoft's table gives ltsc2025 to a 25H2 host; the field says it fails.
    target = base_tag_for(host("10.0.26200.7171", "client"))
    assert (target.tag, target.verdict) == ("ltsc2022", Verdict.PREVIEW)


# ---- the operator's file ----------------------------------------------------------------

ADDED = {
    "id": "ws2025-kb-2026-11",
    "hosts": {"build": 26100, "revision": {"max": 7000}, "kind": "server"},
    "images": {"build": 26100, "revision": {"min": 7171}},
    "isolation": ["process"],
    "runtimes": "all",
    "effect": "fails",
    "error": "0xc0370106",
    "text": "November 2026 images fail on hosts without the October update",
    "source": "https://example.org/field-report",
}


def _write(tmp_path: Path, entries: object, name: str = "kp.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(entries))
    return str(path)


def test_an_override_file_adds_an_entry(tmp_path, table_in_force):
    path = _write(tmp_path, [ADDED])
    table = known_problems.load(path)
    assert table.entries[-1].id == "ws2025-kb-2026-11" and len(table.entries) == 6
    known_problems.install(table)
    h = host("10.0.26100.6900")
    assert judge(h, image("10.0.26100.7171"), "process").rule == "known-problem:ws2025-kb-2026-11"
    assert judge(h, image("10.0.26100.6000"), "process").rule == "same-build"
    assert judge(h, image("10.0.26100.7171"), "hyperv").rule == "hyperv-older"


def test_an_override_file_replaces_an_entry_by_id(tmp_path, table_in_force):
    yaml_text = (
        "known_problems:\n"
        "  - id: win11-25h2-ltsc2025\n"
        "    hosts: {build: 26200, kind: client}\n"
        "    images: {build: 26100}\n"
        "    isolation: [process, hyperv]\n"
        "    runtimes: all\n"
        "    effect: warning\n"
        "    error: null\n"
        "    text: fixed by the December update; kept as a reminder\n"
        "    source: https://github.com/microsoft/hcsshim/issues/2566\n"
    )
    path = tmp_path / "kp.yaml"
    path.write_text(yaml_text)
    known_problems.install(known_problems.load(str(path)))
    assert len(known_problems.in_force().entries) == 5
    a = assess(host("10.0.26200.7171", "client"), image("10.0.26100.3194"), today=TODAY)
    assert a.process.verdict is Verdict.SUPPORTED
    assert any("Known problem win11-25h2-ltsc2025" in w for w in a.warnings)


def _broken(**change) -> dict:
    entry = dict(ADDED)
    for key, value in change.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    return entry


MALFORMED = [
    pytest.param({"id": "x"}, "expected a list", id="not-a-list"),
    pytest.param([_broken(effect="breaks")], "effect: expected fails or warning", id="effect"),
    pytest.param([_broken(source=None)], "missing field(s) source", id="missing-source"),
    pytest.param([_broken(colour="red")], "unknown field(s) colour", id="unknown-field"),
    pytest.param([_broken(id="Bad Id")], "entry 0.id", id="bad-id"),
    pytest.param([_broken(isolation=["both"])], "isolation: expected", id="isolation"),
    pytest.param([_broken(runtimes=["cri-o"])], "runtimes: expected", id="runtime"),
    pytest.param(
        [_broken(hosts={"build": {"min": 26200, "max": 26100}})], "min 26200 is above", id="range"
    ),
    pytest.param([_broken(images={"build": "26100"})], "images.build: expected", id="str-build"),
    pytest.param([_broken(source="hcsshim#2566")], "source: expected a URL", id="source-url"),
    pytest.param([ADDED, ADDED], "given twice: ws2025-kb-2026-11", id="twice"),
]


@pytest.mark.parametrize(("content", "message"), MALFORMED)
def test_a_malformed_file_is_one_clear_line(tmp_path, content, message):
    path = _write(tmp_path, content)
    with pytest.raises(KnownProblemsError) as raised:
        known_problems.load(path)
    text = str(raised.value)
    assert message in text and "\n" not in text
    assert text.startswith(f"WINCOMPAT_KNOWN_PROBLEMS {path}")


@pytest.mark.parametrize(
    ("raw", "name", "message"),
    [
        pytest.param(b"- id: [unclosed\n", "kp.yaml", "not valid YAML (line 2)", id="yaml"),
        pytest.param(b"[{", "kp.json", "not valid JSON (line 1", id="json"),
        pytest.param(b"\xff\xfe", "kp.yaml", "not UTF-8", id="bytes"),
        pytest.param(
            b"#" * (known_problems.MAX_FILE_BYTES + 1), "kp.yaml", "larger than", id="big"
        ),
    ],
)
def test_unreadable_files_are_one_clear_line(tmp_path, raw, name, message):
    path = tmp_path / name
    path.write_bytes(raw)
    with pytest.raises(KnownProblemsError) as raised:
        known_problems.load(str(path))
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_file_stops_the_start(tmp_path):
    config = Config(known_problems_file=str(tmp_path / "absent.yaml"))
    problem = start_problem(config)
    assert problem.startswith("wincompat cannot start: WINCOMPAT_KNOWN_PROBLEMS")
    assert "No such file" in problem
    with pytest.raises(KnownProblemsError):
        create_app(config)
    assert start_problem(Config()) is None


def test_get_known_problems_lists_the_table_in_force(tmp_path, table_in_force):
    client = create_app(Config()).test_client()
    body = client.get("/known-problems").get_json()
    assert body["override"] is False
    ids = [p["id"] for p in body["known_problems"]]
    assert ids == [p.id for p in known_problems.shipped()]
    first = body["known_problems"][0]
    assert first["rule"] == f"known-problem:{first['id']}"
    assert first["effect"] in ("fails", "warning") and first["source"].startswith("https://")
    overridden = create_app(Config(known_problems_file=_write(tmp_path, [ADDED]))).test_client()
    body = overridden.get("/known-problems").get_json()
    assert body["override"] is True and body["known_problems"][-1]["id"] == ADDED["id"]
    assert body["known_problems"][-1]["hosts"]["revision"] == {"max": 7000}


def test_compat_over_http_carries_the_known_problem_rule():
    client = create_app(Config()).test_client()
    query = {"host": "10.0.26200.7171", "image_version": "10.0.26100.3194"}
    body = client.get("/compat", query_string=query).get_json()
    assert body["isolation"]["process"]["rule"] == "known-problem:win11-25h2-ltsc2025"
    assert body["compatible"] is False
    text = client.get("/compat", query_string=query, headers={"Accept": "text/plain"})
    assert "known problem win11-25h2-ltsc2025" in text.get_data(as_text=True)


def test_in_force_defaults_to_the_shipped_table(table_in_force):
    known_problems.install(KnownProblems(()))
    assert known_problems.in_force().entries == ()
    known_problems.install(known_problems.load(None))
    assert known_problems.in_force().entries == known_problems.shipped()


def test_serve_refuses_to_start_with_a_malformed_file_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    path = _write(tmp_path, [_broken(effect="breaks")])
    env = {**os.environ, "WINCOMPAT_KNOWN_PROBLEMS": path, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--bind", "127.0.0.1:9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "effect: expected fails or warning" in lines[0], done.stderr


def test_a_runtime_limited_entry_changes_only_that_runtime(tmp_path, table_in_force):
    from service.compat import runtimes
    from service.compat.selection import assess_version

    limited = dict(ADDED, id="containerd22-only", runtimes=["containerd-2.2"])
    known_problems.install(known_problems.load(_write(tmp_path, [limited])))
    h, i = host("10.0.26100.6900"), image("10.0.26100.7171")
    assert judge(h, i, "process").rule == "same-build"  # the doc's answer stands
    assert (
        judge(h, i, "process", runtime="containerd-2.2").rule == "known-problem:containerd22-only"
    )
    rows = runtimes.outcomes_for_version(h, i)
    assert rows["containerd-2.2"].starts is False and rows["containerd-1.7"].starts is True
    plain, _ = assess_version(h, i)
    pinned, _ = assess_version(h, i, runtime="containerd-2.2")
    assert plain.process.verdict is Verdict.SUPPORTED
    assert pinned.process.verdict is Verdict.UNSUPPORTED
    assert "known problem containerd22-only" in pinned.summary
    assert "containerd 2.2 will not start it" in plain.summary


def test_gunicorn_stops_before_forking_with_a_malformed_file(tmp_path):
    # The container image runs gunicorn directly (Dockerfile CMD): its on_starting hook checks.
    import os
    import subprocess
    import sys

    path = _write(tmp_path, [_broken(isolation=["both"])])
    env = {
        **os.environ,
        "WINCOMPAT_KNOWN_PROBLEMS": path,
        "PYTHONPATH": str(ROOT),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf"]
    done = subprocess.run(
        [*command, "--bind", "127.0.0.1:0", "service.wsgi:app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if '"level": "error"' in line]
    assert len(errors) == 1 and "isolation: expected a non-empty list" in errors[0], done.stderr
