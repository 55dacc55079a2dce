"""Usage errors the way the ecosystem prints them: one line, exit 2, a hint for typos.

argparse prints the whole usage block and ``kdump-storm run: error: argument
--seed: invalid int value: 'abc'``; we print ``kdump-storm: run: --seed: invalid
int value 'abc'``, the ``PROG: CONTEXT: REASON`` shape of ``InputError`` lines.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path
from typing import NoReturn

_INVALID = re.compile(r"^(invalid \S+ value): ")


def one_line(prog: str, message: str) -> str:
    """``kdump-storm run`` + ``argument --seed: invalid int value: 'abc'`` -> one line."""
    message = message.removeprefix("argument ")
    head, sep, tail = message.partition(": ")
    if sep:
        message = head + ": " + _INVALID.sub(r"\1 ", tail)
    return f"{': '.join(prog.split())}: {message}"


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(one_line(self.prog, message), file=sys.stderr)
        raise SystemExit(2)


def unknown_command(first: str, commands: set[str] | frozenset[str]) -> str | None:
    """The reason ``first`` is not a command, or None when it may be a scenario file.

    A word that is no file, has no path separator and no suffix is a misspelled
    command far more often than a scenario file name (``kdump-storm valdate``).
    """
    if first.startswith("-") or "/" in first or "." in first or Path(first).exists():
        return None
    close = difflib.get_close_matches(first, sorted(commands), n=1, cutoff=0.6)
    if close:
        return f"unknown command {first!r}; did you mean {close[0]!r}?"
    return f"unknown command {first!r}; commands: {', '.join(sorted(commands))}"
