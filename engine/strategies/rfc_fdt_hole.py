"""The RFC (Feb 2022): the kdump FDT lives in a hole and is updated in place.

A hook at the end of pseries ``dlpar_cpu_add()`` rewrites /cpus once per core,
with no lock (``engine.strategies.rfc_hook``); CPU removal does nothing; the
udev CPU rule is commented out, so memory events still go through the
throttled udev reload, whose load copies its FDT into the same hole.
"""

from __future__ import annotations

import libfdt

from engine.strategies.base import Process, Strategy
from engine.strategies.rfc_hook import rfc_update_cpus
from engine.strategies.udev_throttled import ThrottledReloads
from engine.userspace.udev import RuleProgram
from engine.userspace.uevent import Uevent, ppc64_rule_matches


class RfcFdtHole(Strategy):
    name = "fdt-hole"
    summary = "RFC kexec crash FDT: /cpus rewritten in place per core, no lock; memory via udev"
    fdt_sizing = "scenario"

    def start(self) -> None:
        self.reloads = ThrottledReloads(self)
        fdt = libfdt.FdtRo(self.sim.builder.build())
        cpus = fdt.path_offset("/cpus")
        count, prop = 0, fdt.first_property_offset(cpus, quiet=(libfdt.NOTFOUND,))
        while prop >= 0:
            count += 1
            prop = fdt.next_property_offset(prop, quiet=(libfdt.NOTFOUND,))
        self.cpus_props = count

    def udev_program(self, uevent: Uevent) -> RuleProgram | None:
        if ppc64_rule_matches(uevent, cpu_rule=False):
            return self.reloads.rule_program(uevent)
        return None

    def after_core_added(self, core: int) -> Process | None:
        # dlpar_cpu() holds lock_device_hotplug() around dlpar_cpu_add(): the next DLPAR
        # request waits for the hook to finish
        return rfc_update_cpus(self.sim, core, self.cpus_props)
