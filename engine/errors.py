"""Errors for bad user input: one line that names the file, where and what."""

from __future__ import annotations

import reprlib

QUOTE_CHARS = 80  # a bad value is quoted this far: a 4,000-digit number is not a message

_REPR = reprlib.Repr()
_REPR.maxlevel = 3  # nested 500 deep: repr() itself would recurse past the limit
_REPR.maxstring = QUOTE_CHARS
_REPR.maxlong = QUOTE_CHARS
_REPR.maxother = QUOTE_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 6


PATH_CHARS = 2 * QUOTE_CHARS  # a path longer than this is shown by its two ends


def shown_path(path: str) -> str:
    """``path`` as an error names it: whole, or (a 5,000-character name) its start and the
    end that holds the file name, so the message stays one line."""
    if len(path) <= PATH_CHARS:
        return path
    return path[: QUOTE_CHARS // 2] + "..." + path[-(PATH_CHARS - QUOTE_CHARS // 2 - 3) :]


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """``repr(value)`` cut to about ``limit`` characters, whatever its size or depth."""
    try:
        text = _REPR.repr(value)
    except (ValueError, RecursionError):  # an int past sys.get_int_max_str_digits()
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(Exception):
    """A scenario file, DTB or argument is wrong.

    The CLI prints ``str(error)`` on one line and exits with status 2.
    ``source`` is the file (or argument) at fault, ``where`` the dotted field
    or byte offset, ``line`` the line number when known.
    """

    def __init__(
        self, source: str, reason: str, *, where: str | None = None, line: int | None = None
    ) -> None:
        self.source = source
        self.reason = reason
        self.where = where
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        source = shown_path(self.source)
        head = source if self.line is None else f"{source}:{self.line}"
        parts = [head]
        if self.where:  # an unknown key of any length is part of the dotted field
            where = self.where
            parts.append(where if len(where) <= QUOTE_CHARS else where[: QUOTE_CHARS - 3] + "...")
        parts.append(" ".join(self.reason.split()))
        return printable(": ".join(parts))


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped (``\\x1b``, ``\\u202e``): a node
    name or file name from a user's file must not move the terminal's cursor, clear it
    or split the one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
