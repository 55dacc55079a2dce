"""The stepping API: the TUI and the headless runner drive a run through it.

A ``Session`` owns one ``Simulation`` and moves its clock forward, either to
a time (``advance_to``, optionally within a wall-clock budget so a UI keeps
its frame rate) or to the next trace record (``step``). Everything it hands
out is engine state to read; nothing here knows about a UI.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence

from engine.devicetree.cpu_coverage import CoreCoverage, core_coverage
from engine.devicetree.fdt_hole import FdtHole
from engine.devicetree.kdump_fdt import measured_cpu_node_bytes
from engine.kexec.crash_region import CrashRegion
from engine.kexec.image import ImageState
from engine.machine.topology import Machine
from engine.run.explain import (
    CrashTarget,
    FdtProvenance,
    MemoryCoverage,
    ProbeExplanation,
    Window,
    explain_probe,
    fdt_provenance,
    memory_coverage,
    no_dump_windows,
    not_possible_thread,
)
from engine.run.metrics import Metrics, compute_metrics
from engine.run.outcomes import Outcome, Readiness
from engine.run.simulation import Simulation
from engine.run.trace import Record, RecordKind
from engine.scenario.load import Scenario

STEP_EVENT_LIMIT = 100_000  # SimPy events one step() may process before giving up


class Session:
    """One strategy replaying one scenario, advanced explicitly."""

    def __init__(
        self, scenario: Scenario, strategy: str = "udev-reload", seed: int | None = None
    ) -> None:
        self.scenario = scenario
        self.strategy = strategy
        self.sim = Simulation(scenario, strategy, seed)
        self._stepped = 0  # records handed out by step() (or passed by advance_to)
        self._exposure: list[tuple[float, float]] = [(0.0, 0.0)]  # (t, cumulative), closed part
        self._exposure_t: list[float] = [0.0]  # its times, for bisection
        self._coverage: tuple[object, dict[int, CoreCoverage]] | None = None

    # ---------------------------------------------------------------- clock
    @property
    def now_s(self) -> float:
        return float(self.sim.env.now)

    @property
    def duration_s(self) -> float:
        return self.scenario.duration_s

    @property
    def seed(self) -> int:
        return self.sim.seed

    @property
    def finished(self) -> bool:
        return self.now_s >= self.duration_s

    def next_event_s(self) -> float:
        """When the next SimPy event is due (the duration when none is left before it)."""
        return min(float(self.sim.env.peek()), self.duration_s)

    def advance_to(self, t_s: float, *, budget_s: float | None = None) -> Sequence[Record]:
        """Run until ``t_s`` (clamped to the duration); the records produced on the way
        (a view: they are built when read, so a caller that ignores them pays nothing).

        With ``budget_s`` it stops early, between two events, once that much wall
        time has gone: ``now_s`` then lies before ``t_s`` and the next call goes
        on from there. The trace is the same whatever the chunks.
        """
        env = self.sim.env
        target = min(t_s, self.duration_s)
        first = len(self.sim.trace)
        if budget_s is not None:
            deadline = time.perf_counter() + budget_s
            while env.peek() < target:
                env.step()
                if time.perf_counter() >= deadline:
                    self._stepped = len(self.sim.trace)
                    return self.sim.trace.since(first)
        if target > self.now_s:
            env.run(until=target)
        self._stepped = len(self.sim.trace)
        return self.sim.trace.since(first)

    def step(self) -> Record | None:
        """The next trace record, advancing the clock to it if need be; None at the end.

        Records made at one instant come one per call, without moving the clock.
        """
        env, trace = self.sim.env, self.sim.trace
        for _ in range(STEP_EVENT_LIMIT):
            if len(trace) > self._stepped:
                self._stepped += 1
                return trace.records[self._stepped - 1]
            if env.peek() >= self.duration_s:
                self.advance_to(self.duration_s)
                return None
            env.step()
        return None

    def finish_instant(self) -> None:
        """Process every event due at the current instant: the state once it is complete
        (``advance_to(t)`` stops before the events at ``t``; a jump lands after them)."""
        env = self.sim.env
        while env.peek() <= env.now and env.peek() < self.duration_s:
            env.step()
        self._stepped = len(self.sim.trace)

    def run_until(self, done: Callable[[], bool]) -> bool:
        """Step instant by instant until ``done()`` holds once an instant is complete;
        False (at the end of the run) when it never does."""
        env = self.sim.env
        while env.peek() < self.duration_s:
            env.step()
            self.finish_instant()
            if done():
                return True
        self.advance_to(self.duration_s)
        return False

    def run_to_end(self) -> None:
        self.advance_to(self.duration_s)

    # ---------------------------------------------------------- read state
    @property
    def records(self) -> Sequence[Record]:
        return self.sim.trace.records

    @property
    def machine(self) -> Machine:
        return self.sim.machine

    @property
    def region(self) -> CrashRegion:
        return self.sim.region

    @property
    def hole(self) -> FdtHole:
        return self.sim.hole

    @property
    def image(self) -> ImageState:
        return self.sim.image.view()

    @property
    def newest_thread(self) -> int | None:
        return self.sim.newest_thread

    @property
    def cpu_node_bytes(self) -> int:
        """DTB bytes one more core node takes (measured on this machine's template)."""
        return measured_cpu_node_bytes(self.sim.machine)

    @property
    def cpu_nodes_that_fit(self) -> int:
        """How many more core nodes the free room of the FDT segment or hole takes."""
        return max(0, self.hole.free_bytes) // self.cpu_node_bytes

    def core_coverage(self) -> dict[int, CoreCoverage]:
        """The hole's core nodes against the machine (cached until either changes)."""
        key = (self.hole.generation, self.hole.loaded, self.machine.cpu_generation)
        if self._coverage is None or self._coverage[0] != key:
            self._coverage = (key, core_coverage(self.hole, self.machine))
        return self._coverage[1]

    def readiness(self) -> Readiness:
        """The readiness at this instant (inside a torn update: at now, not its average)."""
        return self.sim.history[-1].at(self.now_s)

    def readiness_history(self) -> Sequence[Readiness]:
        """Every readiness segment so far, the last one closed at now (a copy)."""
        return self.sim.closed_history()

    def readiness_since(self, index: int) -> list[Readiness]:
        """Segments from ``index`` on, the last closed at now: for incremental readers."""
        history = self.sim.history
        if index >= len(history):
            return []
        tail = history[index:]
        return [*tail[:-1], tail[-1].closed(self.now_s)]

    def exposure_series(self) -> list[tuple[float, float]]:
        """Cumulative exposure (s) at every readiness change, and now: the metric over time."""
        return [*self._closed_exposure(), self._exposure_now()]

    def _closed_exposure(self) -> list[tuple[float, float]]:
        """The series up to the last readiness change, summed once per closed segment."""
        history = self.sim.history
        done = len(self._exposure) - 1  # closed segments already summed
        t, total = self._exposure[-1]
        for seg in history[done:-1]:
            total += seg.exposure_s
            t = seg.t1_s or seg.t0_s
            self._exposure.append((t, total))
            self._exposure_t.append(t)
        return self._exposure

    def _exposure_now(self) -> tuple[float, float]:
        now = self.sim.history[-1].closed(self.now_s)
        return (self.now_s, self._exposure[-1][1] + now.exposure_s)

    def exposure_between(self, edges_s: Sequence[float]) -> list[float]:
        """Exposure (s) within each ``[edges_s[i], edges_s[i + 1]]``, up to now.

        P(no dump) is constant between two points of ``exposure_series()``, so the
        cumulative exposure is linear there: a reader asking for many small intervals
        (a timeline column each) gets the same integral the metrics take.
        """
        closed = self._closed_exposure()  # not copied: a timeline asks every frame
        times = self._exposure_t
        last = self._exposure_now()
        now = self.now_s

        def cumulative(t_s: float) -> float:
            t_s = min(max(t_s, 0.0), now)
            k = bisect.bisect_right(times, t_s) - 1
            if k < 0:
                return 0.0
            (t0, e0), (t1, e1) = closed[k], closed[k + 1] if k + 1 < len(closed) else last
            return e0 if t1 <= t0 else e0 + (e1 - e0) * (t_s - t0) / (t1 - t0)

        values = [cumulative(t) for t in edges_s]
        return [max(b - a, 0.0) for a, b in zip(values, values[1:], strict=False)]

    def crash_target(self, cpu: int | str) -> CrashTarget:
        """Whether a panic can be injected on ``cpu`` now, and if not why (nothing recorded).

        A thread that is not possible gets the scenario reader's message; a possible
        one that is offline cannot panic (no code runs on it).
        """
        if isinstance(cpu, int):
            problem = not_possible_thread(cpu, self.machine.threads_possible)
            if problem is None and cpu not in self.machine.online_threads:
                problem = f"thread {cpu} is offline: no panic can start on it"
            return CrashTarget(cpu, problem)
        if cpu not in ("newest", "random"):
            return CrashTarget(cpu, f"expected a thread number, 'newest' or 'random'; got {cpu!r}")
        return CrashTarget(cpu, None if self.machine.online_threads else "no online CPU")

    def hole_fill_series(self) -> Sequence[tuple[float, int]]:
        """(t_s, bytes used in the FDT segment or hole) at every change of its fill."""
        return tuple(self.sim.hole_fill)

    def crash(self, cpu: int | str = "newest") -> Outcome | None:
        """A panic now on ``cpu``: its outcome, recorded in the trace.

        Raises ``ValueError`` (recording nothing) for a CPU ``crash_target`` refuses.
        """
        problem = self.crash_target(cpu).problem
        if problem is not None and cpu not in ("newest", "random"):
            raise ValueError(problem)
        return self.sim.probe(cpu)

    # ------------------------------------------------------ explanations
    def probe_explanations(self) -> list[ProbeExplanation]:
        """Every crash probe so far with its cause and what ended its window."""
        seqs = self.sim.trace.seqs_of((RecordKind.CRASH_PROBE,))
        history, records = self.sim.history, self.sim.trace.records
        return [
            explain_probe(outcome, seq, history, records)
            for outcome, seq in zip(self.sim.probes, seqs, strict=True)
        ]

    def no_dump_windows(self) -> list[Window]:
        """Maximal stretches with ``p_no_dump > 0`` so far, the last one maybe still open."""
        return no_dump_windows(self.sim.history, self.now_s)

    def fdt_provenance(self) -> FdtProvenance:
        """Whether the FDT in the segment or hole is the live image's, or what it is."""
        return fdt_provenance(self.image)

    def memory_coverage(self) -> MemoryCoverage:
        """The elfcorehdr's PT_LOAD ranges against the memory blocks online now."""
        m = self.machine
        return memory_coverage(
            self.sim.elfcorehdr.ram_ranges,
            m.block_runs(),
            self.sim.image.elfcorehdr_runs,  # the image keeps runs (issue 10)
            m.memory_block_bytes,
            m.memory_possible_bytes,
        )

    def metrics(self, *, monte_carlo_runs: int | None = None) -> Metrics:
        return compute_metrics(self.sim, monte_carlo_runs=monte_carlo_runs)

    def fdt_blob(self) -> bytes:
        """The FDT as it stands in its segment or hole now, packed (a valid .dtb)."""
        return self.sim.hole.packed()
