"""The stepping API: the TUI and the headless runner drive a run through it.

A ``Session`` owns one ``Simulation`` and moves its clock forward, either to
a time (``advance_to``) or to the next trace record (``step``). Everything it
hands out is engine state to read; nothing here knows about a UI.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.crash_region import CrashRegion
from engine.fdt_hole import FdtHole
from engine.kexec_image import ImageState
from engine.outcomes import Outcome, Readiness
from engine.scenario import Scenario
from engine.simulation import Simulation
from engine.topology import Machine
from engine.trace import Record

STEP_EVENT_LIMIT = 100_000  # SimPy events one step() may process before giving up


class Session:
    """One strategy replaying one scenario, advanced explicitly."""

    def __init__(
        self, scenario: Scenario, strategy: str = "udev-reload", seed: int | None = None
    ) -> None:
        self.scenario = scenario
        self.strategy = strategy
        self.sim = Simulation(scenario, strategy, seed)

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

    def advance_to(self, t_s: float) -> list[Record]:
        """Run until ``t_s`` (clamped to the duration); the records produced on the way."""
        target = min(t_s, self.duration_s)
        first = len(self.sim.trace)
        if target > self.now_s:
            self.sim.env.run(until=target)
        return list(self.sim.trace.records[first:])

    def step(self) -> Record | None:
        """Advance to the next trace record; None at the end of the run."""
        env, trace = self.sim.env, self.sim.trace
        first = len(trace)
        for _ in range(STEP_EVENT_LIMIT):
            if len(trace) > first:
                return trace.records[first]
            if env.peek() >= self.duration_s:
                self.advance_to(self.duration_s)
                return trace.records[first] if len(trace) > first else None
            env.step()
        return trace.records[first] if len(trace) > first else None

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

    def readiness(self) -> Readiness:
        return self.sim.history[-1]

    def readiness_history(self) -> Sequence[Readiness]:
        return self.sim.closed_history()

    def crash(self, cpu: int | str = "newest") -> Outcome | None:
        """A panic now on ``cpu``: its outcome, recorded in the trace."""
        return self.sim.probe(cpu)

    def metrics(self, *, monte_carlo_runs: int | None = None) -> dict[str, object]:
        from engine.metrics import compute_metrics

        return compute_metrics(self.sim, monte_carlo_runs=monte_carlo_runs)

    def fdt_blob(self) -> bytes:
        """The FDT as it stands in its segment or hole now, packed (a valid .dtb)."""
        return self.sim.hole.packed()
