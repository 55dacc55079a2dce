"""One run: a machine, its crash region and kdump image, a storm, one strategy.

The storm (``engine.run.storm``) says when cores and memory blocks come and go;
this module turns each action into what the kernel does (DLPAR attach, one
``online`` uevent per thread, ``add`` then ``online`` per memory block added,
``offline`` then ``remove`` per block removed), queues each uevent on udev
(``engine.userspace.udev``) and asks the strategy what its kdump rule runs.
Every change of the image, the FDT or the machine refreshes the readiness
timeline that outcomes and metrics read.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence

import simpy

from engine.devicetree.fdt_hole import FdtHole
from engine.devicetree.kdump_fdt import KdumpFdtBuilder, auto_hole_size
from engine.devicetree.update_progress import TornCount, TornUpdate
from engine.errors import InputError
from engine.kexec.crash_region import CrashRegion, plan_crash_region
from engine.kexec.elfcorehdr import Elfcorehdr, elfcorehdr_segment_size
from engine.kexec.hole_writes import HoleWrites
from engine.kexec.image import KexecImage
from engine.machine.block_runs import runs_cover
from engine.machine.topology import Machine
from engine.process import Mutex, UrgentTimeout, start
from engine.rng import RandomStreams
from engine.run.captured_steps import CAPTURED_STEPS
from engine.run.counters import RunCounters
from engine.run.dlpar import DlparRequests
from engine.run.history_totals import HistoryTotals
from engine.run.image_changes import ImageChanges
from engine.run.lockless_update import LocklessUpdates
from engine.run.outcomes import KdumpState, Outcome, Readiness, crash_outcome, readiness_of
from engine.run.smt_switch import smt_switch
from engine.run.storm import HotplugAction, expand_storm
from engine.run.trace import RecordKind, Trace
from engine.scenario.load import Scenario
from engine.scenario.machine import machine_for
from engine.strategies import STRATEGY_CLASSES
from engine.strategies.base import Process
from engine.units import delay_until
from engine.userspace.kdumpctl import KdumpctlLock, kdump_start
from engine.userspace.udev import Pid1, UdevQueue, default_children_max
from engine.userspace.uevent import Action, Subsystem, Uevent


def build_machine(scenario: Scenario) -> Machine:
    """The scenario's machine; a DTB error names the scenario file and key too."""
    try:
        machine = machine_for(scenario.machine)
    except InputError as err:
        raise InputError(scenario.source, str(err), where="machine.from_dtb") from None
    if scenario.machine.boot_smt is not None:
        machine.boot_in_smt_mode(scenario.machine.boot_smt)
    return machine


class Simulation(ImageChanges, LocklessUpdates, DlparRequests):
    """SimPy processes over one shared machine, crash region, image and kexec lock."""

    def __init__(self, scenario: Scenario, strategy: str, seed: int | None = None) -> None:
        if strategy not in STRATEGY_CLASSES:
            raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGY_CLASSES)}")
        self.scenario = scenario
        self.kdump = scenario.kdump
        self.seed = scenario.seed if seed is None else seed
        self.streams = RandomStreams(self.seed)
        self.env = simpy.Environment()
        self.trace = Trace()
        self.machine = build_machine(scenario)
        self.actions: list[HotplugAction] = expand_storm(scenario, self.streams)
        self.strategy = STRATEGY_CLASSES[strategy](self)
        self.elfcorehdr_hotplug = self.strategy.elfcorehdr_hotplug
        self.update_mutex = Mutex(self.env)  # crash_hotplug_lock()
        # lock_device_hotplug(): held by one DLPAR request at a time, the others queue
        self._hotplug_busy = False
        self._hotplug_waiters: deque[simpy.Event] = deque()
        self.newest_thread: int | None = None
        self.probes: list[Outcome] = []  # crash probes so far, in order
        self._removing: set[int] = set()
        self._adding: set[int] = set()  # cores whose threads are still being onlined
        self._memory_check: tuple[object, bool] = (None, True)
        self._memory_stale = False
        self.pid1 = Pid1(self.env)
        self.kdumpctl_lock = KdumpctlLock(self)
        udev = scenario.udev
        self.udev = UdevQueue(
            self.env,
            children_max=udev.children_max
            or default_children_max(len(self.machine.online_threads), self.machine.memory_bytes),
            event_s=udev.event_s,
            program=self.strategy.udev_program,
        )
        self.counters = RunCounters()
        self.last_uevent_s: float | None = None
        self.hole_writes = HoleWrites(self.trace)
        # the RFC's lock-free update in progress (engine.strategies.rfc_hook), if any
        self.torn: TornUpdate | None = None
        self._torn_cache: tuple[tuple[object, ...], TornCount] | None = None
        self._refreshed: tuple[object, ...] | None = None  # _refresh_key() last evaluated
        self._build_region()
        self._track_missing()
        self.history: list[Readiness] = []
        self.history_totals = HistoryTotals()  # metrics' running sums over history
        self.refresh()
        self.strategy.start()
        if self.kdump.service_start_s is not None:
            self.env.process(self._service_start(self.kdump.service_start_s))
        if self.actions:
            self.env.process(self._dispatch_actions())
        for probe in scenario.crash.probes:
            self.env.process(self._run_probe(probe.at_s, probe.cpu))

    # ----------------------------------------------------------------- set-up
    def _build_region(self) -> None:
        m, k = self.machine, self.kdump
        possible_threads = m.cores_possible * m.smt
        elf_bytes = elfcorehdr_segment_size(
            possible_threads, self.elfcorehdr_hotplug, m.ram_ranges()
        )
        # addresses do not change the blob's length: size it first, place it, then build for real
        sizing = KdumpFdtBuilder(
            m,
            bootargs=k.bootargs,
            elfcorehdr_addr=0,
            elfcorehdr_size=elf_bytes,
            crash_base=0,
            crash_size=k.crashkernel_bytes,
        )
        blob_len = len(sizing.build())
        all_possible = auto_hole_size(m, blob_len)
        sizing_mode = self.strategy.fdt_sizing
        if sizing_mode == "scenario":
            hole_bytes = k.fdt_hole_bytes if k.fdt_hole_bytes is not None else all_possible
        elif sizing_mode == "auto":
            hole_bytes = all_possible
        else:
            hole_bytes = None
        self.region: CrashRegion = plan_crash_region(
            crashkernel_bytes=k.crashkernel_bytes,
            base=k.crash_base_bytes,
            rma_bytes=self.scenario.machine.rma_bytes,
            lpar=self.scenario.machine.lpar,
            kernel_bytes=k.kernel_bytes,
            initrd_bytes=k.initrd_bytes,
            purgatory_bytes=k.purgatory_bytes,
            elfcorehdr_bytes=elf_bytes,
            fdt_bytes=all_possible,
            hole_bytes=hole_bytes,
            source=self.scenario.source,
        )
        elf_seg = self.region.segment("elfcorehdr")
        fdt_seg = self.region.hole if self.region.hole is not None else self.region.segment("fdt")
        self.builder = KdumpFdtBuilder(
            m,
            bootargs=k.bootargs,
            elfcorehdr_addr=elf_seg.address,
            elfcorehdr_size=elf_seg.size_bytes,
            crash_base=self.region.base,
            crash_size=self.region.size_bytes,
        )
        self.hole = FdtHole(address=fdt_seg.address, size_bytes=fdt_seg.size_bytes)
        self.elfcorehdr = Elfcorehdr(possible_threads, elf_seg.size_bytes)
        # kdump was loaded at boot, before the storm
        self.image = KexecImage(loaded=False)
        self.peak_used_bytes = 0
        self.hole_fill: list[tuple[float, int]] = []
        if k.service_start_s is None:
            # kdump.service loaded the image at boot, before the run
            self.image.loaded = self.install_snapshot(self.snapshot_for_load())
            self.image.hotplug_support = self.image.loaded and k.hotplug

    def _service_start(self, at_s: float) -> Process:
        yield self.env.timeout(at_s)
        yield from kdump_start(self)

    # ------------------------------------------------------------------ udev
    def emit_uevent(self, subsystem: Subsystem, action: Action, ident: int) -> None:
        """``kobject_uevent()``: the kernel sends it; udevd queues it."""
        now = self.env.now
        self.counters.uevents += 1
        self.last_uevent_s = now
        # the trace holds the members' strings (_value_: read directly, no descriptor call)
        self.trace.add(
            now, RecordKind.UEVENT, subsystem=subsystem._value_, action=action._value_, id=ident
        )
        self.udev.insert(Uevent(subsystem, action, ident))

    # ------------------------------------------------------------- readiness
    def state(self) -> KdumpState:
        img = self.image
        usable = img.loaded and not img.null and img.lock_holder is None
        key = (self.machine.memory_generation, img.elfcorehdr_runs)
        if self._memory_check[0] != key:
            runs = self.machine.block_runs()
            self._memory_check = (key, runs_cover(img.elfcorehdr_runs, runs))
            self._memory_stale = not runs_cover(runs, img.elfcorehdr_runs)
        missing = self._missing_frozen() if usable else frozenset()
        return KdumpState(
            image_loaded=img.loaded,
            image_null=img.null,
            kexec_locked=img.lock_holder is not None,
            online_threads=self.machine.online_set,
            fdt_threads=self.hole.covered if usable else frozenset(),
            memory_complete=self._memory_check[1],
            missing_threads=missing,
            torn=self._torn_count(missing),
            memory_stale=self._memory_stale,
        )

    def _torn_count(self, missing: frozenset[int]) -> TornCount | None:
        """The torn update's per-node thread counts, rebuilt only when threads change."""
        torn = self.torn
        if torn is None or not torn.in_force(self.env.now):
            return None
        key = (torn, self.machine.cpu_generation, missing)
        cached = self._torn_cache
        if cached is None or cached[0] != key:
            per_core: dict[int, int] = {}
            for thread in missing:
                core = self.machine.core_of(thread)
                per_core[core] = per_core.get(core, 0) + 1
            cached = self._torn_cache = (key, torn.count(self.machine.online_per_core, per_core))
        return cached[1]

    # online threads without a node in the FDT, kept as threads and FDT nodes change
    def _track_missing(self) -> None:
        self._missing: set[int] = set(self.machine.online_set) - self.hole.covered
        self._missing_version = 0  # bumped whenever _missing may have changed
        self._missing_snapshot: tuple[int, frozenset[int]] | None = None  # (version, set)
        self.machine.watch_threads(self._on_thread)
        self.hole.watch_covered(self._on_covered)

    def _on_thread(self, thread: int, online: bool) -> None:
        if online and thread not in self.hole.covered:
            self._missing.add(thread)
            self._missing_version += 1
        elif not online and thread in self._missing:
            self._missing.discard(thread)
            self._missing_version += 1

    def _on_covered(self, gained: frozenset[int], lost: frozenset[int]) -> None:
        self._missing -= gained
        self._missing |= lost & self.machine.online_set
        self._missing_version += 1

    def _missing_frozen(self) -> frozenset[int]:
        snapshot = self._missing_snapshot
        if snapshot is None or snapshot[0] != self._missing_version:
            snapshot = self._missing_snapshot = (self._missing_version, frozenset(self._missing))
        return snapshot[1]

    def _refresh_key(self) -> tuple[object, ...] | None:
        """What ``state()`` reads, as identities and generation counters; None while a
        torn update is in force (its readiness moves with time)."""
        torn = self.torn
        if torn is not None and torn.in_force(self.env.now):
            return None
        img, m = self.image, self.machine
        return (
            img.loaded,
            img.null,
            img.lock_holder is None,
            img.elfcorehdr_runs,
            m.cpu_generation,
            m.memory_generation,
            self._missing_version,
            torn,
        )

    def refresh(self) -> None:
        """Re-evaluate readiness after any change; a new segment only when it differs.

        Half the calls come after a change readiness does not read (a lock taken by
        the loader that already holds the image unusable, a segment copy starting): when
        nothing ``state()`` reads has moved since the last evaluation, the segment in
        force is the answer already."""
        key = self._refresh_key()
        if key is not None and key == self._refreshed:
            return
        self._refreshed = key
        now = self.env.now
        current = readiness_of(self.state(), now)
        history = self.history
        if history and history[-1].same_state(current):
            return
        if history and history[-1].t0_s == now:
            history.pop()  # a state that lasted no time at all is no window
            if history and history[-1].same_state(current):
                history[-1] = history[-1].closed(None)
                return
        if history:
            history[-1] = history[-1].closed(now)
        history.append(current)

    def closed_history(self, until_s: float | None = None) -> Sequence[Readiness]:
        """Readiness segments with the last one closed at ``until_s`` (default: now)."""
        end = self.env.now if until_s is None else until_s
        if not self.history:
            return []
        return [*self.history[:-1], self.history[-1].closed(end)]

    # -------------------------------------------------------------- crashes
    def pick_cpu(self, cpu: int | str, rng: random.Random) -> int | None:
        online = self.machine.online_threads
        if isinstance(cpu, int):
            return cpu
        if not online:
            return None
        if cpu == "newest":
            if self.newest_thread is not None and self.newest_thread in online:
                return self.newest_thread
            return max(online)
        return rng.choice(sorted(online))

    def probe(self, cpu: int | str = "newest") -> Outcome | None:
        """A panic now on ``cpu`` (thread id, "newest" or "random"): recorded, not acted on."""
        thread = self.pick_cpu(cpu, self.streams.get("crash.probes"))
        if thread is None:
            return None
        outcome = crash_outcome(self.state(), self.env.now, thread)
        self.trace.add(
            self.env.now,
            RecordKind.CRASH_PROBE,
            cpu=thread,
            asked=str(cpu),
            online=thread in self.machine.online_set,
            result=outcome.result,
            cause=outcome.cause,
        )
        self.probes.append(outcome)
        return outcome

    def _run_probe(self, at_s: float, cpu: int | str) -> Process:
        yield self.env.timeout(at_s)
        self.probe(cpu)

    # ----------------------------------------------------------------- storm
    def _dispatch_actions(self) -> Process:
        """Start each DLPAR request at its instant: one waiting process, not one per request
        (64k pending requests held 64k generators, processes and timeouts from t = 0)."""
        env = self.env
        for action in self.actions:  # sorted by time, ties in storm order
            if action.t_s > env.now:
                # urgent: a request comes before every other event of its instant (a probe
                # at a storm's instant sees the request made), as when each had its own
                # timeout scheduled at t = 0, ahead of all later-scheduled ones
                yield UrgentTimeout(env, delay_until(env.now, action.t_s))
            start(env, self._run_action(action))
        self.actions = []  # all started: a finished run does not keep 64k requests

    def _run_action(self, action: HotplugAction) -> Process:
        """One DLPAR request, whole, under the device hotplug lock.

        ``dlpar_cpu()`` (arch/powerpc/platforms/pseries/hotplug-cpu.c) and
        ``dlpar_memory()`` (hotplug-memory.c) hold ``lock_device_hotplug()`` for
        the whole request: a core add onlines every thread (``dlpar_online_cpu``)
        before a remove that came 1 ms later may start. Requests queue in order.
        """
        if action.action == "smt":
            # ppc64_cpu writes each thread's online file; the sysfs write takes the
            # device hotplug lock per thread, not for the switch (simplification:
            # the switch does not queue behind a DLPAR request)
            yield from smt_switch(self, action)
            return
        if action.action in CAPTURED_STEPS:  # a capture's instants already carry the lock
            yield from CAPTURED_STEPS[action.action](self, action)
            return
        if self._hotplug_busy:  # a free lock is taken at once: no event, same-instant order kept
            turn = self.env.event()
            self._hotplug_waiters.append(turn)
            yield turn  # handed over by the holder's unlock, still held
        self._hotplug_busy = True
        try:
            if action.action == "core-add":
                yield from self._core_add(action)
            elif action.action == "core-remove":
                yield from self._core_remove(action)
            elif action.action == "block-add":
                yield from self._block_change(action, online=True)
            elif action.action == "block-remove":
                yield from self._block_change(action, online=False)
            else:
                raise ValueError(f"unknown hotplug action {action.action!r}")
        finally:
            if self._hotplug_waiters:
                self._hotplug_waiters.popleft().succeed()
            else:
                self._hotplug_busy = False
