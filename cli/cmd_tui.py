"""``kdump-storm [tui] [SCENARIO] [--strategy NAME] [--compare A,B]``: the live Textual view.

When stdout is not a terminal there is nothing to watch: the headless
comparison table of the scenario (``kdump-storm run``) is printed instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.commands import help_of
from engine.errors import InputError, quote
from scenarios import DEFAULT

NAME = "tui"
HELP = help_of(NAME)
DEFAULT_SCENARIO = DEFAULT


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The TUI's arguments (also usable on the top-level parser for a bare ``kdump-storm``)."""
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help=f"scenario file (TOML); default {DEFAULT_SCENARIO.name}",
    )
    p.add_argument("--strategy", metavar="NAME", help="strategy to start with")
    p.add_argument("--compare", metavar="A,B", help="two strategies side by side, in lock step")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument(
        "--sweep",
        metavar="RESULTS",
        help="browse a sweep's rows (.csv or .parquet from `kdump-storm sweep -o`)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(NAME, help=HELP, description=HELP)
    add_arguments(p)
    p.set_defaults(run=run)


def strategies_from(args: argparse.Namespace, known: tuple[str, ...]) -> tuple[str, str | None]:
    """(primary strategy, compared strategy or None) from ``--strategy`` / ``--compare``."""
    compare = getattr(args, "compare", None)
    strategy = getattr(args, "strategy", None)
    if compare:
        names = [n.strip() for n in compare.split(",") if n.strip()]
        if len(names) != 2:
            raise InputError("--compare", f"needs two strategies A,B, got {quote(compare)}")
        first, second = names
    else:
        first, second = strategy or "udev-reload", None
    for name in (first, second):
        if name is not None and name not in known:
            raise InputError(
                "--compare" if compare else "--strategy",
                f"unknown strategy {quote(name)}; one of: {', '.join(known)}",
            )
    return first, second


def run(args: argparse.Namespace) -> int:
    from engine.scenario.load import load_scenario
    from engine.strategies import STRATEGY_NAMES

    if getattr(args, "sweep", None):
        return run_sweep_browser(args.sweep)
    path = Path(getattr(args, "scenario", None) or DEFAULT_SCENARIO)
    scenario = load_scenario(path)
    seed = getattr(args, "seed", None)
    # checked before the terminal test: a bad name fails the same way with or without one
    first, second = strategies_from(args, STRATEGY_NAMES)
    if not sys.stdout.isatty():
        from cli.cmd_run import comparison_table, run_strategies

        sessions = run_strategies(scenario, list(scenario.strategies), seed)
        print(comparison_table(scenario, sessions))
        return 0
    import time

    from tui.app import KdumpStormApp
    from tui.playback import Playback
    from tui.runs import Runs

    app = KdumpStormApp(
        Runs(scenario, path, [first, *([second] if second else [])], seed),
        playback=Playback(clock=time.monotonic),
        compare_with=second,
    )
    app.run()
    return 0


def run_sweep_browser(results_path: str) -> int:
    """The sweep browser; without a terminal, its aggregate table on stdout."""
    from engine.sweep.aggregate import aggregate
    from engine.sweep.table import read_results

    results = read_results(results_path)  # a bad file fails the same way with or without a tty
    if not sys.stdout.isatty():
        from cli.cmd_sweep import aggregate_table

        metric = "exposure_s" if "exposure_s" in results.metrics else results.metrics[0]
        print(aggregate_table(results.keys, aggregate(results.rows, [metric]), (metric,)))
        return 0
    from tui.screens.sweep import SweepApp, SweepScreen

    SweepApp(SweepScreen(results_path, results)).run()
    return 0
