"""Storm actions only a capture produces: one thread, or one memory block, at its instant.

A captured DLPAR add or remove goes through the simulation's own ``core-add`` /
``core-remove`` (with the captured core, threads and gaps); these are the events
a scripted storm never makes alone: a thread onlined or offlined in a present
core (an SMT change), and the four memory uevents split as the kernel sends them
(drivers/base/memory.c: ``add`` when the block device is registered, ``online``
/ ``offline`` from ``memory_block_change_state()``, ``remove`` when it goes).
The per-thread work is the simulation's, shared with ``core-add``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.run.trace import RecordKind
from engine.strategies.base import Process
from engine.userspace.uevent import Action, Subsystem

if TYPE_CHECKING:
    from engine.run.simulation import Simulation
    from engine.run.storm import HotplugAction


def thread_online(sim: Simulation, action: HotplugAction) -> Process:
    thread = action.target
    assert thread is not None
    m = sim.machine
    # churn in the same scenario may have taken the core or thread meanwhile: skip
    if thread in m.online_set or m.core_of(thread) not in m.present_cores:
        return
    yield from sim.thread_online_step(thread)


def thread_offline(sim: Simulation, action: HotplugAction) -> Process:
    thread = action.target
    assert thread is not None
    online = sim.machine.online_set  # a live view: no frozenset built per step
    if thread not in online or len(online) == 1:
        return
    yield from sim.thread_offline_step(thread)


def block_uevent(sim: Simulation, action: HotplugAction) -> Process:
    """``add`` / ``remove``: the block device comes or goes; its memory is offline."""
    block = action.target
    assert block is not None
    added = action.action == "block-added"
    sim.emit_uevent(Subsystem.MEMORY, Action.ADD if added else Action.REMOVE, block)
    yield from ()


def block_online(sim: Simulation, action: HotplugAction) -> Process:
    """As a scripted memory add: online, the memory notifier, the ``online`` uevent."""
    block = action.target
    assert block is not None
    m = sim.machine
    if m.has_block(block):
        return
    m.add_block(block)
    sim.trace.add(sim.env.now, RecordKind.BLOCK_ADD, block=block, phase=action.phase)
    notifier = sim.memory_notifier(block, True)
    if notifier is not None:
        yield from notifier
    sim.emit_uevent(Subsystem.MEMORY, Action.ONLINE, block)


def block_offline(sim: Simulation, action: HotplugAction) -> Process:
    block = action.target
    assert block is not None
    m = sim.machine
    if not m.has_block(block) or m.blocks_count == 1:
        return
    m.remove_block(block)
    sim.trace.add(sim.env.now, RecordKind.BLOCK_REMOVE, block=block, phase=action.phase)
    notifier = sim.memory_notifier(block, False)
    if notifier is not None:
        yield from notifier
    sim.emit_uevent(Subsystem.MEMORY, Action.OFFLINE, block)


CAPTURED_STEPS: dict[str, Callable[[Simulation, HotplugAction], Process]] = {
    "thread-online": thread_online,
    "thread-offline": thread_offline,
    "block-added": block_uevent,
    "block-removed": block_uevent,
    "block-online": block_online,
    "block-offline": block_offline,
}
