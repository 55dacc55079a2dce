"""``-`` as an output name: standard output, the bytes as they are (``-o - | dtc -I dtb``)."""

from __future__ import annotations

import sys

STDOUT = "-"


def check_output(path: str | None, *, force: bool, option: str) -> None:
    """Refuse, before the run, an output the writer would refuse (``-`` always works)."""
    if path is not None and path != STDOUT:
        from engine.output_file import check_output_path  # not paid for by --help

        check_output_path(path, force=force, option=option)


def write_output(path: str, data: bytes, *, force: bool, option: str) -> str:
    """The one writer (``engine.output_file``), or stdout when ``path`` is ``-``."""
    if path == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return "<stdout>"
    from engine.output_file import write_new_file

    return str(write_new_file(path, data, force=force, option=option))
