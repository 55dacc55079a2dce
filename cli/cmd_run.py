"""``kdump-storm run SCENARIO``: replay a storm under each strategy, print the metrics."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from cli.commands import help_of
from engine.scenario.names import STRATEGY_NAMES

# the engine proper loads when a run starts, not for `kdump-storm --help` (issue 10)
if TYPE_CHECKING:
    from engine.run.metrics import Metrics
    from engine.run.outcomes import Outcome
    from engine.run.run_meta import RunMeta
    from engine.run.session import Session
    from engine.scenario.load import Scenario

NAME = "run"
HELP = help_of(NAME)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(NAME, help=HELP, description=HELP)
    p.set_defaults(run=run)
    p.add_argument("scenario", help="scenario file (TOML), e.g. scenarios/default.toml")
    p.add_argument(
        "--strategy",
        action="append",
        choices=STRATEGY_NAMES,
        metavar="NAME",
        help="strategy to run (repeatable; default: the scenario's [compare] list). "
        f"One of: {', '.join(STRATEGY_NAMES)}",
    )
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument(
        "--capture",
        metavar="FILE",
        help="replay this `udevadm monitor` or `journalctl -o json` capture from t = 0 "
        "instead of the scenario's [[storm]] tables",
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="table (default); json; csv: one row per strategy, the metric keys as columns",
    )
    p.add_argument(
        "--trace",
        metavar="FILE.jsonl",
        help="write every trace record as JSON Lines (a metadata line, then a 'strategy' key "
        "per record); '-' for stdout",
    )
    p.add_argument(
        "--perfetto",
        metavar="FILE.json",
        help="write the run as a Perfetto trace (Trace Event JSON: open it in ui.perfetto.dev)",
    )
    p.add_argument(
        "--series",
        metavar="FILE.csv",
        help="write readiness and cumulative exposure over time, per strategy, as CSV",
    )
    p.add_argument("--force", action="store_true", help="replace existing output files")


def run_strategies(
    scenario: Scenario, strategies: list[str] | tuple[str, ...], seed: int | None = None
) -> dict[str, Session]:
    """Each strategy replays the same storm with the same random streams, to the end."""
    from engine.run.session import Session

    sessions = {}
    for name in strategies:
        session = Session(scenario, name, seed)
        session.run_to_end()
        sessions[name] = session
    return sessions


def _size(n: int) -> str:
    from engine.units import format_size  # not paid for by --help

    return format_size(n)


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
    ("bytes copied", lambda m: _size(m.bytes_copied)),
    ("uevents", lambda m: str(m.uevents)),
    ("dropped uevents", lambda m: str(m.dropped_uevents)),
    ("kernel updates", lambda m: str(m.kernel_updates)),
    ("skipped updates", lambda m: str(m.skipped_updates)),
    ("settle (s)", lambda m: _fmt_s(m.settle_s)),
    ("udev drained (s)", lambda m: _fmt_s(m.udev_drained_s)),
    (
        "FDT segment/hole",
        lambda m: _size(m.fdt_hole.size_bytes) + (" hole" if m.fdt_hole.in_place else " segment"),
    ),
    ("FDT peak used", lambda m: _size(m.fdt_hole.peak_used_bytes)),
    ("FDT_ERR_NOSPACE", lambda m: str(m.fdt_hole.nospace)),
    (
        "P(captured) MC",
        lambda m: "{:.4f} [{:.4f}, {:.4f}]".format(m.monte_carlo.p_captured, *m.monte_carlo.ci95),
    ),
    ("trace digest", lambda m: m.trace_digest[:16]),
]


def comparison_table(scenario: Scenario, sessions: dict[str, Session]) -> str:
    """Rows of metrics, one column per strategy, plus each crash probe's outcome."""
    from engine.run.definitions import footnote

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
    lines += ["", "Definitions:", footnote()]
    return "\n".join(lines)


OUTPUTS = (("trace", "--trace"), ("perfetto", "--perfetto"), ("series", "--series"))


def run(args: argparse.Namespace) -> int:
    from cli.to_stdout import check_output, write_output
    from engine.run.exports import metrics_csv, series_csv, trace_jsonl
    from engine.run.perfetto import perfetto_json
    from engine.run.run_meta import run_meta
    from engine.scenario.expense import expense_warnings
    from engine.scenario.load import load_scenario

    scenario = load_scenario(args.scenario, capture=args.capture)
    strategies = args.strategy or list(scenario.strategies)
    # every output file is checked before the run: a typo costs nothing and prints nothing
    for attr, option in OUTPUTS:
        check_output(getattr(args, attr, None), force=args.force, option=option)
    for warning in expense_warnings(scenario, len(strategies)):
        print(warning, file=sys.stderr)  # before the work, so a user can stop it
    sessions = run_strategies(scenario, strategies, args.seed)
    meta = run_meta(scenario.name, scenario.source, next(iter(sessions.values())).seed, strategies)
    if args.format == "json":
        print(json.dumps(run_document(meta, scenario, sessions), indent=2))
    elif args.format == "csv":
        metrics = {n: s.metrics().as_dict() for n, s in sessions.items()}
        print(metrics_csv(meta, metrics), end="")
    else:
        print(comparison_table(scenario, sessions))
    views = list(sessions.values())
    if args.trace is not None:
        write_output(args.trace, trace_jsonl(meta, views), force=args.force, option="--trace")
    if args.perfetto is not None:
        data = perfetto_json(meta, views)
        write_output(args.perfetto, data, force=args.force, option="--perfetto")
    if args.series is not None:
        data = series_csv(meta, views).encode()
        write_output(args.series, data, force=args.force, option="--series")
    return 0


def run_document(meta: RunMeta, scenario: Scenario, sessions: dict[str, Session]) -> dict:
    """``run --format json``: the metadata, and each strategy's metrics with its own name."""
    return {
        **meta.as_dict(),
        "duration_s": scenario.duration_s,
        "strategies": {
            n: {**meta.for_strategy(n), **s.metrics().as_dict()} for n, s in sessions.items()
        },  # in the order asked
    }
