"""The hotplug requests of one run: a DLPAR core add or remove, a memory block change.

Mixed into ``Simulation``: pseries ``dlpar_cpu_add()`` / ``dlpar_cpu_remove()``
(arch/powerpc/platforms/pseries/hotplug-cpu.c) and ``dlpar_memory()``
(hotplug-memory.c), each thread's cpuhp steps and the uevents they emit. The
request lock that serialises them is ``Simulation._run_action``.
"""

from __future__ import annotations

import simpy

from engine.machine.topology import Machine
from engine.run.storm import HotplugAction
from engine.run.trace import RecordKind, Trace
from engine.scenario.load import Scenario
from engine.strategies.base import Process, Strategy
from engine.userspace.uevent import Action, Subsystem


class DlparRequests:
    """The per-request processes of ``Simulation`` (mixed in; the attributes are its own)."""

    env: simpy.Environment
    trace: Trace
    machine: Machine
    scenario: Scenario
    strategy: Strategy
    newest_thread: int | None
    _adding: set[int]
    _removing: set[int]

    def refresh(self) -> None:
        raise NotImplementedError

    def emit_uevent(self, subsystem: Subsystem, action: Action, ident: int) -> None:
        raise NotImplementedError

    def _core_add(self, action: HotplugAction) -> Process:
        m = self.machine
        if len(m.present_cores) >= m.cores_possible or action.target in m.present_cores:
            return  # the storm promised not to; a guard, not a path
        core = m.add_core(action.target)  # a captured add names its core
        self._adding.add(core)
        # dlpar_online_cpu() onlines the threads the SMT mode allows (Linux 6.6,
        # "powerpc/pseries: Honour current SMT state when DLPAR onlining CPUs")
        threads = list(action.threads or m.threads_in_mode(core))
        self.trace.add(
            self.env.now,
            RecordKind.CORE_ADD,
            core=core,
            node=m.template.node_name(core, m.smt),
            threads=threads,
            phase=action.phase,
        )
        self.refresh()
        for i, thread in enumerate(threads):
            if i:
                yield self.env.timeout(action.gap_s(i, self.scenario.machine.thread_online_s))
            yield from self.thread_online_step(thread)
        self._adding.discard(core)
        hook = self.strategy.after_core_added(core)
        if hook is not None:
            yield from hook

    def thread_online_step(self, thread: int) -> Process:
        """cpuhp: the prepare states (crash hotplug's update), the thread online, its uevent."""
        prepare = self.strategy.before_thread_online(thread)
        if prepare is not None:
            yield from prepare
        self.machine.online_thread(thread)
        self.newest_thread = thread
        self.refresh()
        self.emit_uevent(Subsystem.CPU, Action.ONLINE, thread)

    def _core_remove(self, action: HotplugAction) -> Process:
        m = self.machine
        # a core being offlined by an earlier, overlapping remove is already taken
        # a core still being onlined is not a candidate either (its next online_thread
        # would find it gone)
        busy = self._removing | self._adding
        removable = [c for c in m.present_cores if c != 0 and c not in busy]
        if action.target is not None:  # a captured remove names its core (it may be core 0)
            removable = [c for c in m.present_cores if c == action.target]
        if not removable or len(m.present_cores) == 1:
            return
        core = max(removable)
        self._removing.add(core)
        for i, thread in enumerate(action.threads or reversed(list(m.threads_of(core)))):
            if i:
                yield self.env.timeout(action.gap_s(i, self.scenario.machine.thread_online_s))
            if thread in m.online_set:
                yield from self.thread_offline_step(thread)
        m.remove_core(core)
        self._removing.discard(core)
        self.trace.add(self.env.now, RecordKind.CORE_REMOVE, core=core, phase=action.phase)
        self.refresh()

    def thread_offline_step(self, thread: int) -> Process:
        """The thread offline, its uevent, then the teardown states (crash hotplug's handler)."""
        self.machine.offline_thread(thread)
        self.refresh()
        self.emit_uevent(Subsystem.CPU, Action.OFFLINE, thread)
        teardown = self.strategy.after_thread_offline(thread)
        if teardown is not None:
            yield from teardown

    def memory_notifier(self, block: int, online: bool) -> Process | None:
        """The block is on or off line: readiness, then the memory notifier
        (MEM_ONLINE / MEM_OFFLINE: crash hotplug's handler), before its uevent.

        Returns the handler's process for the caller to run, None when the strategy
        has none (no generator per block for the four that have none)."""
        self.refresh()
        return self.strategy.after_block_changed(block, online)

    def _block_change(self, action: HotplugAction, *, online: bool) -> Process:
        """Add: ``add`` uevent (block device registered), online, ``online`` uevent.

        Remove: offline, ``offline`` uevent, then ``remove`` (device unregistered).
        Simplification: the block is onlined at once (the kernel's auto-online),
        not by a udev rule acting on its ``add`` event.
        """
        m = self.machine
        if online:
            block = m.add_block()
            self.trace.add(self.env.now, RecordKind.BLOCK_ADD, block=block, phase=action.phase)
            self.emit_uevent(Subsystem.MEMORY, Action.ADD, block)
        else:
            if m.blocks_count <= 1:
                return
            block = m.highest_block()
            m.remove_block(block)
            self.trace.add(self.env.now, RecordKind.BLOCK_REMOVE, block=block, phase=action.phase)
        notifier = self.memory_notifier(block, online)
        if notifier is not None:
            yield from notifier
        if online:
            self.emit_uevent(Subsystem.MEMORY, Action.ONLINE, block)
        else:
            self.emit_uevent(Subsystem.MEMORY, Action.OFFLINE, block)
            self.emit_uevent(Subsystem.MEMORY, Action.REMOVE, block)
