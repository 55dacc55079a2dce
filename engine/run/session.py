"""The stepping API: the TUI and the headless runner drive a run through it.

A ``Session`` owns one ``Simulation`` and moves its clock forward, either to
a time (``advance_to``, optionally within a wall-clock budget so a UI keeps
its frame rate) or to the next trace record (``step``). Everything it hands
out is engine state to read; nothing here knows about a UI.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from engine.devicetree.cpu_coverage import CoreCoverage, core_coverage
from engine.devicetree.fdt_hole import FdtHole
from engine.devicetree.kdump_fdt import measured_cpu_node_bytes
from engine.kexec.crash_region import CrashRegion
from engine.kexec.image import ImageState
from engine.machine.topology import Machine
from engine.run.metrics import Metrics, compute_metrics
from engine.run.outcomes import Outcome, Readiness
from engine.run.simulation import Simulation
from engine.run.trace import Record
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

    def advance_to(self, t_s: float, *, budget_s: float | None = None) -> list[Record]:
        """Run until ``t_s`` (clamped to the duration); the records produced on the way.

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
                    return list(self.sim.trace.records[first:])
        if target > self.now_s:
            env.run(until=target)
        self._stepped = len(self.sim.trace)
        return list(self.sim.trace.records[first:])

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
        return self.sim.history[-1]

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
        history = self.sim.history
        done = len(self._exposure) - 1  # closed segments already summed
        t, total = self._exposure[-1]
        for seg in history[done:-1]:
            total += seg.exposure_s
            t = seg.t1_s or seg.t0_s
            self._exposure.append((t, total))
        now = history[-1].closed(self.now_s)
        return [*self._exposure, (self.now_s, total + now.exposure_s)]

    def hole_fill_series(self) -> Sequence[tuple[float, int]]:
        """(t_s, bytes used in the FDT segment or hole) at every change of its fill."""
        return tuple(self.sim.hole_fill)

    def crash(self, cpu: int | str = "newest") -> Outcome | None:
        """A panic now on ``cpu``: its outcome, recorded in the trace."""
        return self.sim.probe(cpu)

    def metrics(self, *, monte_carlo_runs: int | None = None) -> Metrics:
        return compute_metrics(self.sim, monte_carlo_runs=monte_carlo_runs)

    def fdt_blob(self) -> bytes:
        """The FDT as it stands in its segment or hole now, packed (a valid .dtb)."""
        return self.sim.hole.packed()
