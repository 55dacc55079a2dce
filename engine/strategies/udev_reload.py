"""RHEL7 / Ubuntu 20.04: every matching uevent asks for a full reload.

Rule forms (``[udev] reload_rule``):

- ``systemd-run`` (default), RHEL7's ``98-kexec.rules`` as DeVolder quotes it
  (LKML, 14 Dec 2020): ``RUN+="/bin/sh -c 'systemctl is-active kdump.service
  || exit 0; systemd-run --quiet /usr/bin/kdumpctl reload'"`` (systemd 219's
  systemd-run does not wait). The worker makes its PID 1 calls and is free;
  each transient unit runs one ``kdumpctl reload``, and those serialise on
  kdumpctl's instance lock: **one serialised reload per matching event**.
  Ubuntu's ``PROGRAM="/usr/sbin/kdump-config try-reload"`` reloads per event
  too; we model it with the same rule.
- ``try-restart``, the older RHEL7 rule ``PROGRAM="/bin/systemctl try-restart
  kdump.service"`` (kdump-utils before 227c185): synchronous in the worker,
  which waits for the job. systemd's ``job_install()`` merges a restart
  request into the kdump.service job already installed: into the running
  one while it is still stopping (``job_type_allows_late_merge()``: a
  restart becomes a start after the stop), otherwise into one re-run after
  the running job. So requests during one restart give one more, not N.

Matching follows ``98-kexec.rules.ppc64`` (CPU online, memory online/offline).
"""

from __future__ import annotations

import simpy

from engine.process import run_now, start
from engine.run.trace import RecordKind
from engine.strategies.base import Process, Strategy
from engine.userspace.kdumpctl import kdump_load, kdump_unload, kdumpctl_reload
from engine.userspace.udev import RuleProgram
from engine.userspace.uevent import Uevent, ppc64_rule_matches


class RestartJob:
    """kdump.service's one installed job: running (stop, then start) and maybe a re-run."""

    def __init__(self, strategy: UdevReload) -> None:
        self.sim = strategy.sim
        self.done: simpy.Event | None = None  # completion of the installed job
        self.stopping = False
        self.rerun = False

    def request(self, why: str) -> simpy.Event:
        """``systemctl try-restart``: install, or merge into the installed job."""
        sim = self.sim
        if self.done is None:
            self.done = sim.env.event()
            sim.trace.add(sim.env.now, RecordKind.RELOAD_QUEUED, why=why, job="installed")
            start(sim.env, self._run(why))
        elif self.stopping or self.rerun:
            sim.trace.add(sim.env.now, RecordKind.RELOAD_QUEUED, why=why, job="merged")
        else:
            self.rerun = True  # the start is under way: merged, and re-run after it
            sim.trace.add(sim.env.now, RecordKind.RELOAD_QUEUED, why=why, job="merged-rerun")
        return self.done

    def _run(self, why: str) -> Process:
        sim = self.sim
        while True:
            self.stopping = True
            unload_s = sim.kdump.reload.unload.draw(sim.streams.get("reload.unload"))
            load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.load"))
            unloaded = yield from kdump_unload(sim, why, unload_s)  # ExecStop: kdumpctl stop
            self.stopping = False
            if unloaded is not None:  # ExecStart: kdumpctl start
                yield from kdump_load(sim, load_s, before_s=unload_s, after_unload=unloaded)
            # else kdumpctl start finds kdump loaded ("Kdump already running"): no load
            if not self.rerun:
                break
            self.rerun = False
            why = "re-run of the merged job"
        done, self.done = self.done, None
        assert done is not None
        done.succeed()


class UdevReload(Strategy):
    name = "udev-reload"
    summary = "per-event reload (RHEL7, Ubuntu 20.04): every matching uevent unloads and reloads"

    def start(self) -> None:
        self.try_restart = self.sim.scenario.udev.reload_rule == "try-restart"
        self.job = RestartJob(self)

    def udev_program(self, uevent: Uevent) -> RuleProgram | None:
        if not ppc64_rule_matches(uevent):
            return None
        if self.try_restart:
            return self._try_restart(uevent)
        return self._systemd_run(uevent)

    def _systemd_run(self, uevent: Uevent) -> RuleProgram:
        sim = self.sim
        yield sim.pid1.call(sim.scenario.udev.pid1_s)
        why = uevent.describe()
        return lambda: self._transient_unit(why)  # systemd starts it once the worker is free

    def _transient_unit(self, why: str) -> None:
        """Its exec takes ``[udev] throttler_exec``, then ``kdumpctl reload``. Callbacks, not
        a process: most reloads of a memory storm only queue on kdumpctl's lock."""
        sim = self.sim
        exec_done = sim.env.timeout(sim.scenario.udev.throttler_exec_s)
        exec_done.callbacks.append(lambda _done: run_now(kdumpctl_reload(sim, why)))

    def _try_restart(self, uevent: Uevent) -> Process:
        sim = self.sim
        yield sim.pid1.call(sim.scenario.udev.pid1_s)
        yield self.job.request(uevent.describe())  # systemctl waits for the job
