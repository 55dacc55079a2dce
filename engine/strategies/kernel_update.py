"""Upstream crash hotplug's in-kernel update of the loaded image.

kernel/crash_core.c ``crash_handle_hotplug_event()`` (Linux 6.6; powerpc 6.10):
``crash_hotplug_lock()`` (a mutex), then ``kexec_trylock()`` - busy: "kexec_trylock()
failed, kdump image may be inaccurate" and nothing is updated; no image, or an image
without ``hotplug_support``: nothing; otherwise ``arch_crash_handle_hotplug_event()``
(powerpc, arch/powerpc/kexec/crash.c: ``update_crash_fdt()`` -> ``update_cpus_node()``
in its 2024 form on CPU add, the elfcorehdr rebuilt on memory events, nothing on
CPU removal) under the lock. "Errors in the callback is not a reason to rollback
state": a NOSPACE leaves the FDT as far as libfdt got.

No source publishes how long one takes: the model is a fixed cost plus the bytes
libfdt (or the elfcorehdr rebuild) moves, at a memory bandwidth
(``[kdump.kernel_update]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.process import Process

if TYPE_CHECKING:
    from engine.run.simulation import Simulation

HOLDER = "crash-hotplug"


def kernel_update(sim: Simulation, what: str, *, reason: str) -> Process:
    """``crash_handle_hotplug_event()`` for one thread or memory block.

    ``what``: "cpus" (rewrite /cpus in the FDT), "elfcorehdr" (rebuild the ELF
    header), or "none" (an event the architecture ignores, e.g. CPU removal on
    powerpc, which still takes the locks). The image is NULL while it runs.
    """
    mutex = sim.update_mutex  # crash_hotplug_lock()
    yield mutex.lock()
    yield from _update_locked(sim, what, reason)
    mutex.unlock()


def _update_locked(sim: Simulation, what: str, reason: str) -> Process:
    if not sim.lock_for_update(HOLDER, what, reason):
        return  # skipped: the image is left as it was
    if not sim.image.loaded:
        sim.release_lock(HOLDER)  # "Check kdump is not loaded": nothing to update
        return
    if not sim.image.hotplug_support:
        sim.skip_update_without_hotplug_support(HOLDER, what, reason)
        return
    update = sim.begin_kernel_update(HOLDER, what, reason, null_image=True)
    yield sim.env.timeout(sim.kdump.kernel_update.duration_s(update.moved_bytes))
    sim.end_kernel_update(update)
