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

from engine.devicetree.fdt_hole import UpdateOutcome
from engine.run.trace import RecordKind
from engine.strategies.base import Process

if TYPE_CHECKING:
    from engine.run.simulation import Simulation

HOLDER = "crash-hotplug"


def kernel_update(sim: Simulation, what: str, *, reason: str) -> Process:
    """``crash_handle_hotplug_event()`` for one thread or memory block.

    ``what``: "cpus" (rewrite /cpus in the FDT), "elfcorehdr" (rebuild the ELF
    header), or "none" (an event the architecture ignores, e.g. CPU removal on
    powerpc, which still takes the locks). The image is NULL while it runs.
    """
    env, image, trace = sim.env, sim.image, sim.trace
    with sim.update_mutex.request() as turn:
        yield turn
        if not image.try_lock(HOLDER):
            trace.add(
                env.now,
                RecordKind.UPDATE_SKIP,
                what=what,
                reason=reason,
                lock_holder=image.lock_holder,
                message="kexec_trylock() failed, kdump image may be inaccurate",
            )
            sim.count_update(skipped=True)
            return
        if not image.loaded:
            image.unlock(HOLDER)  # "Check kdump is not loaded": nothing to update
            return
        if not image.hotplug_support:
            image.unlock(HOLDER)
            if what != "none":
                trace.add(
                    env.now,
                    RecordKind.UPDATE_SKIP,
                    what=what,
                    reason=reason,
                    lock_holder=None,
                    message="image->hotplug_support is 0: the kernel leaves the image alone",
                )
            return
        trace.add(env.now, RecordKind.UPDATE_START, what=what, reason=reason)
        image.null = True
        moved_bytes = 0
        outcome = "updated"
        if what == "cpus":
            image.busy_segments.add("fdt")
            result, moved_bytes = sim.update_fdt_in_place(form="2024")
            outcome = result.value
        elif what == "elfcorehdr":
            image.busy_segments.add("elfcorehdr")
            ok, moved_bytes = sim.update_elfcorehdr()
            outcome = "updated" if ok else "too-large"
        sim.refresh()
        spec = sim.kdump.kernel_update
        yield env.timeout(spec.fixed_s + moved_bytes / spec.bandwidth_bytes_per_s)
        image.null = False
        image.busy_segments.clear()
        image.unlock(HOLDER)
        if outcome == UpdateOutcome.NOSPACE.value:
            trace.add(
                env.now,
                RecordKind.UPDATE_NOSPACE,
                what=what,
                reason=reason,
                error="FDT_ERR_NOSPACE",
                hole_bytes=sim.hole.size_bytes,
            )
        else:
            trace.add(
                env.now,
                RecordKind.UPDATE_END,
                what=what,
                reason=reason,
                outcome=outcome,
                moved_bytes=moved_bytes,
            )
        sim.count_update(
            skipped=False, nospace=outcome == UpdateOutcome.NOSPACE.value, moved_bytes=moved_bytes
        )
        sim.refresh()
