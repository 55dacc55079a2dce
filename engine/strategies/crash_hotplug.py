"""Upstream crash hotplug (Linux 6.6 x86, 6.10 powerpc): the kernel updates the image.

``crash_handle_hotplug_event()`` runs once per thread onlined or offlined and
once per memory block: a mutex, then ``kexec_trylock()`` (busy: skipped, image
left stale), the image set to NULL while the FDT (CPU add) or elfcorehdr
(memory) is rewritten. The CPU callback is a cpuhp *prepare* state, so it runs
before the thread is online. udev does nothing (``crash_hotplug`` reads 1).
"""

from __future__ import annotations

from engine.strategies.base import Process, Strategy
from engine.strategies.kernel_update import kernel_update


class CrashHotplug(Strategy):
    name = "crash-hotplug"
    summary = "upstream crash hotplug: the kernel rewrites /cpus or the elfcorehdr per event"
    fdt_sizing = "auto"
    elfcorehdr_hotplug = True

    def before_thread_online(self, thread: int) -> Process | None:
        return kernel_update(self.sim, "cpus", null_image=True, reason=f"cpu {thread} online")

    def after_thread_offline(self, thread: int) -> Process | None:
        # powerpc: CPU removal is a no-op, but the handler still takes the locks
        return kernel_update(self.sim, "none", null_image=True, reason=f"cpu {thread} offline")

    def after_block_changed(self, block: int, online: bool) -> Process | None:
        action = "online" if online else "offline"
        return kernel_update(
            self.sim, "elfcorehdr", null_image=True, reason=f"memory block {block} {action}"
        )
