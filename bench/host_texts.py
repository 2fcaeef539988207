"""What reading a host text costs, per shape, against the whole version question it is part of.

    .venv/bin/python bench/host_texts.py

For each input: the median time of `parse_version` alone and of a whole
`POST /compat {"host": …, "image_version": "ltsc2022"}` through the Flask test client (the
baseline, measured in the same run), and their ratio: the share of a question spent reading
the host. Writes bench/RESULTS-host-texts.md."""

from __future__ import annotations

import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.app import create_app
from service.compat.versions import parse_version

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
INPUTS = {
    "plain 10.0.b.r": "10.0.20348.2700",
    "docker info OperatingSystem": "Microsoft Windows Server Version 21H2 (OS Build 20348.169)",
    "release name": "ltsc2022",
    "docker info (whole)": (DATA / "public" / "docker-info_docker-cli-docs_windows-samples.txt")
    .read_text()
    .split("=====")[1],
    "kubectl describe node": (DATA / "pastes" / "kubectl-describe-node_ws2019.txt").read_text(),
    "Get-ComputerInfo": (DATA / "pastes" / "get-computerinfo_ws2019.txt").read_text(),
}


class _NoRegistry:
    def resolve(self, ref):
        raise AssertionError("no registry in this benchmark")

    def ready(self):
        return True


def _median_us(call, number: int) -> float:
    runs = timeit.repeat(call, number=number, repeat=7)
    return statistics.median(runs) / number * 1e6


def main() -> None:
    client = create_app(resolver=_NoRegistry()).test_client()
    rows = [
        "| input | bytes | parse_version µs | whole POST /compat µs | ratio |",
        "|---|---|---|---|---|",
    ]
    for name, text in INPUTS.items():
        number = 200 if len(text) > 200 else 2000
        parse = _median_us(lambda t=text: parse_version(t), number)
        body = {"host": text, "image_version": "ltsc2022"}
        whole = _median_us(lambda b=body: client.post("/compat", json=b), max(number // 10, 50))
        rows.append(
            f"| {name} | {len(text.encode())} | {parse:.1f} | {whole:.1f} | {parse / whole:.2f} |"
        )
    table = "\n".join(rows)
    print(table)
    out = Path(__file__).with_name("RESULTS-host-texts.md")
    out.write_text(
        "# Host texts: parse cost against the whole question\n\n"
        "`.venv/bin/python bench/host_texts.py`, medians of 7 runs, on the shared 2-core CI "
        "machine (other jobs running: absolute numbers are noisy, the ratios less so).\n\n"
        + table
        + "\n"
    )


if __name__ == "__main__":
    main()
