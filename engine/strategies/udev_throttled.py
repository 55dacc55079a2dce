"""RHEL8+ / Fedora ``kdump-udev-throttler`` in front of ``kdumpctl reload``.

The throttler takes a lock with ``flock -n``: a second throttler that finds
it held exits and its event is dropped. The holder sleeps 1 s, runs
``udevadm settle --timeout 3``, releases the lock, then runs ``kdumpctl
reload``, which waits on kdumpctl's own lock, polling every 5 s.
"""

from __future__ import annotations

from engine.run.trace import RecordKind
from engine.strategies.base import Process, Strategy
from engine.userspace.kdumpctl import kdump_reload
from engine.userspace.uevent import Uevent, ppc64_rule_matches


class ThrottledReloads:
    """The throttler and kdumpctl locks; shared by ``udev-throttled`` and the RFC's memory path."""

    def __init__(self, strategy: Strategy) -> None:
        self.sim = strategy.sim
        self.flock_held = False
        self.kdumpctl_busy = False

    def on_matching_uevent(self, uevent: Uevent) -> None:
        sim = self.sim
        why = f"{uevent.subsystem} {uevent.action} {uevent.ident}"
        if self.flock_held:
            sim.trace.add(sim.env.now, RecordKind.THROTTLER_DROP, why=why, reason="flock -n")
            sim.count_dropped()
            return
        self.flock_held = True
        span = sim.trace.begin(sim.env.now, RecordKind.THROTTLER_START, why=why)
        sim.env.process(self._throttler(why, span))

    def _throttler(self, why: str, span: int) -> Process:
        sim, spec = self.sim, self.sim.kdump.throttler
        yield sim.env.timeout(spec.sleep_s)
        settle_start = sim.env.now
        deadline = settle_start + spec.settle_timeout_s
        while sim.udev_busy() and sim.env.now < deadline:
            yield sim.env.timeout(min(sim.udev_idle_at(), deadline) - sim.env.now)
        sim.trace.end(
            sim.env.now,
            RecordKind.THROTTLER_SETTLE,
            span,
            waited_s=round(sim.env.now - settle_start, 9),
            timed_out=sim.udev_busy(),
        )
        self.flock_held = False
        yield from self._kdumpctl_reload(why)

    def _kdumpctl_reload(self, why: str) -> Process:
        sim = self.sim
        sim.trace.add(sim.env.now, RecordKind.RELOAD_QUEUED, why=why)
        while self.kdumpctl_busy:
            yield sim.env.timeout(sim.kdump.throttler.kdumpctl_poll_s)
        self.kdumpctl_busy = True
        try:
            yield from kdump_reload(sim, why)
        finally:
            self.kdumpctl_busy = False


class UdevThrottled(Strategy):
    name = "udev-throttled"
    summary = "kdump-udev-throttler (RHEL8+, Fedora): flock -n, sleep 1 s, settle, reload"

    def start(self) -> None:
        self.reloads = ThrottledReloads(self)

    def on_uevent(self, uevent: Uevent) -> None:
        if ppc64_rule_matches(uevent):
            self.reloads.on_matching_uevent(uevent)
