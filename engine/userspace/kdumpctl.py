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

Userspace calls the syscalls, ``engine.kexec.syscalls`` (``kexec_unload``,
``kexec_crash_load``): they own where the kexec lock is held and when the image
goes; what they do to the image is the simulation's (``engine.run.image_changes``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from engine.kexec.syscalls import LoadResult, kexec_crash_load, kexec_unload
from engine.process import Process, start
from engine.run.trace import RecordKind

if TYPE_CHECKING:
    from engine.run.simulation import Simulation


class KdumpctlLock:
    """kdumpctl's ``/run/lock/kdump``: one holder; waiters wake in a seed-drawn order.

    A waiter is only its name: the winner's reload is started when it takes the lock
    (``resume``), not kept as a suspended process, so a backlog of 60k queued reloads
    (udev-reload, 64k memory blocks) is 60k strings.
    """

    def __init__(self, sim: Simulation) -> None:
        self.env = sim.env
        self.trace = sim.trace
        self.rng = sim.streams.get("kdumpctl.lock")
        self.holder: str | None = None
        self._waiters: list[str] = []
        self._sim = sim

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def acquire(self, why: str) -> bool:
        """``flock -n``: True when taken; if held, ``flock -w 5`` until the holder exits."""
        if self.holder is None:
            self.holder = why
            return True
        self._waiters.append(why)
        self.trace.add(self.env.now, RecordKind.RELOAD_QUEUED, why=why, waiting=len(self._waiters))
        return False

    def release(self) -> None:
        """The holder exits: one waiter, drawn at random, takes the lock at once."""
        if not self._waiters:
            self.holder = None
            return
        i = self.rng.randrange(len(self._waiters))
        self._waiters[i], self._waiters[-1] = self._waiters[-1], self._waiters[i]
        why = self._waiters.pop()
        self.holder = why
        # flock returns in the waiter: its wake-up is an event of this instant, as the
        # blocked process's would be, and the rest of its reload starts from it
        woken = self.env.event()
        woken.callbacks.append(lambda _event: self._resume(why))
        woken.succeed()

    def _resume(self, why: str) -> None:
        start(self.env, _reload_holding_lock(self._sim, why))


def kdumpctl_reload(sim: Simulation, why: str) -> Process:
    """One ``kdumpctl reload`` process: the instance lock, then unload and load.

    Its callers start it and wait for nothing (systemd-run's transient unit, the
    throttler's last line), so a waiter returns at once and the lock starts the rest
    when this instance wins it, at the instant the blocked process would have woken.
    """
    if sim.kdumpctl_lock.acquire(why):
        yield from _reload_holding_lock(sim, why)


def _reload_holding_lock(sim: Simulation, why: str) -> Process:
    try:
        yield from kdump_reload(sim, why)
    finally:
        sim.kdumpctl_lock.release()


def kdump_reload(sim: Simulation, why: str) -> Process:
    """``reload()``: unload; only if it succeeded, load.

    ``kdump.reload.unload`` is the ``kexec -p -u`` command up to its syscall,
    which frees the image (``engine.kexec.syscalls.kexec_unload``); the window
    with no image runs from there to the end of the load. With
    ``kexec_file_load`` most of the load holds the kexec lock. An unload that
    finds the lock held fails with EBUSY and kdumpctl loads nothing.
    """
    unload_s = sim.kdump.reload.unload.draw(sim.streams.get("reload.unload"))
    load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.load"))
    unload = yield from kdump_unload(sim, why, unload_s)
    if unload is not None:
        yield from kdump_load(sim, load_s, before_s=unload_s, after_unload=unload)


def kdump_unload(sim: Simulation, why: str, unload_s: float) -> Generator[Any, Any, int | None]:
    """``kexec -p -u``: the command for ``unload_s``, then its syscall.

    Returns the unload's span, None on EBUSY.
    """
    unload = sim.unload_image(why)
    yield sim.env.timeout(unload_s)
    result = yield from kexec_unload(sim)
    if result is LoadResult.EBUSY:
        # "Stopping kdump: [FAILED]": the image stays as it was, nothing is loaded
        sim.end_unload(
            unload,
            ok=False,
            error="EBUSY",
            lock_holder=sim.image.lock_holder,
            message="kexec: failed to unload kdump kernel; Stopping kdump: [FAILED]",
        )
        return None
    sim.end_unload(unload)
    return unload


def kdump_load(
    sim: Simulation, load_s: float, *, before_s: float = 0.0, after_unload: int | None = None
) -> Process:
    """``kexec -p ...`` (kdumpctl ``load_kdump``, SUSE ``load.sh``): the load syscall.

    ``before_s``: CPU time spent before it (the unload), counted with the reload;
    ``after_unload``: the unload span it completes, so the trace pairs the reload.
    """
    yield from kexec_crash_load(sim, load_s, before_s=before_s, after_unload=after_unload)


def kdump_start(sim: Simulation) -> Process:
    """``kdumpctl start`` at boot (kdump.service): one load, no unload; not a reload."""
    load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.start"))
    yield from kexec_crash_load(sim, load_s, reload=False)
