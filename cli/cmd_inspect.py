"""``kdump-storm inspect FILE.dtb``: what a DTB says about kdump FDT sizing."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.commands import help_of
from engine.errors import quote

NAME = "inspect"
HELP = help_of(NAME)
DEFAULT_HOLE = "1MiB"  # the RFC's fixed crash FDT hole


def _size(text: str) -> int:
    from engine.units import parse_size  # not paid for by --help

    try:
        value = parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"size must be above zero, got {quote(text)}")
    return value


def register(subparsers: Any) -> None:
    """Add the ``inspect`` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description="Read a flattened device tree (e.g. from QEMU -machine dumpdtb=FILE) "
        "and report its CPU topology and what it means for the kdump FDT hole.",
    )
    parser.add_argument("file", metavar="FILE.dtb", help="device tree blob to inspect")
    parser.add_argument(
        "--hole",
        type=_size,
        default=DEFAULT_HOLE,  # argparse runs a string default through _size
        metavar="SIZE",
        help=f"crash FDT hole size to check against (default {DEFAULT_HOLE})",
    )
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format"
    )
    parser.set_defaults(run=run)


def _show(key: str, value: object) -> str:
    if key == "hole_free_bytes" and isinstance(value, int) and value < 0:
        # a negative free size reads as a bug; say what it means
        return f"does not fit: the kdump FDT is {_show(key, -value)} larger than the hole"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and (
        key.endswith("bytes")
        or key.startswith("bytes_")
        or key in ("totalsize", "cpu_node_size_estimate")
    ):
        from engine.units import format_size

        return f"{value} B" if value < 1024 else f"{value} B ({format_size(value)})"
    return str(value)


def format_table(facts: dict[str, object]) -> str:
    """Aligned ``key  value`` lines, sizes with units."""
    width = max(len(key) for key in facts)
    return "\n".join(f"{key:<{width}}  {_show(key, value)}" for key, value in facts.items())


def run(args: argparse.Namespace) -> int:
    """Print the facts of ``args.file``; ``InputError`` propagates to main (exit 2)."""
    from engine.devicetree.inspect_dtb import inspect_dtb

    facts = inspect_dtb(args.file, hole_bytes=args.hole)
    if args.format == "json":
        print(json.dumps(facts, indent=2))
    else:
        print(format_table(facts))
    return 0
