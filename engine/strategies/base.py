"""What every strategy is asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from engine.process import Process
from engine.userspace.udev import RuleProgram
from engine.userspace.uevent import Uevent

if TYPE_CHECKING:
    from engine.run.simulation import Simulation

__all__ = ["Process", "Strategy"]


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

    def udev_program(self, uevent: Uevent) -> RuleProgram | None:
        """What the kdump rule runs inside the udev worker for ``uevent`` (None: no match)."""
        return None

    def before_thread_online(self, thread: int) -> Process | None:
        """Kernel work that runs before the thread is marked online (cpuhp prepare)."""
        return None

    def after_thread_offline(self, thread: int) -> Process | None:
        return None

    def after_core_added(self, core: int) -> Process | None:
        """End of pseries ``dlpar_cpu_add()``, once per core, still under the device lock."""
        return None

    def after_block_changed(self, block: int, online: bool) -> Process | None:
        """Memory notifier (MEM_ONLINE / MEM_OFFLINE)."""
        return None
