"""`helm lint` and `helm template` for CI, through Helm's own Go SDK, without a helm binary.

Run it with the interpreter of the venv that .ci/lint-deploy makes (it has helm-python-sdk, the
Helm v4 SDK bound to Python; no registry or cluster is contacted):

    python .ci/helm.py lint [--strict] CHART [-f VALUES]... [--set K=V]...
    python .ci/helm.py template RELEASE CHART [-f VALUES]... [--set K=V]... [-n NS] [--json]

`template` prints what `helm template` prints (one `# Source:` document per rendered manifest,
NOTES.txt left out), after checking that every document parses as YAML and names an
apiVersion, a kind and a metadata.name; `--json` prints the parsed objects as a JSON list
instead, each with its template path under "__source__". Values files and --set are merged
like helm does (later wins, maps merge, anything else is replaced) and checked against the
chart's values.schema.json. Exit status 1 on any lint error (or warning, with --strict) or on a
failed render.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import helm_python as helm

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}
DOC_SPLIT = re.compile(r"(?m)^---[ \t]*$")


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def user_values(files: list[str], sets: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in files:
        loaded = helm.values_from_yaml(Path(name).read_text())
        if loaded is None:
            continue
        if not isinstance(loaded, dict):
            raise SystemExit(f"{name}: values must be a YAML mapping")
        values = merge(values, loaded)
    for assignment in sets:
        values = merge(values, helm.parse_set_string(assignment))
    return values


def cmd_lint(args: argparse.Namespace) -> int:
    values = user_values(args.values, args.set)
    report = helm.lint(args.chart, values or None, strict=args.strict)
    failed = False
    for message in report.get("messages") or []:
        severity = SEVERITY.get(message.get("severity", 0), "UNKNOWN")
        print(f"[{severity}] {message.get('path', '')}: {message.get('error', '')}")
        if severity == "ERROR" or (args.strict and severity == "WARNING"):
            failed = True
    for error in report.get("errors") or []:
        print(f"[ERROR] {error}")
        failed = True
    linted = report.get("total_charts_linted", 0)
    if not linted:
        failed = True
    state = "failed" if failed else "passed"
    print(f"==> lint{' --strict' if args.strict else ''} {args.chart}: {linted} chart(s) {state}")
    return 1 if failed else 0


def render(args: argparse.Namespace) -> list[tuple[str, str, dict[str, Any]]]:
    """[(template path, document text, parsed object)], in template-path order."""
    values = user_values(args.values, args.set)
    with helm.Chart.load(args.chart) as chart:
        chart.validate_schema(values)
        manifests = chart.render(
            values, name=args.release, namespace=args.namespace, is_install=True
        )
    docs: list[tuple[str, str, dict[str, Any]]] = []
    for source in sorted(manifests):
        if source.endswith("NOTES.txt") or Path(source).name.startswith("_"):
            continue
        for text in DOC_SPLIT.split(manifests[source]):
            if not text.strip() or all(
                not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
            ):
                continue
            try:
                obj = helm.values_from_yaml(text)
            except helm.HelmError as exc:
                raise SystemExit(f"{source}: rendered YAML does not parse: {exc}\n{text}") from None
            if not isinstance(obj, dict):
                raise SystemExit(f"{source}: rendered document is not a mapping:\n{text}")
            missing = [k for k in ("apiVersion", "kind") if not obj.get(k)]
            if not (obj.get("metadata") or {}).get("name"):
                missing.append("metadata.name")
            if missing:
                raise SystemExit(f"{source}: rendered object lacks {', '.join(missing)}:\n{text}")
            docs.append((source, text.strip("\n"), obj))
    return docs


def cmd_template(args: argparse.Namespace) -> int:
    docs = render(args)
    if args.json:
        print(json.dumps([{"__source__": src, **obj} for src, _, obj in docs], indent=1))
    else:
        for source, text, _ in docs:
            print(f"---\n# Source: {source}\n{text}")
    print(f"rendered {len(docs)} objects", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helm.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("chart")
        p.add_argument("-f", "--values", action="append", default=[], metavar="FILE")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")

    lint = sub.add_parser("lint", help="helm lint")
    common(lint)
    lint.add_argument("--strict", action="store_true", help="fail on warnings too")
    lint.set_defaults(func=cmd_lint)

    template = sub.add_parser("template", help="helm template")
    template.add_argument("release")
    common(template)
    template.add_argument("-n", "--namespace", default="default")
    template.add_argument("--json", action="store_true", help="print parsed objects as JSON")
    template.set_defaults(func=cmd_template)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except helm.HelmError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
