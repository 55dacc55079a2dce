"""Usage errors the way the ecosystem prints them: one line, exit 2, a hint for typos.

argparse prints the whole usage block and ``kdump-storm run: error: argument
--seed: invalid int value: 'abc'``; we print ``kdump-storm: run: --seed: invalid
int value 'abc'``, the ``PROG: CONTEXT: REASON`` shape of ``InputError`` lines.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Set as AbstractSet

TYPE_CHECKING = False  # typing itself is a sixth of a bare start: not imported to run
if TYPE_CHECKING:
    from typing import NoReturn

_INVALID = re.compile(r"^(invalid \S+ value): ")


def one_line(prog: str, message: str) -> str:
    """``kdump-storm run`` + ``argument --seed: invalid int value: 'abc'`` -> one line."""
    message = message.removeprefix("argument ")
    head, sep, tail = message.partition(": ")
    if sep:
        message = head + ": " + _INVALID.sub(r"\1 ", tail)
    return f"{': '.join(prog.split())}: {message}"


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``'s answer (``$COLUMNS``, else the terminal's,
    else 80) without importing ``shutil``, which imports bz2, lzma and zlib: a tenth of
    ``--help``'s start-up for a number."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, told its width instead of asking ``shutil``."""

    def __init__(self, prog: str, **kwargs: int) -> None:
        kwargs.setdefault("width", terminal_columns() - 2)
        super().__init__(prog, **kwargs)  # type: ignore[arg-type]


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line on stderr and exit status 2."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        print(one_line(self.prog, message), file=sys.stderr)
        raise SystemExit(2)


def unknown_command(first: str, commands: AbstractSet[str]) -> str | None:
    """The reason ``first`` is not a command, or None when it may be a scenario file.

    A word that is no file, has no path separator and no suffix is a misspelled
    command far more often than a scenario file name (``kdump-storm valdate``).
    """
    if first.startswith("-") or "/" in first or "." in first or os.path.exists(first):
        return None
    import difflib  # only for a word that is no command: not paid for by every start

    close = difflib.get_close_matches(first, sorted(commands), n=1, cutoff=0.6)
    if close:
        return f"unknown command {first!r}; did you mean {close[0]!r}?"
    return f"unknown command {first!r}; commands: {', '.join(sorted(commands))}"
