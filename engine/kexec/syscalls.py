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

from engine.run.trace import RecordKind

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
    """``kexec -p -u``: trylock, ``kimage_free(xchg(dest_image, NULL))``, unlock (no time)."""
    image = sim.image
    if not image.try_lock(UNLOAD_HOLDER):
        return LoadResult.EBUSY
    image.loaded = False
    image.unlock(UNLOAD_HOLDER)
    sim.refresh()
    return LoadResult.LOADED
    yield  # a generator, so callers `yield from` it like the load


def load_phases(sim: Simulation, load_s: float) -> tuple[float, float, float]:
    """(start-up, build and digest, copy) seconds of one load of ``load_s``."""
    copy_s = min(load_s, sim.load_copy_bytes() / sim.kdump.copy_bandwidth_bytes_per_s)
    build_s = min(load_s - copy_s, sim.kdump.build_digest_s)
    return load_s - build_s - copy_s, build_s, copy_s


def kexec_crash_load(sim: Simulation, load_s: float) -> SyscallProcess:
    """One ``kexec -p`` (or ``kexec -s -p``) run of ``load_s``, by the scenario's syscall."""
    env, trace, image = sim.env, sim.trace, sim.image
    syscall = sim.kdump.syscall
    startup_s, build_s, copy_s = load_phases(sim, load_s)
    trace.add(env.now, RecordKind.LOAD_START, syscall=syscall)
    yield env.timeout(startup_s)
    file_load = syscall == "kexec_file_load"
    if file_load and not _enter(sim):
        return LoadResult.EBUSY
    # kexec-tools (kexec_load) or the kernel (kexec_file_load) reads the machine now
    trace.add(env.now, RecordKind.LOAD_BUILD, syscall=syscall, locked=file_load)
    snapshot = sim.snapshot_for_load()
    write = sim.hole_writes.load_read_machine(env.now)
    yield env.timeout(build_s)
    if not file_load and not _enter(sim):
        sim.hole_writes.load_abandoned(write)
        return LoadResult.EBUSY
    image.busy_segments.update(ALL_SEGMENTS)
    sim.refresh()
    yield env.timeout(copy_s)
    ok = sim.install_snapshot(snapshot)
    sim.hole_writes.load_wrote(write, env.now)
    image.busy_segments.clear()
    image.loaded = ok
    image.hotplug_support = ok and sim.kdump.hotplug
    image.unlock(LOAD_HOLDER)
    trace.add(env.now, RecordKind.LOCK_RELEASED, holder=LOAD_HOLDER)
    if ok:
        trace.add(
            env.now,
            RecordKind.LOAD_END,
            ok=True,
            fdt_bytes=snapshot.fdt_bytes,
            cpu_threads=len(sim.hole.fdt_threads()),
            hotplug=image.hotplug_support,
        )
    else:
        trace.add(env.now, RecordKind.LOAD_END, ok=False, error="FDT does not fit its segment")
    sim.refresh()
    return LoadResult.LOADED if ok else LoadResult.NO_FIT


def _enter(sim: Simulation) -> bool:
    """The syscall's ``kexec_trylock()``, then ``kimage_free(xchg(&kexec_crash_image, NULL))``."""
    env, trace, image = sim.env, sim.trace, sim.image
    if not image.try_lock(LOAD_HOLDER):
        trace.add(env.now, RecordKind.LOAD_END, ok=False, error="EBUSY")
        sim.refresh()
        return False
    trace.add(env.now, RecordKind.LOCK_TAKEN, holder=LOAD_HOLDER)
    image.loaded = False
    image.hotplug_support = False
    sim.refresh()
    return True
