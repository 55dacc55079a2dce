"""A uevent as udev sees it, and the kdump rules that match it.

The kernel emits, per memory block, ``add`` (``__add_memory`` registering the
block device) then ``online`` (the block onlined); removal emits ``offline``
then ``remove``. A CPU thread going on or off line emits ``online`` /
``offline`` (pseries DLPAR: one per thread). Each names a device path,
``/devices/system/memory/memoryN`` or ``/devices/system/cpu/cpuN``, which udevd
uses to serialise events on the same device.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Subsystem(StrEnum):
    CPU = "cpu"
    MEMORY = "memory"


class Action(StrEnum):
    ADD = "add"
    ONLINE = "online"
    OFFLINE = "offline"
    REMOVE = "remove"


class Uevent(NamedTuple):
    """Immutable, compared by value; a named tuple, as one is made per uevent (64k memory
    blocks make 128k; a frozen dataclass costs twice the time to build)."""

    subsystem: Subsystem
    action: Action
    ident: int  # thread id or memory block index

    @property
    def device(self) -> tuple[Subsystem, int]:
        """The device, as udevd's serialisation compares it (a cheap stand-in for the path)."""
        return (self.subsystem, self.ident)

    @property
    def devpath(self) -> str:
        """The sysfs device path udevd keys its per-device serialisation on."""
        name = self.subsystem._value_
        return f"/devices/system/{name}/{name}{self.ident}"

    def describe(self) -> str:
        # _value_: the member's string, read directly (``.value`` is a descriptor call)
        return f"{self.subsystem._value_} {self.action._value_} {self.ident}"


def ppc64_rule_matches(uevent: Uevent, *, cpu_rule: bool = True) -> bool:
    """kdump-utils ``98-kexec.rules.ppc64``: CPU online and memory online/offline reload kdump.

    CPU offline is ignored on powerpc (an offline CPU may stay in the FDT).
    ``cpu_rule=False`` is the RFC's advice: comment out the CPU online line.
    Memory ``add``/``remove`` match nothing: they still occupy a udev worker.
    """
    if uevent.subsystem is Subsystem.CPU:
        return cpu_rule and uevent.action is Action.ONLINE
    return uevent.action in (Action.ONLINE, Action.OFFLINE)


def suse_rule_matches(uevent: Uevent) -> bool:
    """openSUSE kdump ``70-kdump.rules.in`` on ppc64: memory ``add|remove``, CPU ``online``."""
    if uevent.subsystem is Subsystem.CPU:
        return uevent.action is Action.ONLINE
    return uevent.action in (Action.ADD, Action.REMOVE)
