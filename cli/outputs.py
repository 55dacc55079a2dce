"""Writing user-named files: atomically, and never over an existing file unless asked."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from engine.errors import InputError

STDOUT = "-"  # `-o -`: the conventional name for standard output


def check_new_file(path: str | Path, *, force: bool, option: str) -> Path:
    """Refuse, before any work is done, a target that ``write_new_file`` would refuse."""
    target = Path(path)
    if target.is_dir():
        raise InputError(str(target), f"{option} names a directory, not a file")
    if target.exists() and not force:
        raise InputError(str(target), f"{option}: file exists; pass --force to replace it")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(str(target), f"{option}: directory {str(parent)!r} does not exist")
    return target


def write_new_file(path: str | Path, data: bytes, *, force: bool, option: str) -> Path:
    """Write ``data`` to ``path`` via a temporary file and rename.

    An existing file is kept (InputError) unless ``force``: a user's file is
    never lost to a typo in ``-o``. The file gets the mode any new file gets
    (0666 less the umask), not ``mkstemp``'s private 0600.
    """
    target = check_new_file(path, force=force, option=option)
    parent = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_output(path: str, data: bytes, *, force: bool, option: str) -> str:
    """``write_new_file``, or standard output (bytes as they are) when ``path`` is ``-``."""
    if path == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return "<stdout>"
    return str(write_new_file(path, data, force=force, option=option))


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask
