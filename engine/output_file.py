"""The one writer of user-named output files (CLI ``-o``/``--trace`` and TUI exports).

A file is written under a temporary name in the target's own directory, flushed
to disk, then published under its name in one step: ``os.link`` (which fails if
the name exists, so nothing is replaced) or, with ``force``, ``os.replace``. A
reader therefore sees either no file or the whole file, never part of one, and
an existing file is never replaced unless asked. The temporary file is created
with mode 0666 so the kernel applies the umask, as for any file a shell makes;
on any failure it is removed. Every OS error becomes one ``InputError`` line.

What sits at the name decides what ``force`` may do: a regular file, or a
symlink that is dangling or loops, is replaced (the link itself, never the file
it points to); a directory, a device, a FIFO or a socket, or a symlink to one,
is never replaced.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from engine.errors import InputError

# errno -> what a user reads; anything else falls back to the OS's own words
_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EISDIR: "is a directory",
    errno.EFBIG: "file too large",
    errno.EIO: "input/output error",
}
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}
_TMP_PREFIX_CHARS = 32  # keep the temporary name short of NAME_MAX whatever the target
FRESH_NAME_TRIES = 10_000


def check_output_path(path: str | os.PathLike[str], *, force: bool, option: str) -> Path:
    """The target as a ``Path`` if it could be written now; ``InputError`` if not.

    Called before a long run, so a bad ``-o`` is refused before the work, not after:
    it creates (and removes) an empty temporary file where the real one will go.
    """
    target = _as_path(path, option)
    _check_target(target, force=force, option=option)
    parent = _parent(target)
    try:
        parent_mode = os.stat(parent).st_mode
    except OSError as err:
        raise _os_error(target, option, err, parent=parent) from None
    if not stat.S_ISDIR(parent_mode):
        raise InputError(_shown(target), f"{option}: {str(parent)!r} is not a directory")
    _discard(_stage(target, b"", option))  # can a file be created there at all (EROFS, /proc)?
    return target


def write_new_file(
    path: str | os.PathLike[str], data: bytes | Iterable[bytes], *, force: bool, option: str
) -> Path:
    """Write ``data`` (bytes, or chunks of bytes) to ``path`` whole, or not at all."""
    target = _as_path(path, option)
    _check_target(target, force=force, option=option)
    tmp = _stage(target, data, option)
    try:
        if force:
            _check_target(target, force=True, option=option)  # it may have changed meanwhile
            os.replace(tmp, target)
        else:
            try:
                _publish_new(tmp, target)
            except FileExistsError:  # appeared since the check: say what is there now
                _check_target(target, force=False, option=option)
                raise
    except InputError:
        _discard(tmp)
        raise
    except OSError as err:
        _discard(tmp)
        raise _os_error(target, option, err) from None
    except BaseException:
        _discard(tmp)
        raise
    _discard(tmp)  # after os.link the data lives on under the target's name
    return target


def write_fresh_file(
    directory: str | os.PathLike[str], stem: str, suffix: str, data: bytes | Iterable[bytes]
) -> Path:
    """Write ``data`` as ``stem + suffix`` in ``directory``, or ``stem-1``, ``stem-2``...

    The first free name is taken atomically, so a file that appears meanwhile is
    never replaced. The directory is created if missing (a TUI export directory).
    """
    folder = _as_path(directory, "export directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _os_error(folder, "export directory", err) from None
    first = folder / f"{stem}{suffix}"
    tmp = _stage(first, data, "export")
    try:
        for n in range(FRESH_NAME_TRIES):
            target = first if n == 0 else folder / f"{stem}-{n}{suffix}"
            try:
                _publish_new(tmp, target)
            except FileExistsError:
                continue
            return target
        raise InputError(_shown(first), f"no free name after {FRESH_NAME_TRIES} tries")
    except OSError as err:
        raise _os_error(first, "export", err) from None
    finally:
        _discard(tmp)


# -- the steps -------------------------------------------------------------------------


def _as_path(path: str | os.PathLike[str], option: str) -> Path:
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        raise InputError(option, "needs a file name, got an empty one")
    if "\0" in text:
        raise InputError(option, f"file name contains a NUL byte: {_quote(text)}")
    return Path(text)


def _parent(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _check_target(target: Path, *, force: bool, option: str) -> None:
    """Refuse a directory or special file at the name, and anything at all without force."""
    try:
        here = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as err:
        raise _os_error(target, option, err) from None
    kind = _kind(target, here)
    if kind == "a directory":
        raise InputError(_shown(target), f"{option} names a directory, not a file")
    if kind not in ("a file", "a dangling symlink", "a symlink loop"):
        raise InputError(_shown(target), f"{option} names {kind}; only a regular file is written")
    if not force:
        what = "file exists" if kind == "a file" else f"{kind} is there"
        raise InputError(_shown(target), f"{option}: {what}; pass --force to replace it")


def _kind(target: Path, here: os.stat_result) -> str:
    if stat.S_ISLNK(here.st_mode):
        try:
            there = os.stat(target)
        except FileNotFoundError:
            return "a dangling symlink"
        except OSError as err:
            if err.errno == errno.ELOOP:
                return "a symlink loop"
            return "a symlink that cannot be followed"
        if stat.S_ISREG(there.st_mode):
            return "a file"
        return f"a symlink to {_kind_of_mode(there.st_mode)}"
    return _kind_of_mode(here.st_mode)


def _kind_of_mode(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _stage(target: Path, data: bytes | Iterable[bytes], option: str) -> Path:
    """A temporary file next to ``target`` holding ``data``, flushed to the disk."""
    parent = _parent(target)
    prefix = f".{target.name[:_TMP_PREFIX_CHARS]}."
    while True:
        tmp = parent / f"{prefix}{secrets.token_hex(4)}.tmp"
        try:
            # 0o666 and no fchmod: the kernel applies the umask, as for a shell's `>`
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        except OSError as err:
            raise _os_error(target, option, err, creating_in=parent) from None
        break
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in [data] if isinstance(data, bytes | bytearray) else data:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except OSError as err:
        _discard(tmp)
        raise _os_error(target, option, err) from None
    except BaseException:
        _discard(tmp)
        raise
    return tmp


def _publish_new(tmp: Path, target: Path) -> None:
    """Give ``tmp`` the name ``target`` unless that name exists (``FileExistsError``)."""
    try:
        os.link(tmp, target, follow_symlinks=False)
        return
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in _NO_LINKS:
            raise
    _rename_noreplace(tmp, target)  # a file system without hard links (vfat, some FUSE)


def _rename_noreplace(tmp: Path, target: Path) -> None:
    """``renameat2(RENAME_NOREPLACE)``: the rename that fails if ``target`` exists."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOTSUP, "the file system cannot publish a file without replacing")
    at_fdcwd, rename_noreplace = -100, 1
    done = renameat2(at_fdcwd, os.fsencode(tmp), at_fdcwd, os.fsencode(target), rename_noreplace)
    if done != 0:
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise FileExistsError(code, os.strerror(code), str(target))
        raise OSError(code, os.strerror(code), str(target))


def _discard(tmp: Path) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    except OSError:
        pass  # nothing more can be done; the write's own error is the one to report


def _os_error(
    target: Path,
    option: str,
    err: OSError,
    *,
    parent: Path | None = None,
    creating_in: Path | None = None,
) -> InputError:
    reason = _REASONS.get(err.errno or 0) or (err.strerror or str(err))
    if err.errno == errno.ENOENT and parent is not None:
        reason = f"directory {_quote(str(parent))} does not exist"
    elif err.errno == errno.ENOENT and creating_in is not None:
        if os.path.isdir(creating_in):  # /proc: the directory is there, new files are not
            reason = f"no file can be created in {_quote(str(creating_in))}"
        else:
            reason = f"directory {_quote(str(creating_in))} does not exist"
    elif err.errno == errno.EEXIST:
        reason = "file exists; pass --force to replace it"
    return InputError(_shown(target), f"{option}: cannot write: {reason}")


def _shown(path: Path, limit: int = 80) -> str:
    text = str(path)
    return text if len(text) <= limit else text[:limit] + "..."


def _quote(text: str, limit: int = 80) -> str:
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown)
