"""RHEL8+ / Fedora: ``98-kexec.rules.ppc64`` -> ``kdump-udev-throttler`` -> ``kdumpctl reload``.

kdump-utils ``98-kexec.rules.ppc64``: a matching event's RUN program,
``systemctl is-active kdump.service || exit 0; systemd-run --quiet --no-block
kdump-udev-throttler``, runs inside the udev worker and makes two calls into
PID 1 (served one at a time, ``[udev] pid1`` for both). systemd then starts
the throttler (``[udev] throttler_exec`` later).

kdump-utils ``kdump-udev-throttler``: ``flock -n`` on its lock; if another
throttler holds it, exit (the event is dropped). The holder sleeps 1 s, runs
``udevadm settle --timeout 3``, releases the lock, then runs ``kdumpctl
reload``, which waits on kdumpctl's own lock (``engine.userspace.kdumpctl``).
"""

from __future__ import annotations

from engine.process import run_now
from engine.run.trace import RecordKind
from engine.strategies.base import Process, Strategy
from engine.userspace.kdumpctl import kdumpctl_reload
from engine.userspace.udev import RuleProgram
from engine.userspace.uevent import Uevent, ppc64_rule_matches


class ThrottledReloads:
    """The rule, the throttler and its lock (``udev-throttled``, and the RFC's memory path)."""

    def __init__(self, strategy: Strategy) -> None:
        self.sim = strategy.sim
        self.flock_held = False

    def rule_program(self, uevent: Uevent) -> RuleProgram:
        """In the udev worker: PID 1 serves is-active and systemd-run; then the worker is
        free, and systemd starts the throttler."""
        sim = self.sim
        yield sim.pid1.call(sim.scenario.udev.pid1_s)
        why = uevent.describe()
        return lambda: self._exec(why)

    def _exec(self, why: str) -> None:
        """The throttler's exec takes ``[udev] throttler_exec``; then ``flock -n``. Callbacks,
        not a process: most throttlers of a memory storm only find the lock held."""
        sim = self.sim
        exec_done = sim.env.timeout(sim.scenario.udev.throttler_exec_s)
        exec_done.callbacks.append(lambda _done: self._flock(why))

    def _flock(self, why: str) -> None:
        sim = self.sim
        if self.flock_held:
            sim.trace.add(sim.env.now, RecordKind.THROTTLER_DROP, why=why, reason="flock -n")
            sim.count_dropped()
            return
        run_now(self._hold(why))  # the last act of this timeout's step

    def _hold(self, why: str) -> Process:
        """The lock holder: sleep, settle, release, ``kdumpctl reload``."""
        sim = self.sim
        self.flock_held = True
        span = sim.trace.begin(sim.env.now, RecordKind.THROTTLER_START, why=why)
        spec = sim.kdump.throttler
        yield sim.env.timeout(spec.sleep_s)
        settled = yield from sim.udev.settle(spec.settle_timeout_s)
        sim.trace.end(
            sim.env.now,
            RecordKind.THROTTLER_SETTLE,
            span,
            returned=settled.returned.value,
            waited_s=round(settled.waited_s, 9),
            udev_in_flight=sim.udev.in_flight,
        )
        self.flock_held = False  # exec 9>&- before kdumpctl, so events are not missed
        yield from kdumpctl_reload(sim, why)


class UdevThrottled(Strategy):
    name = "udev-throttled"
    summary = "kdump-udev-throttler (RHEL8+, Fedora): flock -n, sleep 1 s, settle, reload"

    def start(self) -> None:
        self.reloads = ThrottledReloads(self)

    def udev_program(self, uevent: Uevent) -> RuleProgram | None:
        if ppc64_rule_matches(uevent):
            return self.reloads.rule_program(uevent)
        return None
