"""The RFC's hook as written: ``update_cpus_node(kexec_crash_fdt)`` ending ``dlpar_cpu_add()``.

arch/powerpc/platforms/pseries/hotplug-cpu.c ``dlpar_cpu_add()`` with the RFC
("[RFC PATCH 0/5] Avoid kdump service reload on CPU hotplug events", Feb 2022):

    #ifdef CONFIG_KEXEC_CRASH_FDT
        /* kdump should be aware of new CPU */
        if (update_cpus_node(kexec_crash_fdt))
            pr_err("unable to update kexec crash fdt\\n");
    #endif

No mutex, no ``kexec_trylock()``, no check that an image is loaded, nothing set to
NULL: the update edits the hole whatever else is going on, with the 2021 form of
``update_cpus_node()`` (delete ``/cpus``, re-add it, copy its properties, re-add
every CPU node; cache nodes are dropped). What follows from that:

- a panic during the update boots the half-written tree: ``fdt-torn`` for a CPU
  whose node is not back yet (``engine.devicetree.update_progress``), else the
  dump is taken as usual;
- a load copying its FDT into the same hole may overwrite it, or land in the
  middle of it (``engine.kexec.hole_writes``); the trace says which write won.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.devicetree.fdt_hole import UpdateOutcome
from engine.devicetree.update_progress import TornUpdate, UpdateSpan, readd_times
from engine.run.trace import RecordKind
from engine.strategies.base import Process

if TYPE_CHECKING:
    from engine.run.simulation import Simulation

# calls before the first node is re-added in the 2021 form: fdt_del_node(/cpus),
# fdt_add_subnode(/, "cpus"), then one fdt_setprop per /cpus property
_CPUS_REBUILD_CALLS = 2


def rfc_update_cpus(sim: Simulation, core: int, cpus_props: int) -> Process:
    """One lock-free ``update_cpus_node(kexec_crash_fdt)`` after DLPAR-adding ``core``.

    ``cpus_props``: properties of the live ``/cpus`` node, which the 2021 form copies
    back before the first CPU node.
    """
    env, trace, hole, m = sim.env, sim.trace, sim.hole, sim.machine
    reason = f"dlpar_cpu_add core {core}"
    if not hole.loaded:
        # nothing was ever copied into the hole: fdt_path_offset() fails, pr_err()
        trace.add(env.now, RecordKind.UPDATE_END, what="cpus", reason=reason, outcome="badmagic")
        return
    span = UpdateSpan(reason, env.now)
    overlaps = sim.hole_writes.update_started(span)
    order = m.present_cores
    trace.add(
        env.now,
        RecordKind.UPDATE_START,
        what="cpus",
        reason=reason,
        form="2021",
        lock=None,
        image_loaded=sim.image.loaded,
        overlaps_load=overlaps,
    )
    result, moved_bytes = sim.update_fdt_in_place(form="2021")
    spec = sim.kdump.kernel_update
    duration_s = spec.fixed_s + moved_bytes / spec.bandwidth_bytes_per_s
    calls_per_node = 1 + len(m.template.prop_names)
    times = readd_times(
        env.now, duration_s, _CPUS_REBUILD_CALLS + cpus_props, len(order), calls_per_node
    )
    torn = TornUpdate(span, order, {c: tuple(m.threads_of(c)) for c in order})
    sim.torn = torn
    sim.refresh()
    for i, t_s in enumerate(times):
        yield env.timeout(t_s - env.now)
        torn.readded = i + 1
        sim.refresh()
    span.running = False
    if sim.torn is torn:
        sim.torn = None
    nospace = result is UpdateOutcome.NOSPACE
    trace.add(
        env.now,
        RecordKind.UPDATE_NOSPACE if nospace else RecordKind.UPDATE_END,
        what="cpus",
        reason=reason,
        **(
            {"error": "FDT_ERR_NOSPACE", "hole_bytes": hole.size_bytes}
            if nospace
            else {"outcome": result.value, "moved_bytes": moved_bytes}
        ),
        overwritten=span.overwritten_s is not None,
    )
    sim.count_update(skipped=False, nospace=nospace, moved_bytes=moved_bytes)
    sim.refresh()
