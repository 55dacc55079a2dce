"""Exports that never overwrite: each file is created with O_EXCL under a fresh name."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def write_new(directory: Path, stem: str, suffix: str, chunks: Iterable[bytes]) -> Path:
    """Write ``chunks`` to ``stem + suffix`` in ``directory``, or ``stem-1``, ``stem-2``...

    The first name that does not exist yet is taken atomically (``O_CREAT | O_EXCL``),
    so an existing user file is never touched, even if it appears meanwhile.
    """
    directory.mkdir(parents=True, exist_ok=True)
    data = b"".join(chunks)
    for n in range(10_000):
        path = directory / (f"{stem}{suffix}" if n == 0 else f"{stem}-{n}{suffix}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return path
    raise FileExistsError(f"no free name for {stem}{suffix} in {directory}")


def stem_for(strategy: str, now_s: float, what: str) -> str:
    """``kdump-storm-fdt-hole-t12.500s-fdt``: what, which run and when, in the name."""
    return f"kdump-storm-{strategy}-t{now_s:.3f}s-{what}"
