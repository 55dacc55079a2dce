"""``kdumpctl reload`` (kdump-utils): its instance lock, then unload, then a full load.

- ``single_instance_lock()``: ``flock -n 9``, then ``flock -w 5 9`` in a loop.
  ``flock -w`` is a blocking wait: it returns as soon as the holder's lock
  goes, and the 5 s only repeats the "waiting for it to exit" message. When
  several instances wait, the kernel wakes them all and whichever runs first
  takes the lock: no fixed order. We draw the winner from the seed (stream
  ``kdumpctl.lock``).
- ``reload()``: ``stop_kdump`` (``kexec -p -u``), and only if that succeeded
  ``start_dump`` -> ``load_kdump`` (``kexec -p ...``). A failed unload (EBUSY:
  the unload syscall's ``kexec_trylock()`` met a held lock) prints
  "Stopping kdump: [FAILED]" and loads nothing: the image stays as it was.
- openSUSE ``load.sh`` runs ``kexec -p ... -a`` only: a load with no unload.

Userspace calls the syscalls; what they do to the image and the kexec lock
is the simulation's (``engine.run.image_changes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from engine.process import Process
from engine.run.trace import RecordKind

if TYPE_CHECKING:
    from engine.run.simulation import Simulation

# every segment a full load copies (kexec_trylock() never waits: a busy lock is EBUSY)
ALL_SEGMENTS = frozenset({"kernel", "initrd", "purgatory", "elfcorehdr", "fdt"})


class KdumpctlLock:
    """kdumpctl's ``/run/lock/kdump``: one holder; waiters wake in a seed-drawn order."""

    def __init__(self, sim: Simulation) -> None:
        self.env = sim.env
        self.trace = sim.trace
        self.rng = sim.streams.get("kdumpctl.lock")
        self.holder: str | None = None
        self._waiters: list[tuple[str, simpy.Event]] = []

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def acquire(self, why: str) -> Process:
        """``flock -n``; if held, ``flock -w 5`` until the holder exits."""
        if self.holder is None:
            self.holder = why
            return
        woken = self.env.event()
        self._waiters.append((why, woken))
        self.trace.add(self.env.now, RecordKind.RELOAD_QUEUED, why=why, waiting=len(self._waiters))
        yield woken

    def release(self) -> None:
        """The holder exits: one waiter, drawn at random, takes the lock at once."""
        if not self._waiters:
            self.holder = None
            return
        i = self.rng.randrange(len(self._waiters))
        self._waiters[i], self._waiters[-1] = self._waiters[-1], self._waiters[i]
        why, woken = self._waiters.pop()
        self.holder = why
        woken.succeed()


def kdumpctl_reload(sim: Simulation, why: str) -> Process:
    """One ``kdumpctl reload`` process: the instance lock, then unload and load."""
    lock = sim.kdumpctl_lock
    yield from lock.acquire(why)
    try:
        yield from kdump_reload(sim, why)
    finally:
        lock.release()


def kdump_reload(sim: Simulation, why: str) -> Process:
    """``reload()``: unload; only if it succeeded, load.

    The unload syscall frees the image at the start of the unload step;
    ``kdump.reload.unload`` is the time from it to the load starting (the
    rest of ``kexec -p -u``, then kdumpctl's checks before ``load_kdump``).
    So the window with no image is unload + load long.
    """
    unload_s = sim.kdump.reload.unload.draw(sim.streams.get("reload.unload"))
    load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.load"))
    unload = sim.unload_image(why)
    if unload is None:
        return  # EBUSY: "Stopping kdump: [FAILED]", nothing loaded
    yield sim.env.timeout(unload_s)
    sim.end_unload(unload)
    yield from kdump_load(sim, load_s, cpu_s=unload_s + load_s, after_unload=unload)


def kdump_load(
    sim: Simulation, load_s: float, *, cpu_s: float | None = None, after_unload: int | None = None
) -> Process:
    """``kexec -p ...``: prepare in userspace, then the load syscall under the kexec lock.

    With ``kexec_load`` kexec-tools reads the machine when it starts; with
    ``kexec_file_load`` the kernel reads it inside the syscall.
    """
    env = sim.env
    spent_s = load_s if cpu_s is None else cpu_s
    load = sim.begin_load(sim.kdump.syscall, after_unload=after_unload)
    if sim.kdump.syscall == "kexec_load":
        snapshot = sim.snapshot_for_load()
    copy_bytes = sim.load_copy_bytes()
    copy_s = min(load_s, copy_bytes / sim.kdump.copy_bandwidth_bytes_per_s)
    yield env.timeout(load_s - copy_s)

    lock = sim.begin_copy("kexec-load", ALL_SEGMENTS)
    if lock is None:
        # kexec_trylock() failed: the syscall returns EBUSY and the image stays as it was
        sim.end_load(load, cpu_s=spent_s, copied_bytes=0, ok=False, error="EBUSY")
        return
    if sim.kdump.syscall == "kexec_file_load":
        snapshot = sim.snapshot_for_load()
    yield env.timeout(copy_s)
    if sim.finish_copy(lock, "kexec-load", snapshot):
        sim.end_load(
            load,
            cpu_s=spent_s,
            copied_bytes=copy_bytes,
            ok=True,
            fdt_bytes=snapshot.fdt_bytes,
            cpu_threads=len(sim.hole.fdt_threads()),
        )
    else:
        sim.end_load(
            load,
            cpu_s=spent_s,
            copied_bytes=copy_bytes,
            ok=False,
            error="FDT does not fit its segment",
        )
