"""The paste readers as plain tables: the seed document's pastes, pastes written from the real
formats, and the same pastes with the noise real pastes carry."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.pastes.errors import command_image, hcs_codes
from service.pastes.failures import read_failure
from service.pastes.text import clean

PASTES = Path(__file__).resolve().parent / "data" / "pastes"
IMAGE = "127.0.0.1:5000/team/app:1.0"


def paste(name: str) -> str:
    return (PASTES / name).read_text().replace("{IMAGE}", IMAGE)


SEED_RUN = paste("seed-docker-run.txt")
SEED_SWARM = paste("seed-docker-service-ps.txt")
SEED_POD = paste("seed-kubectl-describe-pod.txt")
IIS = (
    "windows/servercore/iis@sha256:868bca7e89e1743792e15f78edb5a73070ef44eae6807dc3f05f9b94c23943d5"
)
FABRIKAM = (
    "patricklang/fabrikamfiber.web@sha256:"
    "562741016ce7d9a232a389449a4fd0a0a55aab178cf324144404812887250ead"
)

CASES = [
    (
        "seed-docker-run",
        SEED_RUN,
        ["docker-run-error", "hcs-error"],
        {"codes": ["0xc0370101"], "isolation": "process", "orchestrator": "docker",
         "operation": "CreateContainer"},
    ),
    (
        "seed-docker-service-ps",
        SEED_SWARM,
        ["docker-service-ps", "docker-service-ls", "hcs-error"],
        {"codes": ["0xc0370101"], "isolation": "process", "orchestrator": "swarm",
         "service": "angry_liskov", "image": IIS, "node": "WIN-BSTMQDRQC2E", "failures": 4,
         "replicas": "0/1"},
    ),
    (
        "seed-kubectl-describe-pod",
        SEED_POD,
        ["kubectl-describe-pod", "hcs-error", "kubelet-image-event"],
        {"codes": ["0xc0370101"], "isolation": "process", "orchestrator": "kubernetes",
         "pod": "fabrikamfiber.web-789699744-rqv6p", "namespace": "plang",
         "node": "38519acs9011", "node_ip": "10.240.0.6", "image_id": FABRIKAM,
         "image": "patricklang/fabrikamfiber.web:latest", "state_reason": "CrashLoopBackOff",
         "last_reason": "ContainerCannotRun", "failures": 11, "container": "fabrikamfiberweb",
         "node_selectors": {"beta.kubernetes.io/os": "windows"}},
    ),
    (
        "kubelet-pull-no-match",
        paste("kubelet-pull-no-match.txt"),
        ["kubectl-describe-pod", "containerd-pull-no-match", "kubelet-image-event"],
        {"refusal": "no-platform-match", "orchestrator": "kubernetes", "image": IMAGE,
         "node": "akswin25000001", "state_reason": "ImagePullBackOff", "failures": 6,
         "pod": "web-7d9c5b7f6d-x2kqp"},
    ),
    (
        "containerd-pull-alone",
        'ctr: failed to pull and unpack image "mcr.microsoft.com/windows/servercore:ltsc2025": '
        "no match for platform in manifest: not found",
        ["containerd-pull-no-match"],
        {"refusal": "no-platform-match", "orchestrator": "containerd",
         "image": "mcr.microsoft.com/windows/servercore:ltsc2025"},
    ),
    (
        "docker-pull-refusal",
        paste("docker-pull-refusal.txt"),
        ["docker-pull-refusal", "docker-pull-command"],
        {"refusal": "image-newer-than-host", "image_version": "10.0.20348",
         "host_text": "10.0.17763", "image": IMAGE, "orchestrator": "docker"},
    ),
    (
        "docker-no-matching-manifest",
        paste("docker-run-no-matching-manifest.txt"),
        ["docker-run-error", "docker-no-matching-manifest", "docker-run-command"],
        {"refusal": "no-platform-match", "host_text": "10.0.19045", "arch": "amd64",
         "image": IMAGE},
    ),
    (
        "no-matching-manifest-new-format",
        "Error response from daemon: no matching manifest for windows(10.0.22631)/amd64 in "
        "the manifest list entries",
        ["docker-no-matching-manifest"],
        {"host_text": "10.0.22631", "refusal": "no-platform-match"},
    ),
    (
        "invalid-layer-without-code",
        paste("kubelet-invalid-layer.txt"),
        ["hcs-error", "kubelet-image-event"],
        {"system_message": "The container image contains a layer with an unrecognized format.",
         "operation": "hcs::CreateComputeSystem"},
    ),
    (
        "kubectl-get-events",
        "LAST SEEN   TYPE      REASON    OBJECT                     MESSAGE\n"
        "2m          Normal    Pulling   pod/web-7d9c5b7f6d-x2kqp   Pulling image \"a/b:1\"\n"
        "44s (x4 over 2m)   Warning   Failed    pod/web-7d9c5b7f6d-x2kqp   Failed to pull image "
        '"a/b:1": rpc error: code = NotFound desc = failed to pull and unpack image '
        '"docker.io/a/b:1": no match for platform in manifest: not found\n',
        ["kubectl-get-events", "containerd-pull-no-match", "kubelet-image-event"],
        {"pod": "web-7d9c5b7f6d-x2kqp", "failures": 4, "image": "docker.io/a/b:1",
         "orchestrator": "kubernetes", "refusal": "no-platform-match"},
    ),
    (
        "old-hcsshim-format",
        "Error response from daemon: hcsshim::CreateComputeSystem 5b7f: The container operating "
        "system does not match the host operating system.",
        ["hcs-error"],
        {"operation": "hcsshim::CreateComputeSystem",
         "system_message": "The container operating system does not match the host operating "
                           "system."},
    ),
    (
        "unexpected-exit",
        paste("docker-run-unexpected-exit.txt"),
        ["docker-run-error", "hcs-error", "docker-run-command"],
        {"codes": ["0xc0370106"], "isolation": "process", "isolation_from": "--isolation",
         "image": IMAGE},
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "shapes", "facts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_shape_is_read(text, shapes, facts):
    found = read_failure(text)
    assert found.recognised
    assert found.shapes == shapes
    assert {k: found.facts.get(k) for k in facts} == facts


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _ansi(text: str) -> str:
    return "\x1b[31m" + text.replace("0xc0370101", "\x1b[1m0xc0370101\x1b[0m") + "\x1b[0m"


def _noise(text: str) -> str:
    return "Hi team, since this morning we get this:\n\n" + text + "\n\nAny idea? Thanks!\n"


NOISY = [
    ("crlf", _crlf),
    ("ansi-colours", _ansi),
    ("chat-noise-around", _noise),
    ("tabs-for-spaces", lambda t: t.replace("        ", "\t")),
]


@pytest.mark.parametrize("name", [c[0] for c in CASES[:3]])
@pytest.mark.parametrize("noise", [n[1] for n in NOISY], ids=[n[0] for n in NOISY])
def test_noise_does_not_change_what_is_read(name, noise):
    text = next(c[1] for c in CASES if c[0] == name)
    plain, noisy = read_failure(text), read_failure(noise(text))
    assert noisy.shapes == plain.shapes
    for key in ("codes", "isolation", "orchestrator", "image", "node", "pod", "service"):
        assert noisy.facts.get(key) == plain.facts.get(key), key


def test_cut_off_line_still_names_the_code_by_its_message():
    cut = SEED_RUN[: SEED_RUN.index("(0xc0370101)")]  # the terminal cut the line before the code
    found = read_failure(cut)
    assert found.recognised and "codes" not in found.facts
    assert found.facts["system_message"].startswith("The operating system of the container")


def test_cut_off_describe_keeps_what_came_before_the_cut():
    cut = SEED_POD[: SEED_POD.index("Restart Count")]
    found = read_failure(cut)
    assert found.facts["pod"] == "fabrikamfiber.web-789699744-rqv6p"
    assert found.facts["image_id"] == FABRIKAM


def test_several_errors_in_one_paste():
    text = SEED_RUN + "\n" + paste("docker-run-unexpected-exit.txt") + "\nthen 0x80370112\n"
    found = read_failure(text)
    assert found.facts["codes"] == ["0xc0370101", "0xc0370106", "0xc0370112"]
    assert found.shapes.count("hcs-error") == 1 and "docker-run-error" in found.shapes


NOT_ERRORS = [
    ("empty", ""),
    ("prose", "The deployment went fine, the pods are all Running."),
    ("a-version-alone", "Microsoft Windows [Version 10.0.20348.2700]"),
    ("linux-manifest", "no matching manifest for linux/arm64/v8 in the manifest list entries"),
    ("hex-that-is-no-hcs-code", "exit status 0xc0000005 in module foo.dll"),
    ("json", '{"kind": "Pod", "status": {"phase": "Running"}}'),
]


@pytest.mark.parametrize("text", [t for _, t in NOT_ERRORS], ids=[n for n, _ in NOT_ERRORS])
def test_text_that_is_no_error_is_not_recognised(text):
    assert not read_failure(text).recognised


COMMANDS = [
    ("plain", "mcr.microsoft.com/a:1", ("mcr.microsoft.com/a:1", None)),
    ("flags-and-values", "--rm -it -p 80:80 --name web -e A=1 app:1 cmd /c ver", ("app:1", None)),
    ("isolation-equals", "--isolation=hyperv -d app:2", ("app:2", "hyperv")),
    ("isolation-spaced", "--isolation process app:3 ping", ("app:3", "process")),
    ("only-flags", "--rm -it", (None, None)),
    ("quoted", '"app:4" cmd', ("app:4", None)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "expected"), [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS]
)
def test_docker_run_command_line(args, expected):
    assert command_image(args) == expected


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("(0xc0370101)", ["0xc0370101"]),
        ("HRESULT 0x80370106 then 0XC0370106", ["0xc0370106"]),
        ("0xc03701010", []),  # longer hex is another number
        ("0xc0000005", []),
    ],
    ids=["docker-form", "hresult-and-case", "longer-number", "not-hcs"],
)
def test_hcs_codes_in_text(text, codes):
    assert hcs_codes(text) == codes


def test_clean_removes_colours_and_carriage_returns():
    assert clean("\x1b[1;31mError\x1b[0m\r\nnext\rline\x07") == "Error\nnext\nline"
