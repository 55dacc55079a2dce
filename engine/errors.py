"""Errors for bad user input: one line that names the file, where and what."""

from __future__ import annotations


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
        head = self.source if self.line is None else f"{self.source}:{self.line}"
        parts = [head]
        if self.where:
            parts.append(self.where)
        parts.append(" ".join(self.reason.split()))
        return ": ".join(parts)
