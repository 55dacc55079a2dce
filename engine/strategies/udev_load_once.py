"""openSUSE kdump: ``70-kdump.rules`` -> ``load-once.sh`` -> ``load.sh`` (a load, no unload).

- ``70-kdump.rules.in``: memory ``add|remove`` and (ppc64) CPU ``online`` go
  to ``PROGRAM="/bin/cat /sys/kernel/kexec_crash_loaded", RESULT!="0",
  RUN+="/usr/lib/kdump/load-once.sh"``: while no image is loaded the rule
  does not run, so an event then is **dropped** (counted, traced).
- ``load-once.sh`` runs **inside the udev worker**: it appends a job to
  ``/var/run/kdump.jobs``, then ``flock -n`` on ``kdump.lock``; if another
  instance holds it, it exits (its job is left for the holder). The holder
  loops ``while [ -s jobs ]; truncate; load.sh``: one load running, at most
  one pending, and its worker stays busy the whole time.
- ``load.sh`` runs ``kexec -p ... -a``: no unload, so the image is absent
  only inside the load syscall.

``kexec_crash_loaded`` is ``kexec_crash_image != NULL``: it reads 0 inside a
load syscall (the old image is freed first) and while an in-kernel update
has set the image to NULL.
"""

from __future__ import annotations

from engine.run.trace import RecordKind
from engine.strategies.base import Process, Strategy
from engine.userspace.kdumpctl import kdump_load
from engine.userspace.udev import RuleProgram
from engine.userspace.uevent import Uevent, suse_rule_matches


class UdevLoadOnce(Strategy):
    name = "udev-load-once"
    summary = "load-once (SUSE): load only, in the udev worker; one load running, one pending"

    def start(self) -> None:
        self.jobs = 0  # lines in /var/run/kdump.jobs
        self.lock_held = False

    def udev_program(self, uevent: Uevent) -> RuleProgram | None:
        if not suse_rule_matches(uevent):
            return None
        return self._rule(uevent.describe())

    def _rule(self, why: str) -> Process:
        sim = self.sim
        image = sim.image
        if not image.loaded or image.null:
            # PROGRAM cat kexec_crash_loaded gave 0: RESULT!="0" fails, RUN is not added
            sim.trace.add(
                sim.env.now, RecordKind.THROTTLER_DROP, why=why, reason="kexec_crash_loaded=0"
            )
            sim.count_dropped()
            return
        self.jobs += 1
        if self.lock_held:
            sim.trace.add(sim.env.now, RecordKind.RELOAD_QUEUED, why=why, jobs=self.jobs)
            return
        self.lock_held = True
        sim.trace.add(sim.env.now, RecordKind.RELOAD_QUEUED, why=why, jobs=self.jobs)
        while self.jobs:
            self.jobs = 0
            load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.load"))
            yield from kdump_load(sim, load_s)
        self.lock_held = False
