"""The English of an answer: the one-sentence summary a chatbot can say as is.

The first words tell the verdict for the modes the caller can use ("Yes:", "Yes, with Hyper-V
isolation only:", "Yes, with Hyper-V isolation:", "Preview only:", "No:", "Can't tell:"); the
fixes come last, as alternatives joined by "or"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.compat import catalog
from service.compat.catalog import SERVER
from service.compat.rules import Isolation, Judgement, Rule, Verdict
from service.compat.versions import WindowsVersion

if TYPE_CHECKING:
    from service.compat.assessment import Assessment

HCS_MISMATCH = (
    "process isolation would fail with HCS error 0xc0370101 (the container's operating "
    "system does not match the host's)"
)

# Why a mode is refused, as a clause after "because", by the rule that refused it.
WHY_NOT: dict[Rule, str] = {
    Rule.MAJOR_MINOR: "the Windows major.minor versions differ",
    Rule.NEWER_IMAGE: "a newer image never runs on an older host",
    Rule.HYPERV_ONLY: "this host runs only Windows Server 2022 images",
    Rule.DIFFERENT_BUILD: HCS_MISMATCH,
    Rule.EXACT_REVISION: "Windows Server 2016 needs the exact same revision in host and image",
    Rule.BASELINE: "host and image sit on different sides of the February 2020 security baseline",
    Rule.WIN11_OTHER: "Windows 11 runs only Windows Server 2022 (as a preview) and Windows "
    "Server 2025 images with process isolation",
    Rule.WIN10_OTHER: "Windows 10 runs process-isolated containers only on 2004 and 20H2 hosts "
    "with an image of the same build",
}
WHY_NOT_DEFAULT = "neither isolation mode supports the pair"

MODE_WORDS = {Isolation.PROCESS: "process isolation", Isolation.HYPERV: "Hyper-V isolation"}

# What to give for an unknown revision, by whose it is.
GIVE = {
    "host": "the host's full version (`ver` on the host)",
    "image": "the image's full os.version (`docker image inspect`)",
}


def _named(version: WindowsVersion, kind: str) -> str:
    return f"{version} ({catalog.describe(version.build, kind)})"


def _missing(a: Assessment) -> list[str]:
    return [w for w, v in (("host", a.host.version), ("image", a.image)) if v.revision is None]


def _unknown_clause(a: Assessment) -> str:
    missing = _missing(a) or ["host", "image"]
    whose = " and ".join(f"the {w}'s" for w in missing)
    noun = "revisions are" if len(missing) > 1 else "revision is"
    give = " and ".join(GIVE[w] for w in missing)
    return f"process isolation can't be judged until {whose} {noun} known, so give {give}"


def _rebuild_tag(a: Assessment) -> str | None:
    for remedy in a.remedies:
        if remedy.action == "rebuild" and remedy.fields.get("process") == Verdict.SUPPORTED:
            return str(remedy.fields["tag"])
    return None


def _fixes(a: Assessment, *, elsewhere: bool) -> str:
    """ "; rebuild on X for process isolation, or run it on Y hosts", or nothing."""
    clauses = []
    tag = _rebuild_tag(a) if Isolation.PROCESS in a.modes else None
    if tag:
        clauses.append(f"rebuild on {tag} for process isolation")
    release = catalog.image_release(a.image.build)
    if elsewhere and release and a.host.kind == SERVER and a.image.build != a.host.build:
        clauses.append(f"run it on {release.name} hosts")
    return ("; " + ", or ".join(clauses)) if clauses else ""


def _why(judgement: Judgement, both: bool) -> str:
    if both:
        return WHY_NOT.get(judgement.rule, WHY_NOT_DEFAULT)
    return WHY_NOT.get(judgement.rule, "that isolation mode does not support the pair")


def summarize(a: Assessment) -> str:
    image = "image " + _named(a.image, SERVER)
    host = "host " + _named(a.host.version, a.host.kind)
    modes = a.modes
    process, hyperv = a.process.verdict, a.hyperv.verdict
    if Isolation.PROCESS in modes and process is Verdict.SUPPORTED:
        both = (
            " and with Hyper-V isolation" if len(modes) > 1 and hyperv is Verdict.SUPPORTED else ""
        )
        return f"Yes: {image} runs on {host} with process isolation{both}."
    if Isolation.HYPERV in modes and hyperv is Verdict.SUPPORTED:
        return _hyperv_sentence(a, image, host)
    if Isolation.PROCESS in modes and process is Verdict.UNKNOWN:
        return f"Can't tell: {_unknown_clause(a)}; {image}, {host}."
    if Isolation.PROCESS in modes and process is Verdict.PREVIEW:
        alt = "; Hyper-V isolation is supported" if hyperv is Verdict.SUPPORTED else ""
        return (
            f"Preview only: {image} runs on {host} with process isolation only as a preview, "
            f"not supported in production{alt}."
        )
    return _no_sentence(a, image, host)


def _hyperv_sentence(a: Assessment, image: str, host: str) -> str:
    if Isolation.PROCESS not in a.modes:
        return f"Yes: {image} runs on {host} with Hyper-V isolation."
    process = a.process.verdict
    if process is Verdict.UNKNOWN:
        return (
            f"Yes, with Hyper-V isolation: {image} runs on {host} with --isolation=hyperv; "
            f"{_unknown_clause(a)}."
        )
    why = (
        "process isolation works there only as a preview"
        if process is Verdict.PREVIEW
        else WHY_NOT.get(a.process.rule, HCS_MISMATCH)
    )
    if a.process.rule is Rule.DIFFERENT_BUILD or process is Verdict.PREVIEW:
        clause = why
    else:
        clause = f"process isolation fails because {why}"
    return (
        f"Yes, with Hyper-V isolation only: {image} runs on {host} with --isolation=hyperv; "
        f"{clause}{_fixes(a, elsewhere=False)}."
    )


def _no_sentence(a: Assessment, image: str, host: str) -> str:
    modes = a.modes
    both = len(modes) > 1
    decisive = a.hyperv if Isolation.HYPERV in modes else a.process
    mode = "" if both else f" with {MODE_WORDS[modes[0]]}"
    why = "of a known field failure" if decisive.known_problem else _why(decisive, both)
    return f"No: {image} does not run on {host}{mode}, because {why}{_fixes(a, elsewhere=True)}."


def dressed(a: Assessment, sentence: str) -> str:
    """The sentence with what runtimes and known problems add: the known problems of the pair
    and the runtimes that disagree before the full stop; with `runtime=`, that runtime first."""
    clauses = [f"known problem {p.label}: {p.text}" for p in a.known]
    clauses += [a.runtime_note] if a.runtime_note else []
    if clauses:
        sentence = f"{sentence[:-1]}; {'; '.join(clauses)}."
    if a.runtime_lead:
        sentence = f"{a.runtime_lead}{sentence[0].lower()}{sentence[1:]}"
    return sentence
