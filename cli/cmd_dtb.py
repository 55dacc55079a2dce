"""``kdump-storm dtb SCENARIO -o FILE.dtb``: the FDT as it stands in the hole at an instant."""

from __future__ import annotations

import argparse
import sys

from cli.commands import help_of
from cli.to_stdout import STDOUT, check_output, write_output
from engine.errors import InputError
from engine.scenario.names import STRATEGY_NAMES

NAME = "dtb"
HELP = help_of(NAME)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(NAME, help=HELP, description=HELP)
    p.set_defaults(run=run)
    p.add_argument("scenario", help="scenario file (TOML)")
    p.add_argument(
        "--strategy",
        choices=STRATEGY_NAMES,
        metavar="NAME",
        help="strategy (default: the first of the scenario's [compare] list)",
    )
    p.add_argument(
        "--at",
        type=float,
        metavar="SECONDS",
        help="simulated instant (default: the end of the run)",
    )
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE.dtb", help="'-' writes the DTB to stdout"
    )
    p.add_argument("--force", action="store_true", help="replace an existing output file")


def run(args: argparse.Namespace) -> int:
    # the engine loads when the command runs, not for `kdump-storm --help` (issue 10)
    from engine.run.explain import PROVENANCE_TEXT, FdtProvenance
    from engine.run.session import Session
    from engine.scenario.load import load_scenario

    scenario = load_scenario(args.scenario)
    strategy = args.strategy or scenario.strategies[0]
    at = scenario.duration_s if args.at is None else args.at
    if not 0 <= at <= scenario.duration_s:
        raise InputError("--at", f"{at:g} s is outside the run (0 to {scenario.duration_s:g} s)")
    check_output(args.output, force=args.force, option="-o")
    session = Session(scenario, strategy, args.seed)
    session.advance_to(at)
    blob = session.fdt_blob()
    provenance = session.fdt_provenance()
    if provenance != FdtProvenance.LIVE:
        print(f"{args.output}: {PROVENANCE_TEXT[provenance]}", file=sys.stderr)
    path = write_output(args.output, blob, force=args.force, option="-o")
    # with `-o -` stdout carries the DTB itself (for `| dtc -I dtb`): the summary goes aside
    print(
        f"{path}: {len(blob)} bytes, {strategy} at {session.now_s:g} s "
        f"({len(session.hole.cpu_nodes())} CPU nodes)",
        file=sys.stderr if args.output == STDOUT else sys.stdout,
    )
    return 0
