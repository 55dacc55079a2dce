"""Reading a file the user named: every OS error becomes one line naming the file.

Only a regular file is read. The file is opened with ``O_NONBLOCK`` so that a
FIFO (which would block ``open`` until a writer comes) returns at once and is
then refused by its ``fstat``, like a character device (``/dev/zero`` would
never end) or a directory. At most ``max_bytes + 1`` bytes are read, so a
caller can tell "too large" without holding the whole of a large file.
"""

from __future__ import annotations

import errno
import os
import stat

from engine.errors import InputError, quote

_REASONS = {
    errno.ENOENT: "no such file",
    errno.EISDIR: "is a directory, not a file",
    errno.EACCES: "permission denied",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOTDIR: "a part of the path is not a directory",
}


def read_user_file(path: str | os.PathLike[str], *, max_bytes: int = -1, prefix: str = "") -> bytes:
    """The file's bytes (at most ``max_bytes + 1`` when a limit is given).

    A missing file, a directory, a FIFO, a device or no permission raises
    ``InputError(path, prefix + reason)``; the caller checks the size against its
    own limit.
    """
    source = os.fspath(path)
    if not isinstance(source, str):
        source = os.fsdecode(source)
    if "\0" in source:
        raise InputError(quote(source), prefix + "a file name cannot contain a NUL byte")
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise InputError(source, prefix + _reason(err)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(source, prefix + f"{_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(max_bytes + 1 if max_bytes >= 0 else -1)
    except OSError as err:
        raise InputError(source, prefix + _reason(err)) from None
    finally:
        os.close(fd)


def _reason(err: OSError) -> str:
    return _REASONS.get(err.errno or 0) or (err.strerror or str(err))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a FIFO"
    if stat.S_ISCHR(mode):
        return "is a character device"
    if stat.S_ISBLK(mode):
        return "is a block device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is a special file"
