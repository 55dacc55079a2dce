"""Reading a file the user named: every OS error becomes one line naming the file."""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import InputError


def read_user_file(path: str | os.PathLike[str], *, max_bytes: int = -1, prefix: str = "") -> bytes:
    """The file's bytes (at most ``max_bytes + 1`` when a limit is given).

    A missing file, a directory or no permission raises ``InputError(path,
    prefix + reason)``; the caller checks the size against its own limit.
    """
    source = str(path)
    try:
        with open(Path(path), "rb") as handle:
            return handle.read(max_bytes + 1 if max_bytes >= 0 else -1)
    except FileNotFoundError:
        raise InputError(source, prefix + "no such file") from None
    except IsADirectoryError:
        raise InputError(source, prefix + "is a directory, not a file") from None
    except PermissionError:
        raise InputError(source, prefix + "permission denied") from None
    except OSError as err:
        raise InputError(source, f"cannot read: {err.strerror or err}") from None
