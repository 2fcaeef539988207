"""How long reading a paste takes, against the least any reader must do with it.

Pastes are untrusted and up to 256 KiB, so the readers' regular expressions must stay linear:
this measures the seed's pastes and adversarial 256 KiB inputs (each built to make a careless
pattern backtrack quadratically), and prints each as a ratio to a baseline measured in the same
run on the same text: cleaning it and splitting it into lines.

    .venv/bin/python bench/explain_pastes.py [--write bench/RESULTS-explain.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.pastes.failures import read_failure  # noqa: E402
from service.pastes.text import MAX_PASTE_BYTES, clean  # noqa: E402

N = MAX_PASTE_BYTES
PASTES = ROOT / "tests" / "data" / "pastes"
SYSCALL = "encountered an error during X: failure in a Windows system call: "

ADVERSARIAL: dict[str, str] = {
    "newlines": "\n" * N,
    "spaces and newlines": " \n" * (N // 2),
    "long blank lines": (" " * 1000 + "\n") * (N // 1001),
    "one long line": "a" * N,
    "system-call prefix repeated": SYSCALL * (N // len(SYSCALL)),
    "system-call prefix then spaces": SYSCALL + " " * (N - len(SYSCALL)),
    "`Microsoft Windows Server` repeated": "Microsoft Windows Server " * (N // 25),
    "`docker run` repeated": "docker run " * (N // 11),
    "`Name:`/`Namespace:` repeated": "Name: x\nNamespace: y\n" * (N // 22),
    "HCS codes repeated": "(0xc0370101)" * (N // 12),
    "events header, then `a  ` rows": "LAST SEEN  TYPE  REASON  OBJECT  MESSAGE\n"
    + ("a  " * 300 + "\n") * (N // 901),
}


def _median_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(rounds: int) -> list[tuple[str, int, float, float]]:
    inputs = {p.name: p.read_text() for p in sorted(PASTES.glob("*.txt"))}
    inputs.update({k: v[:N] for k, v in ADVERSARIAL.items()})
    rows = []
    for name, text in inputs.items():
        base = _median_ms(lambda t=text: clean(t).splitlines(), rounds)
        ours = _median_ms(lambda t=text: read_failure(t), rounds)
        rows.append((name, len(text.encode()), base, ours))
    return rows


def report(rows: list[tuple[str, int, float, float]]) -> str:
    lines = [
        "| input | bytes | baseline ms (clean + split lines) | read_failure ms | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, size, base, ours in rows:
        lines.append(f"| {name} | {size} | {base:.2f} | {ours:.2f} | {ours / base:.1f}x |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    table = report(measure(args.rounds))
    print(table)
    if args.write:
        head = (
            "# Reading pastes: linear on adversarial input\n\n"
            f"`bench/explain_pastes.py --rounds {args.rounds}`, medians; the baseline is measured "
            "in the same run on the same text. Before the patterns were bounded, `newlines` took "
            "378 s, `spaces and newlines` 168 s and `Microsoft Windows Server` repeated 45 s "
            "(quadratic backtracking).\n\n"
        )
        args.write.write_text(head + table)


if __name__ == "__main__":
    main()
