"""``kdump-storm``: dispatch to one module per subcommand; bad input exits 2 on one line.

Each command module exposes ``register(subparsers)`` (adds its parser and sets
``run`` as the default) and ``run(args) -> int``. Adding a command is one line in
``cli.commands.COMMANDS``; only the command being run imports its module.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from cli.commands import COMMANDS, NAMES
from cli.usage import OneLineParser, unknown_command
from engine.errors import InputError

PROG = "kdump-storm"

DEFAULT_COMMAND = "tui"


def default_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Only reached if no command could be inferred: print help."""
    parser.print_help()
    return 0


def with_default_command(argv: Sequence[str], commands: AbstractSet[str]) -> list[str]:
    """``kdump-storm``, ``kdump-storm FILE.toml`` and ``kdump-storm --compare A,B`` mean the TUI."""
    args = list(argv)
    if not args:
        return [DEFAULT_COMMAND]
    first = args[0]
    if first in commands or first in ("-h", "--help", "--version"):
        return args
    reason = unknown_command(first, commands)
    if reason is not None:
        raise InputError(PROG, reason)
    return [DEFAULT_COMMAND, *args]


class _Version(argparse.Action):
    """``--version``, reading the package metadata only when asked (importlib.metadata is
    a third of ``--help``'s start-up otherwise)."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        from engine.version import TOOL_VERSION

        print(f"{PROG} {TOOL_VERSION}")
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser: every command in ``cli.commands.COMMANDS`` registered by its
    module, or with ``only`` just that one (the rest are listed by name and help without
    importing their modules: ``--help`` and a command's own start stay cheap)."""
    parser = OneLineParser(
        prog=PROG,
        description="Watch and measure what CPU and memory hotplug storms do to Linux kdump.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        if only is None or command.name == only:
            importlib.import_module(command.module).register(subparsers)
        else:  # never the one parsed: main() builds the parser for argv's command
            subparsers.add_parser(command.name, help=command.help, add_help=False)
    parser.set_defaults(_commands=NAMES)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (2 for bad input or usage)."""
    try:
        argv = with_default_command(sys.argv[1:] if argv is None else argv, NAMES)
    except InputError as err:
        print(f"{PROG}: {err.reason}", file=sys.stderr)
        return 2
    parser = build_parser(only=argv[0] if argv[0] in NAMES else "")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: usage error (2) or --help (0)
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        run = getattr(args, "run", None)
        if run is None:
            return default_command(parser, args)
        status = int(run(args))
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return status
    except InputError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kdump-storm run ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
