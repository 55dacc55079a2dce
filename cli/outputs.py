"""Writing user-named files: atomically, and never over an existing file unless asked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from engine.errors import InputError


def write_new_file(path: str | Path, data: bytes, *, force: bool, option: str) -> Path:
    """Write ``data`` to ``path`` via a temporary file and rename.

    An existing file is kept (InputError) unless ``force``: a user's file is
    never lost to a typo in ``-o``.
    """
    target = Path(path)
    if target.is_dir():
        raise InputError(str(target), f"{option} names a directory, not a file")
    if target.exists() and not force:
        raise InputError(str(target), f"{option}: file exists; pass --force to replace it")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(str(target), f"{option}: directory {str(parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
