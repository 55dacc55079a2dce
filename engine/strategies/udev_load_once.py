"""SUSE ``load-once.sh``: one reload running plus at most one pending."""

from __future__ import annotations

from engine.run.trace import RecordKind
from engine.strategies.base import Process, Strategy
from engine.userspace.kdumpctl import kdump_reload
from engine.userspace.uevent import Uevent, ppc64_rule_matches


class UdevLoadOnce(Strategy):
    name = "udev-load-once"
    summary = "load-once (SUSE): one reload running, at most one more pending"

    def start(self) -> None:
        self.running = False
        self.pending = False

    def on_uevent(self, uevent: Uevent) -> None:
        if not ppc64_rule_matches(uevent):
            return
        sim = self.sim
        why = f"{uevent.subsystem} {uevent.action} {uevent.ident}"
        if not self.running:
            self.running = True
            sim.trace.add(sim.env.now, RecordKind.RELOAD_QUEUED, why=why, pending=1)
            sim.env.process(self._worker(why))
        elif not self.pending:
            self.pending = True
            sim.trace.add(sim.env.now, RecordKind.RELOAD_QUEUED, why=why, pending=2)
        else:
            # the jobs file already holds one pending reload: this event adds nothing
            sim.trace.add(sim.env.now, RecordKind.THROTTLER_DROP, why=why, reason="coalesced")
            sim.count_dropped()

    def _worker(self, why: str) -> Process:
        while True:
            yield from kdump_reload(self.sim, why)
            if not self.pending:
                self.running = False
                return
            self.pending = False
            why = "pending"
