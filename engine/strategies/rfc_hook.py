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

from engine.process import Process

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
    reason = f"dlpar_cpu_add core {core}"
    if not sim.hole.loaded:
        sim.hole_never_written(reason)
        return
    calls_per_node = 1 + len(sim.machine.template.prop_names)
    update = sim.begin_lockless_update(
        reason, "2021", deletes=_CPUS_REBUILD_CALLS + cpus_props, calls_per_node=calls_per_node
    )
    # the nodes come back one by one as a function of time (no event per node)
    yield sim.env.timeout(update.torn.end_s - sim.env.now)
    sim.end_lockless_update(update)
