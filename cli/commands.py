"""The subcommands: name, module and one-line help of each, declared once, in help order.

``kdump-storm --help`` lists them from this table without importing a single command
module (issue 10: start-up); the command being run imports its module, whose
``register(subparsers)`` adds its full parser. Adding a command is one line here.
"""

from __future__ import annotations


class Command:
    """One subcommand (a plain class: ``dataclasses`` imports ``inspect``, a fifth of a
    bare start)."""

    __slots__ = ("name", "module", "help")

    def __init__(self, name: str, module: str, help: str) -> None:
        self.name = name
        self.module = module  # exposes register(subparsers) and run(args) -> int
        self.help = help


COMMANDS: tuple[Command, ...] = (
    Command("tui", "cli.cmd_tui", "watch a storm race kdump live (default command)"),
    Command(
        "run",
        "cli.cmd_run",
        "replay a scenario headless under one or more strategies and print their metrics",
    ),
    Command(
        "validate",
        "cli.cmd_validate",
        "check scenario files without running them; print every problem, one per line",
    ),
    Command(
        "dtb",
        "cli.cmd_dtb",
        "write the kdump FDT as it stands in its segment or hole at a simulated instant",
    ),
    Command(
        "inspect",
        "cli.cmd_inspect",
        "facts about a DTB: cores, bytes per CPU node, how many more cores fit a hole",
    ),
    Command(
        "reproduce",
        "cli.cmd_reproduce",
        "rerun the published kdump/udev measurements and compare the model with them",
    ),
    Command(
        "sweep",
        "cli.cmd_sweep",
        "run a scenario over a grid of values x strategies x seeds (on Dask) and aggregate",
    ),
)

NAMES: frozenset[str] = frozenset(c.name for c in COMMANDS)


def help_of(name: str) -> str:
    """The one-line help of command ``name`` (its module's ``HELP``)."""
    return next(c.help for c in COMMANDS if c.name == name)
