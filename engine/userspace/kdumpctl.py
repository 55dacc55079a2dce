"""``kdumpctl reload``: unload, then a full load that re-copies every segment.

kdump-utils ``kdumpctl`` ``reload()``: ``stop`` (``kexec -p -u``) then ``start``
(``kexec -p ...`` or ``kexec -s -p ...``). The syscalls themselves, with their
kexec lock spans, are ``engine.kexec.syscalls``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.kexec.syscalls import LoadResult, kexec_crash_load, kexec_unload
from engine.process import Process

if TYPE_CHECKING:
    from engine.run.simulation import Simulation


def kdump_reload(sim: Simulation, why: str) -> Process:
    """Unload (the image is gone once its syscall runs), then load.

    The window with no usable image runs from the unload syscall to the end of
    the load; with ``kexec_file_load`` most of the load holds the kexec lock.
    An unload that finds the lock held fails with EBUSY and kdumpctl loads nothing.
    """
    env = sim.env
    unload_s = sim.kdump.reload.unload.draw(sim.streams.get("reload.unload"))
    load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.load"))
    unload = sim.unload_image(why)
    yield env.timeout(unload_s)
    unloaded = yield from kexec_unload(sim)
    if unloaded is LoadResult.EBUSY:
        sim.end_unload(unload, ok=False, error="EBUSY")
        return
    sim.end_unload(unload)
    yield from kexec_crash_load(sim, load_s, before_s=unload_s)


def kdump_start(sim: Simulation) -> Process:
    """``kdumpctl start`` at boot (kdump.service): one load, no unload; not a reload."""
    load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.start"))
    yield from kexec_crash_load(sim, load_s, reload=False)
