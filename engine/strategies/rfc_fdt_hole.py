"""The RFC (Feb 2022): the kdump FDT lives in a hole and is updated in place.

A hook at the end of pseries ``dlpar_cpu_add()`` rewrites /cpus once per
core; CPU removal does nothing; the udev CPU rule is commented out, so memory
events still go through the throttled udev reload, which re-copies the FDT
into the hole.
"""

from __future__ import annotations

from engine.strategies.base import Process, Strategy
from engine.strategies.kernel_update import kernel_update
from engine.strategies.udev_throttled import ThrottledReloads
from engine.userspace.uevent import Uevent, ppc64_rule_matches


class RfcFdtHole(Strategy):
    name = "fdt-hole"
    summary = "RFC kexec crash FDT: /cpus rewritten in place per core; memory via throttled udev"
    fdt_sizing = "scenario"

    def start(self) -> None:
        self.reloads = ThrottledReloads(self)

    def udev_program(self, uevent: Uevent) -> Process | None:
        if ppc64_rule_matches(uevent, cpu_rule=False):
            return self.reloads.rule_program(uevent)
        return None

    def after_core_added(self, core: int) -> None:
        self.sim.env.process(
            kernel_update(self.sim, "cpus", null_image=False, reason=f"dlpar_cpu_add core {core}")
        )
