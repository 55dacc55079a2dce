"""``ppc64_cpu --smt=N``: threads on or off on every present core, with no DLPAR.

powerpc-utils ``src/ppc64_cpu.c`` ``set_smt_state()`` walks the present cores in
order and, on each with a thread online, ``set_one_smt_state()`` writes
``/sys/devices/system/cpu/cpuT/online`` = 1 for threads below N and 0 for the
others (a write of the current value is a no-op, not an event). Each write is one CPU hotplug in the
kernel: the cpuhp callbacks run per thread (so upstream crash hotplug's
``crash_handle_hotplug_event()`` runs per thread) and udev gets one
``online``/``offline`` uevent per thread. No core is DLPAR-added, so
``dlpar_cpu_add()`` and the RFC's hook at its end never run. The cores' nodes
list every thread whatever its state, so the FDT needs no change.
``every`` (default ``machine.thread_online``) spaces the per-thread steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.process import Process
from engine.run.trace import RecordKind
from engine.userspace.uevent import Action, Subsystem

if TYPE_CHECKING:
    from engine.run.simulation import Simulation
    from engine.run.storm import HotplugAction


def smt_switch(sim: Simulation, action: HotplugAction) -> Process:
    m, env = sim.machine, sim.env
    target = action.smt_mode if action.smt_mode is not None else m.smt
    target = min(target, m.smt)
    sim.trace.add(
        env.now, RecordKind.SMT_SWITCH, threads=target, was=m.smt_mode, phase=action.phase
    )
    m.smt_mode = target
    first = True
    for core in sorted(m.present_cores):
        for index, thread in enumerate(m.threads_of(core)):
            online = thread in m.online_set
            if (index < target) == online:
                continue
            if not first:
                yield env.timeout(action.every_s)
            first = False
            if index < target:
                prepare = sim.strategy.before_thread_online(thread)
                if prepare is not None:
                    yield from prepare
                if thread in m.online_set or core not in m.present_cores:
                    continue  # a DLPAR remove or another switch got there first
                m.online_thread(thread)
                sim.newest_thread = thread
                sim.refresh()
                sim.emit_uevent(Subsystem.CPU, Action.ONLINE, thread)
            else:
                if thread not in m.online_set or len(m.online_set) == 1:
                    continue
                m.offline_thread(thread)
                sim.refresh()
                sim.emit_uevent(Subsystem.CPU, Action.OFFLINE, thread)
                teardown = sim.strategy.after_thread_offline(thread)
                if teardown is not None:
                    yield from teardown
