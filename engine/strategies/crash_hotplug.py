"""Upstream crash hotplug (Linux 6.6 x86, 6.10 powerpc): the kernel updates the image.

``crash_handle_hotplug_event()`` runs once per thread onlined or offlined and
once per memory block (``engine.strategies.kernel_update``). The CPU callback is
a cpuhp *prepare* state (``CPUHP_BP_PREPARE_DYN``), so it runs before the thread
is online.

udev still sees every event. kdump-utils' ``98-kexec.rules.ppc64`` starts with
``SUBSYSTEM=="cpu", ATTRS{crash_hotplug}=="1", GOTO="kdump_reload_end"`` (and the
same for memory); reading that attribute calls ``crash_check_hotplug_support()``
(kernel/crash_core.c), which returns 0 when ``kexec_trylock()`` fails - a load or
unload holds the lock - or when the loaded image lacks ``hotplug_support``. Then
the rule falls through to the throttled reload (kdump-udev-throttler).
"""

from __future__ import annotations

from engine.run.trace import RecordKind
from engine.strategies.base import Process, Strategy
from engine.strategies.kernel_update import HOLDER, kernel_update
from engine.strategies.udev_throttled import ThrottledReloads
from engine.userspace.udev import RuleProgram
from engine.userspace.uevent import Uevent, ppc64_rule_matches


class CrashHotplug(Strategy):
    name = "crash-hotplug"
    summary = "upstream crash hotplug: the kernel rewrites /cpus or the elfcorehdr per event"
    fdt_sizing = "auto"
    elfcorehdr_hotplug = True

    def start(self) -> None:
        self.reloads = ThrottledReloads(self)

    def udev_program(self, uevent: Uevent) -> RuleProgram | None:
        if not ppc64_rule_matches(uevent):
            return None
        # the worker reads the attribute when it runs the rule, not when the kernel sends it
        why = self.crash_hotplug_reads_zero()
        if why is None:
            return None  # ATTRS{crash_hotplug}=="1": GOTO="kdump_reload_end"
        sim = self.sim
        sim.trace.add(
            sim.env.now,
            RecordKind.CRASH_HOTPLUG_READ,
            subsystem=uevent.subsystem,
            id=uevent.ident,
            value=0,
            why=why,
            then="throttled reload",
        )
        return self.reloads.rule_program(uevent)

    def crash_hotplug_reads_zero(self) -> str | None:
        """Why ``crash_check_hotplug_support()`` returns 0 now, or None when it returns 1."""
        image = self.sim.image
        # crash_check_hotplug_support() first takes crash_hotplug_lock(), a mutex the
        # kernel's own update holds throughout, so a read during an update waits for
        # it and then finds the kexec lock free: only a load or unload makes it fail
        if image.lock_holder not in (None, HOLDER):
            return f"kexec_trylock() failed: {image.lock_holder} holds the lock"
        if not image.loaded:
            return "no image loaded"
        if not image.hotplug_support:
            return "the image has no hotplug support"
        return None

    def before_thread_online(self, thread: int) -> Process | None:
        return kernel_update(self.sim, "cpus", reason=f"cpu {thread} online")

    def after_thread_offline(self, thread: int) -> Process | None:
        # powerpc: CPU removal is a no-op, but the handler still takes the locks
        return kernel_update(self.sim, "none", reason=f"cpu {thread} offline")

    def after_block_changed(self, block: int, online: bool) -> Process | None:
        action = "online" if online else "offline"
        return kernel_update(self.sim, "elfcorehdr", reason=f"memory block {block} {action}")
