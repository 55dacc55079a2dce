"""The kexec syscalls as the kernel runs them: where the kexec lock is held, when the image goes.

``kexec_load`` (kernel/kexec.c ``SYSCALL_DEFINE4(kexec_load)`` -> ``do_kexec_load()``):
kexec-tools reads ``/proc/device-tree`` and ``/proc/iomem``, builds every segment
and purgatory's SHA-256 digest in userspace, without the lock; the syscall then
takes ``kexec_trylock()`` (busy: ``-EBUSY``), frees the old crash image
(``kimage_free(xchg(&kexec_crash_image, NULL))``), copies the segments
(``kimage_load_segment()``), installs the new image and unlocks.

``kexec_file_load`` (kernel/kexec_file.c ``SYSCALL_DEFINE5(kexec_file_load)``): the
kernel does everything inside the syscall, under the lock taken at entry: it frees
the old image, reads the kernel and initrd (``kimage_file_alloc_init()``), builds
the FDT and elfcorehdr (``arch_kexec_kernel_image_load()``; powerpc
``elf64_load()``), digests every segment (``kexec_calculate_store_digests()``) and
copies them. A panic anywhere in that span finds the lock held: ``kexec-locked``.

An unload (``kexec -p -u``: ``do_kexec_load()`` with ``nr_segments == 0``, or
``KEXEC_FILE_UNLOAD``) is a trylock'd syscall too; it frees the image and returns.

Timing (an **assumption** split of one ``kexec -p`` run of ``load_s``, the
scenario's ``[kdump.reload] load``): the copy takes ``copy bytes /
copy_bandwidth``; the build and digest take ``kdump.build_digest`` (no source
times them); the rest, first, is the command starting up. Which of these run
under the lock depends on the syscall, as above.
"""

from __future__ import annotations

from collections.abc import Generator
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.run.simulation import Simulation

# every segment a full load copies
ALL_SEGMENTS = frozenset({"kernel", "initrd", "purgatory", "elfcorehdr", "fdt"})
LOAD_HOLDER = "kexec-load"
UNLOAD_HOLDER = "kexec-unload"


class LoadResult(StrEnum):
    LOADED = "loaded"
    EBUSY = "EBUSY"  # kexec_trylock() failed: nothing loaded (and, for a load, nothing freed)
    NO_FIT = "no-fit"  # the FDT does not fit its segment


SyscallProcess = Generator[Any, Any, LoadResult]


def kexec_unload(sim: Simulation) -> SyscallProcess:
    """``kexec -p -u``'s syscall: trylock, ``kimage_free(xchg(dest_image, NULL))``, unlock."""
    return LoadResult.LOADED if sim.unload_syscall(UNLOAD_HOLDER) else LoadResult.EBUSY
    yield  # a generator, so callers `yield from` it like the load


def load_phases(sim: Simulation, load_s: float) -> tuple[float, float, float]:
    """(start-up, build and digest, copy) seconds of one load of ``load_s``."""
    copy_s = min(load_s, sim.load_copy_bytes() / sim.kdump.copy_bandwidth_bytes_per_s)
    build_s = min(load_s - copy_s, sim.kdump.build_digest_s)
    return load_s - build_s - copy_s, build_s, copy_s


def kexec_crash_load(
    sim: Simulation,
    load_s: float,
    *,
    reload: bool = True,
    before_s: float = 0.0,
    after_unload: int | None = None,
) -> SyscallProcess:
    """One ``kexec -p`` (or ``kexec -s -p``) run of ``load_s``, by the scenario's syscall.

    ``before_s``: CPU time spent before it (the unload), counted with the reload.
    ``after_unload``: the span of the unload this load completes (one reload).
    """
    env = sim.env
    syscall = sim.kdump.syscall
    file_load = syscall == "kexec_file_load"
    startup_s, build_s, copy_s = load_phases(sim, load_s)
    copy_bytes = sim.load_copy_bytes()
    load = sim.begin_load(syscall, after_unload=after_unload)
    yield env.timeout(startup_s)
    lock = sim.enter_load_syscall(LOAD_HOLDER) if file_load else None
    if file_load and lock is None:
        sim.end_load(
            load, cpu_s=before_s + startup_s, copied_bytes=0, reload=reload, ok=False, error="EBUSY"
        )
        return LoadResult.EBUSY
    # kexec-tools (kexec_load) or the kernel (kexec_file_load) reads the machine now
    sim.load_builds(syscall, locked=file_load)
    snapshot = sim.snapshot_for_load()
    write = sim.hole_writes.load_read_machine(env.now)
    yield env.timeout(build_s)
    if not file_load:
        lock = sim.enter_load_syscall(LOAD_HOLDER)
    if lock is None:
        sim.hole_writes.load_abandoned(write)
        sim.end_load(
            load,
            cpu_s=before_s + startup_s + build_s,
            copied_bytes=0,
            reload=reload,
            ok=False,
            error="EBUSY",
        )
        return LoadResult.EBUSY
    sim.begin_copy(ALL_SEGMENTS)
    yield env.timeout(copy_s)
    ok = sim.finish_copy(lock, LOAD_HOLDER, snapshot)
    sim.hole_writes.load_wrote(write, env.now)
    detail: dict[str, object] = (
        {
            "ok": True,
            "fdt_bytes": snapshot.fdt_bytes,
            "cpu_threads": len(sim.hole.covered),  # the live set: no copy to count it
            "hotplug": sim.image.hotplug_support,
        }
        if ok
        else {"ok": False, "error": "FDT does not fit its segment"}
    )
    sim.end_load(load, cpu_s=before_s + load_s, copied_bytes=copy_bytes, reload=reload, **detail)
    return LoadResult.LOADED if ok else LoadResult.NO_FIT
