"""Readers of the error lines runtimes print: HCS codes and the Windows system call message,
Docker's `docker run`/`docker pull` refusals, containerd's and the kubelet's pull errors, and
the command line and host version pasted beside them. Real strings, from their sources:

- moby daemon (hcsshim SystemError): `container <id> encountered an error during
  CreateContainer: failure in a Windows system call: <message> (0xc0370101) extra info: {…}`
- moby distribution/pull_v2_windows.go: `a Windows version 10.0.20348-based image is
  incompatible with a 10.0.17763 host`
- moby distribution/pull_v2.go: `no matching manifest for windows/amd64 10.0.19045 in the
  manifest list entries` (newer engines format the platform as `windows(10.0.22631)/amd64`)
- containerd CRI: `failed to pull and unpack image "…": no match for platform in manifest:
  not found`, wrapped by the kubelet as `Failed to pull image "…": rpc error: code = NotFound
  desc = …`"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from service.pastes.reading import Reading, excerpt, line_of

# 0xc037xxxx as Docker prints HCS errors, 0x8037xxxx as HRESULTs; both name one HCS code.
_CODE = re.compile(r"\b0x([c8])037([0-9a-f]{4})\b", re.IGNORECASE)
_SYSTEM_CALL = re.compile(
    r"encountered an error during (?P<op>[\w:]+): failure in a Windows system call: "
    r"(?P<message>[^(\n\"\\]{0,400}[^(\s\"\\])"
)
# hcsshim's SystemError as containerd prints it: `hcs::CreateComputeSystem <id>: <message>`
# (older hcsshim: `hcsshim::CreateComputeSystem <id>: <message>`)
_HCSSHIM_ERROR = re.compile(
    r"(?P<op>hcs(?:shim)?::\w+(?:::\w+)?) [\w.-]+: (?P<message>[A-Z][^:\n(\"\\]{0,400})"
)
_HV_PARTITION = re.compile(r'HvPartition\\*"\s*:\s*(true|false)', re.IGNORECASE)
_DOCKER_RUN_ERROR = re.compile(r"docker(?:\.exe)?: Error response from daemon: ", re.IGNORECASE)
_PULL_REFUSAL = re.compile(
    r"a Windows version (?P<image>\d+\.\d+\.\d+)-based image is incompatible with a "
    r"(?P<host>\d+\.\d+\.\d+(?:\.\d+)?) host"
)
_NO_MATCHING_MANIFEST = re.compile(
    r"no matching manifest for windows(?:\((?P<v1>\d+\.\d+\.\d+(?:\.\d+)?)\))?/(?P<arch>\w+)"
    r"(?:/\w+)?(?:[ \t]+(?P<v2>\d+\.\d+\.\d+(?:\.\d+)?))?[ \t]+in the manifest list entries",
    re.IGNORECASE,
)
_NO_PLATFORM_MATCH = re.compile(r"no match for platform in manifest", re.IGNORECASE)
_UNPACK_IMAGE = re.compile(r'failed to pull and unpack image \\*"(?P<image>[^"\\\s]+)\\*"')
_KUBELET_PULL = re.compile(r'Failed to pull image \\*"(?P<image>[^"\\\s]+)\\*"')
# The kubelet's other image events name the image a container runs.
_KUBELET_IMAGE = re.compile(
    r'(?:Container image|Pulling image|Successfully pulled image) \\*"(?P<image>[^"\\\s]+)\\*"'
)
_COMMAND = re.compile(
    r"(?:^|[\s>$#])docker(?:\.exe)?\s+(?:container\s+|image\s+)?(?P<verb>run|create|pull)\s+"
    r"(?P<args>[^\n]{0,4096})",
    re.IGNORECASE,
)
_VER = re.compile(r"Microsoft Windows \[Version \d+\.\d+\.\d+(?:\.\d+)?\]")
_OS_BUILD = re.compile(r"Microsoft Windows Server[^\n]{0,80}?\(OS Build \d+(?:\.\d+)?\)")

# `docker run` flags that take no value; every other flag without `=` takes the next word.
_BOOLEAN_FLAGS = frozenset(
    [
        "--rm",
        "-d",
        "--detach",
        "-i",
        "--interactive",
        "-t",
        "--tty",
        "-P",
        "--publish-all",
        "--privileged",
        "--init",
        "--read-only",
        "--no-healthcheck",
        "--oom-kill-disable",
        "--sig-proxy",
        "-q",
        "--quiet",
        "-a",
        "--all-tags",
        "--disable-content-trust",
        "--help",
    ]
)


def hcs_codes(text: str) -> list[str]:
    """Every HCS code in the text as `0xc037xxxx`, in order of first appearance."""
    found = [f"0xc037{m.group(2).lower()}" for m in _CODE.finditer(text)]
    return list(dict.fromkeys(found))


def _read_system_call(text: str) -> Reading | None:
    match = _SYSTEM_CALL.search(text) or _HCSSHIM_ERROR.search(text)
    codes = hcs_codes(text)
    if not match and not codes:
        return None
    start = match.start() if match else _CODE.search(text).start()
    facts: dict[str, object] = {"codes": codes}
    if match:
        facts["operation"] = match.group("op")
        facts["system_message"] = match.group("message").strip()
    isolation = _HV_PARTITION.search(text)
    if isolation:
        facts["isolation"] = "hyperv" if isolation.group(1).lower() == "true" else "process"
        facts["isolation_from"] = "HvPartition"
    line_start = text.rfind("\n", 0, start) + 1
    return Reading("hcs-error", line_of(text, start), excerpt(text[line_start:][:400]), facts)


def _read_docker_run(text: str) -> Reading | None:
    match = _DOCKER_RUN_ERROR.search(text)
    if not match:
        return None
    start = match.start()
    return Reading(
        "docker-run-error",
        line_of(text, start),
        excerpt(text[start : start + 400]),
        {"orchestrator": "docker"},
    )


def _read_pull_refusal(text: str) -> Reading | None:
    match = _PULL_REFUSAL.search(text)
    if not match:
        return None
    facts = {
        "image_version": match.group("image"),
        "host_text": match.group("host"),
        "host_from": "Docker's pull refusal",
        "refusal": "image-newer-than-host",
        "orchestrator": "docker",
    }
    return Reading("docker-pull-refusal", line_of(text, match.start()), match.group(0), facts)


def _read_no_matching_manifest(text: str) -> Reading | None:
    match = _NO_MATCHING_MANIFEST.search(text)
    if not match:
        return None
    facts: dict[str, object] = {
        "arch": match.group("arch").lower(),
        "refusal": "no-platform-match",
        "orchestrator": "docker",
    }
    version = match.group("v1") or match.group("v2")
    if version:
        facts.update(host_text=version, host_from="Docker's manifest-list refusal")
    return Reading(
        "docker-no-matching-manifest", line_of(text, match.start()), match.group(0), facts
    )


def _read_containerd_pull(text: str) -> Reading | None:
    match = _NO_PLATFORM_MATCH.search(text)
    if not match:
        return None
    image = _UNPACK_IMAGE.search(text) or _KUBELET_PULL.search(text)
    kubelet = _KUBELET_PULL.search(text) or re.search(r"\bkubelet\b|ErrImagePull", text)
    facts: dict[str, object] = {"refusal": "no-platform-match"}
    facts["orchestrator"] = "kubernetes" if kubelet else "containerd"
    if image:
        facts["image"] = image.group("image")
    start = text.rfind("\n", 0, match.start()) + 1
    return Reading(
        "containerd-pull-no-match",
        line_of(text, match.start()),
        excerpt(text[start : match.end() + 12]),
        facts,
    )


def command_image(args: str) -> tuple[str | None, str | None]:
    """The image and the --isolation value of a `docker run|create|pull` argument string."""
    try:
        words = shlex.split(args, posix=False)
    except ValueError:
        words = args.split()
    isolation, skip = None, False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word.startswith("--isolation"):
            value = word.partition("=")[2] or (words[i + 1] if i + 1 < len(words) else "")
            isolation = value.strip("\"'").lower() or None
            skip = "=" not in word
            continue
        if word.startswith("-"):
            short_bundle = re.fullmatch(r"-[a-zA-Z]+", word) and all(
                f"-{c}" in _BOOLEAN_FLAGS for c in word[1:]
            )
            skip = "=" not in word and word not in _BOOLEAN_FLAGS and not short_bundle
            continue
        return word.strip("\"'"), isolation
    return None, isolation


def _read_command(text: str) -> Reading | None:
    for match in _COMMAND.finditer(text):
        image, isolation = command_image(match.group("args"))
        if not image:
            continue
        facts: dict[str, object] = {"image": image, "orchestrator": "docker"}
        if isolation in ("process", "hyperv"):
            facts.update(isolation=isolation, isolation_from="--isolation")
        line = line_of(text, match.start("verb"))
        return Reading(f"docker-{match.group('verb').lower()}-command", line, match.group(0), facts)
    return None


def _read_kubelet_image(text: str) -> Reading | None:
    match = _KUBELET_IMAGE.search(text)
    if not match:
        return None
    facts = {"image": match.group("image"), "orchestrator": "kubernetes"}
    return Reading("kubelet-image-event", line_of(text, match.start()), match.group(0), facts)


def _read_host_line(text: str) -> Reading | None:
    match = _VER.search(text) or _OS_BUILD.search(text)
    if not match:
        return None
    facts = {"host_text": match.group(0), "host_from": "the pasted version line"}
    return Reading("host-version", line_of(text, match.start()), match.group(0), facts)


READERS: tuple[Callable[[str], Reading | None], ...] = (
    _read_docker_run,
    _read_pull_refusal,
    _read_no_matching_manifest,
    _read_containerd_pull,
    _read_system_call,
    _read_command,
    _read_kubelet_image,
    _read_host_line,
)


def read_errors(text: str) -> list[Reading]:
    """Every error shape of this module found in a cleaned paste."""
    return [r for r in (reader(text) for reader in READERS) if r is not None]
