"""``kdump-storm validate FILE...``: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cli.commands import help_of

# loaded when a file is validated, not for `kdump-storm --help` (issue 10)
if TYPE_CHECKING:
    from engine.scenario.load import Scenario

NAME = "validate"
HELP = help_of(NAME)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(NAME, help=HELP, description=HELP)
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario file (TOML)")
    p.set_defaults(run=run)


def summary(scenario: Scenario) -> str:
    """``2 storm phases, 320 uevents expected, strategies a, b`` for a valid scenario."""
    from engine.rng import RandomStreams
    from engine.run.storm import expand_storm, uevent_count

    actions = expand_storm(scenario, RandomStreams(scenario.seed))
    n = len(scenario.storms) + len(scenario.captures)
    parts = [f"{n} storm phase{'' if n == 1 else 's'}"]
    for storm in scenario.captures:
        ignored = sum(n for _, n in storm.ignored)
        parts.append(
            f"a {storm.form} capture ({storm.source}: {len(storm.steps)} steps"
            + (f", {ignored} other events ignored)" if ignored else ")")
        )
    if scenario.churn:
        c = len(scenario.churn)
        parts.append(f"{c} churn phase{'' if c == 1 else 's'}")
    parts.append(f"{uevent_count(scenario, actions)} uevents expected")
    parts.append(f"strategies {', '.join(scenario.strategies)}")
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    from engine.scenario.expense import expense_warnings
    from engine.scenario.load import check_scenario_file, load_scenario

    ok = True
    for path in args.files:
        errors = check_scenario_file(path)
        if errors:
            ok = False
            for err in errors:
                print(str(err), file=sys.stderr)
            continue
        scenario = load_scenario(path)
        for warning in expense_warnings(scenario):
            print(warning, file=sys.stderr)
        print(f"{path}: ok ({summary(scenario)})")
    return 0 if ok else 2
