"""RHEL7 / Ubuntu 20.04: every matching uevent runs a full reload, one after another."""

from __future__ import annotations

import simpy

from engine.run.trace import RecordKind
from engine.strategies.base import Process, Strategy
from engine.userspace.kdumpctl import kdump_reload
from engine.userspace.uevent import Uevent, ppc64_rule_matches


class UdevReload(Strategy):
    name = "udev-reload"
    summary = "per-event reload (RHEL7, Ubuntu 20.04): every uevent unloads and reloads kdump"

    def start(self) -> None:
        self.queue: simpy.Store = simpy.Store(self.sim.env)
        self.sim.env.process(self._worker())

    def on_uevent(self, uevent: Uevent) -> None:
        if ppc64_rule_matches(uevent):
            why = f"{uevent.subsystem} {uevent.action} {uevent.ident}"
            self.sim.trace.add(
                self.sim.env.now,
                RecordKind.RELOAD_QUEUED,
                why=why,
                pending=len(self.queue.items) + 1,
            )
            self.queue.put(why)

    def _worker(self) -> Process:
        while True:
            why = yield self.queue.get()
            yield from kdump_reload(self.sim, why)
