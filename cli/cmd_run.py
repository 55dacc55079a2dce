"""``kdump-storm run SCENARIO``: replay a storm under each strategy, print the metrics."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from cli.outputs import write_new_file
from engine.errors import InputError
from engine.run.metrics import Metrics
from engine.run.outcomes import Outcome
from engine.run.session import Session
from engine.scenario.load import STRATEGIES, Scenario, load_scenario
from engine.units import format_size

NAME = "run"
HELP = "replay a scenario headless under one or more strategies and print their metrics"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(NAME, help=HELP, description=HELP)
    p.set_defaults(run=run)
    p.add_argument("scenario", help="scenario file (TOML), e.g. scenarios/default.toml")
    p.add_argument(
        "--strategy",
        action="append",
        choices=STRATEGIES,
        metavar="NAME",
        help="strategy to run (repeatable; default: the scenario's [compare] list). "
        f"One of: {', '.join(STRATEGIES)}",
    )
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument(
        "--trace",
        metavar="FILE.jsonl",
        help="write every trace record as JSON Lines (a 'strategy' key per line)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --trace file")


def run_strategies(
    scenario: Scenario, strategies: list[str] | tuple[str, ...], seed: int | None = None
) -> dict[str, Session]:
    """Each strategy replays the same storm with the same random streams, to the end."""
    sessions = {}
    for name in strategies:
        session = Session(scenario, name, seed)
        session.run_to_end()
        sessions[name] = session
    return sessions


def _fmt_s(value: float | None) -> str:
    return "never" if value is None else f"{value:.3f}"


def _probe_cell(got: Outcome | None) -> str:
    if got is None:
        return "-"
    return got.result.value + (f" ({got.cause.value})" if got.cause else "")


ROWS: list[tuple[str, Callable[[Metrics], str]]] = [
    ("exposure (s)", lambda m: _fmt_s(m.exposure_s)),
    ("at risk (s)", lambda m: _fmt_s(m.at_risk_s)),
    ("incomplete dump (s)", lambda m: _fmt_s(m.incomplete_s)),
    ("no-dump windows", lambda m: str(m.windows.count)),
    ("longest window (s)", lambda m: _fmt_s(m.windows.max_s)),
    ("reloads", lambda m: str(m.reloads)),
    ("reload time (s)", lambda m: _fmt_s(m.reload_cpu_s)),
    ("bytes copied", lambda m: format_size(m.bytes_copied)),
    ("uevents", lambda m: str(m.uevents)),
    ("dropped uevents", lambda m: str(m.dropped_uevents)),
    ("kernel updates", lambda m: str(m.kernel_updates)),
    ("skipped updates", lambda m: str(m.skipped_updates)),
    ("settle (s)", lambda m: _fmt_s(m.settle_s)),
    (
        "FDT segment/hole",
        lambda m: (
            format_size(m.fdt_hole.size_bytes) + (" hole" if m.fdt_hole.in_place else " segment")
        ),
    ),
    ("FDT peak used", lambda m: format_size(m.fdt_hole.peak_used_bytes)),
    ("FDT_ERR_NOSPACE", lambda m: str(m.fdt_hole.nospace)),
    (
        "P(captured) MC",
        lambda m: "{:.4f} [{:.4f}, {:.4f}]".format(m.monte_carlo.p_captured, *m.monte_carlo.ci95),
    ),
    ("trace digest", lambda m: m.trace_digest[:16]),
]


def comparison_table(scenario: Scenario, sessions: dict[str, Session]) -> str:
    """Rows of metrics, one column per strategy, plus each crash probe's outcome."""
    metrics = {name: s.metrics() for name, s in sessions.items()}
    names = list(metrics)
    rows: list[list[str]] = [["", *names]]
    for label, get in ROWS:
        rows.append([label, *(get(metrics[n]) for n in names)])
    for i, probe in enumerate(scenario.crash.probes):
        cells = []
        for n in names:
            probes = metrics[n].probes
            cells.append(_probe_cell(probes[i] if i < len(probes) else None))
        rows.append([f"probe {probe.at_s:g}s cpu={probe.cpu}", *cells])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    head = (
        f"{scenario.name} - seed {next(iter(sessions.values())).seed}, "
        f"{scenario.duration_s:g} s simulated"
    )
    lines = [head, ""]
    for r in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    strategies = args.strategy or list(scenario.strategies)
    if args.trace and Path(args.trace).exists() and not args.force:
        raise InputError(args.trace, "--trace: file exists; pass --force to replace it")
    sessions = run_strategies(scenario, strategies, args.seed)
    if args.format == "json":
        out = {
            "scenario": scenario.name,
            "file": scenario.source,
            "seed": next(iter(sessions.values())).seed,
            "duration_s": scenario.duration_s,
            "strategies": {n: s.metrics().as_dict() for n, s in sessions.items()},
        }
        print(json.dumps(out, indent=2))  # strategies in the order asked
    else:
        print(comparison_table(scenario, sessions))
    if args.trace:
        lines = []
        for name, session in sessions.items():
            for record in session.records:
                lines.append(
                    json.dumps(
                        {"strategy": name, **json.loads(record.to_json())},
                        sort_keys=True,
                        separators=(",", ":"),
                    )
                )
        write_new_file(
            args.trace, ("\n".join(lines) + "\n").encode(), force=args.force, option="--trace"
        )
    return 0
