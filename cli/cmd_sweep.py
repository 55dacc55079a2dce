"""``kdump-storm sweep SCENARIO --vary KEY=VALUES ...``: a grid of runs on Dask, aggregated.

Prints the aggregate table (mean and 95% interval over seeds per point and
strategy), writes every row with ``-o``, draws the chart with ``--plot`` /
``--plot-file``. Everything is checked before the first run starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cli.commands import help_of
from engine.errors import InputError
from engine.scenario.names import STRATEGY_NAMES

NAME = "sweep"
HELP = help_of(NAME)
EPILOG = """\
examples:
  kdump-storm sweep scenarios/hole_too_small.toml --vary kdump.fdt_hole=24KiB..40KiB/2KiB \\
      --strategy fdt-hole --metric fdt_hole.nospace --plot
  kdump-storm sweep scenarios/default.toml --vary storm.0.every=100ms..1s/300ms \\
      --strategy udev-throttled --strategy crash-hotplug --seeds 5 -o results.csv
"""


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        NAME,
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(run=run)
    p.add_argument(
        "scenario",
        help="scenario file (TOML), or a sweep file with a [sweep] table (scenarios/sweeps/)",
    )
    p.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="KEY=VALUES",
        help="a dotted scenario key (kdump.fdt_hole, storm.0.every, ...) and its values: "
        "a list (64KiB,128KiB) or a range with a step in the key's units (100ms..1s/100ms); "
        "repeat for a grid (the product)",
    )
    p.add_argument(
        "--strategy",
        action="append",
        choices=STRATEGY_NAMES,
        metavar="NAME",
        help="strategy (repeatable; default the scenario's [compare] list): "
        + ", ".join(STRATEGY_NAMES),
    )
    p.add_argument(
        "--seeds",
        type=_count,
        metavar="N",
        help="runs per point: the scenario's seed and the N-1 after it (default 1)",
    )
    p.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="metric to aggregate and plot, a key of `run --format json` flattened with dots "
        "(exposure_s, fdt_hole.nospace, monte_carlo.p_captured; default exposure_s)",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write every row to FILE.csv or FILE.parquet"
    )
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--plot", action="store_true", help="draw the first metric in the terminal")
    p.add_argument("--plot-file", metavar="F.png|F.svg", help="write the chart as an image")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_count,
        metavar="N",
        help="local Dask worker processes (default: one per CPU); 0 runs in this process",
    )
    where.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="submit to a running Dask scheduler"
    )


def _check_output(path: str | None, formats: tuple[str, ...], option: str, force: bool) -> None:
    """Refuse a bad output name before anything runs, not after the sweep."""
    if path is None:
        return
    if Path(path).suffix.lower() not in formats:
        raise InputError(path, f"{option}: use a {' or '.join(formats)} file name")
    from engine.output_file import check_output_path  # not paid for by --help

    check_output_path(path, force=force, option=option)


def aggregate_table(keys: tuple[str, ...], aggregates: list, metrics: tuple[str, ...]) -> str:
    """One line per (point, strategy): the values, runs, and each metric's mean [95% interval]."""
    head = [*keys, "strategy", "runs", *(f"{m} mean [95%]" for m in metrics)]
    rows = [head]
    for agg in aggregates:
        cells = [s.value.text for s in agg.point.settings]
        ok = agg.runs - agg.failed
        cells += [agg.strategy, f"{ok}/{agg.runs}" + (" (errors)" if agg.failed else "")]
        for m in metrics:
            iv = agg.interval(m)
            if iv.mean is None:
                cells.append("-")
            elif iv.lo is None or iv.hi is None:
                cells.append(f"{iv.mean:.6g}")
            else:
                cells.append(f"{iv.mean:.6g} [{iv.lo:.6g}, {iv.hi:.6g}]")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def run(args: argparse.Namespace) -> int:
    from cli.progress import Progress
    from cli.sweep_plot import IMAGE_FORMATS, image_bytes, terminal_chart
    from engine.output_file import write_new_file
    from engine.sweep.aggregate import aggregate
    from engine.sweep.chart import chart
    from engine.sweep.execute import run_dask, run_local
    from engine.sweep.grid import parse_vary
    from engine.sweep.plan import make_plan
    from engine.sweep.spec import read_sweep_spec
    from engine.sweep.table import FORMATS, results_bytes

    _check_output(args.output, FORMATS, "-o", args.force)
    _check_output(args.plot_file, IMAGE_FORMATS, "--plot-file", args.force)
    spec = read_sweep_spec(args.scenario)
    path = os.path.normpath(spec.scenario) if spec else args.scenario
    axes = [parse_vary(v) for v in (*(spec.vary if spec else ()), *args.vary)]
    plan = make_plan(
        path,
        axes,
        strategies=args.strategy or (spec.strategies if spec else ()),
        seeds=args.seeds or (spec.seeds if spec else None) or 1,
        metrics=args.metric or (spec.metrics if spec else ()),
    )
    progress = Progress(len(plan.tasks))

    def on_row(row: object) -> None:
        progress.advance(failed=bool(getattr(row, "error", "")))

    try:
        if args.workers == 0:
            outcome = run_local(plan.tasks, on_row)
        else:
            outcome = run_dask(
                plan.tasks, workers=args.workers, scheduler=args.scheduler, on_row=on_row
            )
    finally:
        progress.close()
    rows = outcome.rows
    if args.output:
        data = results_bytes(args.output, plan.source, plan.keys, rows)
        write_new_file(args.output, data, force=args.force, option="-o")
    aggregates = aggregate(rows, plan.metrics)
    print(aggregate_table(plan.keys, aggregates, plan.metrics))
    drawn = chart(aggregates, plan.metrics[0])
    if args.plot:
        print()
        print(terminal_chart(drawn, color=sys.stdout.isatty()))
    if args.plot_file:
        write_new_file(
            args.plot_file,
            image_bytes(drawn, args.plot_file),
            force=args.force,
            option="--plot-file",
        )
    failed = sum(1 for r in rows if r.error)
    if failed:
        first = next(r for r in rows if r.error)
        where = first.point.label() or "the scenario"
        print(
            f"kdump-storm: {failed} of {len(rows)} runs failed; first: "
            f"{where} {first.strategy} seed {first.seed}: {first.error}",
            file=sys.stderr,
        )
    if outcome.interrupted:
        kept = f"; rows kept in {args.output}" if args.output else ""
        print(
            f"kdump-storm: interrupted: {len(rows)} of {len(plan.tasks)} runs done{kept}",
            file=sys.stderr,
        )
        return 130
    return 1 if failed else 0  # the rows are written either way; a script should know
