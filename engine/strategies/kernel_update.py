"""An in-kernel update of the loaded image: the RFC's hook and upstream crash hotplug.

No source publishes how long one takes: the model is a fixed cost plus the
bytes libfdt (or the elfcorehdr rebuild) moves, at a memory bandwidth. Both
are scenario parameters (``[kdump.kernel_update]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    with sim.update_mutex.request() as turn:
        yield turn
        holder = "crash-hotplug" if null_image else "crash-fdt-update"
        if not sim.lock_for_update(holder, what, reason):
            return  # skipped: the image is left as it was
        if not sim.image.loaded:
            sim.release_lock(holder)  # nothing loaded: nothing to update
            return
        update = sim.begin_kernel_update(holder, what, reason, null_image=null_image)
        spec = sim.kdump.kernel_update
        yield sim.env.timeout(spec.fixed_s + update.moved_bytes / spec.bandwidth_bytes_per_s)
        sim.end_kernel_update(update)
