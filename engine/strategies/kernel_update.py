"""An in-kernel update of the loaded image: the RFC's hook and upstream crash hotplug.

No source publishes how long one takes: the model is a fixed cost plus the
bytes libfdt (or the elfcorehdr rebuild) moves, at a memory bandwidth. Both
are scenario parameters (``[kdump.kernel_update]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.devicetree.fdt_hole import UpdateOutcome
from engine.run.trace import RecordKind
from engine.strategies.base import Process

if TYPE_CHECKING:
    from engine.run.simulation import Simulation


def kernel_update(sim: Simulation, what: str, *, null_image: bool, reason: str) -> Process:
    """Serialised by a mutex, then ``kexec_trylock()``; busy lock = update skipped.

    ``what``: "cpus" (rewrite /cpus in the FDT), "elfcorehdr" (rebuild the
    ELF header), or "none" (an event the architecture ignores, e.g. CPU
    removal on powerpc, which still takes the locks). With ``null_image`` the
    image is NULL while it runs (upstream); the RFC leaves it in place.
    """
    env, image, trace = sim.env, sim.image, sim.trace
    with sim.update_mutex.request() as turn:
        yield turn
        holder = "crash-hotplug" if null_image else "crash-fdt-update"
        if not image.try_lock(holder):
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
            image.unlock(holder)  # nothing loaded: nothing to update
            return
        trace.add(env.now, RecordKind.UPDATE_START, what=what, reason=reason)
        if null_image:
            image.null = True
        moved_bytes = 0
        outcome = "updated"
        if what == "cpus":
            image.busy_segments.add("fdt")
            result, moved_bytes = sim.update_fdt_in_place()
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
        image.unlock(holder)
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
