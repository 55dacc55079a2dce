"""``kdump-storm reproduce [--format table|json] [CASE...]``: the published measurements.

Runs the shipped cases (``scenarios/reproduce/*.toml``) or the files named,
prints published value, source, measured or estimated, model value,
tolerance and verdict; exits 1 when a case misses, with the reason.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli.commands import help_of

NAME = "reproduce"
HELP = help_of(NAME)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(NAME, help=HELP, description=HELP)
    p.add_argument("cases", nargs="*", metavar="CASE", help="case files (default: the shipped set)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(run=run)


def _table(results: list) -> str:
    lines = []
    header = f"{'quantity':22} {'published':>10} {'kind':9} {'model':>10} {'tolerance':>12} verdict"
    for result in results:
        case = result.case
        lines.append(f"{case.path.name}: {case.scenario.name} [{case.strategy}]")
        for p in case.parameters:
            lines.append(f"  parameter {p.key}: {p.figure}")
        lines.append("  " + header)
        for c in result.checks:
            d = c.as_dict()
            model = "-" if d["model"] is None else f"{d['model']:.4g}{d['unit']}"
            lines.append(
                f"  {d['quantity']:22} {d['published']:>9g}{d['unit']:1} {d['kind']:9} "
                f"{model:>10} {d['tolerance']:>12} {d['verdict'].upper()}"
            )
            lines.append(f"    source: {d['source']}")
            if d["reason"]:
                lines.append(f"    {d['verdict']}: {d['reason']}")
        lines.append("")
    misses = sum(not r.ok for r in results)
    lines.append(
        f"{len(results)} cases, {misses} missed"
        + ("" if misses else "; every published figure holds or its conflict is stated")
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from engine.run.reproduce import case_files, reproduce
    from scenarios import DIRECTORY

    paths = [Path(p) for p in args.cases] or case_files(DIRECTORY / "reproduce")
    results = reproduce(paths)
    if args.format == "json":
        body = {"cases": [r.as_dict() for r in results], "ok": all(r.ok for r in results)}
        print(json.dumps(body, indent=2))
    else:
        print(_table(results))
    return 0 if all(r.ok for r in results) else 1
