"""What every strategy is asked, and the ppc64 udev rule they share."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from engine.simulation import Simulation

Process = Generator[Any, Any, None]


@dataclass(frozen=True, slots=True)
class Uevent:
    subsystem: str  # "cpu" | "memory"
    action: str  # "online" | "offline"
    ident: int  # thread id or memory block index


def ppc64_rule_matches(uevent: Uevent, *, cpu_rule: bool = True) -> bool:
    """``98-kexec.rules.ppc64``: CPU online and memory online/offline reload kdump.

    CPU offline is ignored on powerpc (an offline CPU may stay in the FDT).
    ``cpu_rule=False`` is the RFC's advice: comment out the CPU online line.
    """
    if uevent.subsystem == "cpu":
        return cpu_rule and uevent.action == "online"
    return uevent.subsystem == "memory"


class Strategy:
    """Hooks called by the storm; the defaults do nothing."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    # "segment": a plain FDT segment rewritten by each load; "scenario": the RFC's
    # hole sized by the scenario; "auto": upstream's unpacked FDT with extra room
    fdt_sizing: ClassVar[str] = "segment"
    # the elfcorehdr segment is sized for CRASH_MAX_MEMORY_RANGES
    elfcorehdr_hotplug: ClassVar[bool] = False

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def start(self) -> None:
        """Start background processes (reload workers)."""

    def on_uevent(self, uevent: Uevent) -> None:
        """udev saw ``uevent``."""

    def before_thread_online(self, thread: int) -> Process | None:
        """Kernel work that runs before the thread is marked online (cpuhp prepare)."""
        return None

    def after_thread_offline(self, thread: int) -> Process | None:
        return None

    def after_core_added(self, core: int) -> None:
        """End of pseries ``dlpar_cpu_add()``, once per core."""

    def after_block_changed(self, block: int, online: bool) -> Process | None:
        """Memory notifier (MEM_ONLINE / MEM_OFFLINE)."""
        return None
