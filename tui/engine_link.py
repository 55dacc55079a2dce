"""The one place the TUI imports the engine: scenarios, sessions, lock step, strategies.

Everything here is typed with the engine's own classes (re-exported for the
widgets), so the TUI reads engine state through checked seams, never an untyped value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from engine.devicetree.cpu_coverage import CoreCoverage
from engine.errors import InputError
from engine.output_file import write_fresh_file
from engine.run.definitions import DEFINITIONS
from engine.run.explain import (
    PROVENANCE_TEXT,
    FdtProvenance,
    MemoryCoverage,
    ProbeExplanation,
)
from engine.run.lockstep import Lockstep
from engine.run.metrics import Metrics
from engine.run.outcomes import Cause, Outcome, Readiness, Result, load_monte_carlo
from engine.run.session import Session
from engine.run.trace import SPAN_ENDS, Record, RecordKind
from engine.scenario.load import Scenario
from engine.scenario.load import load_scenario as _load_scenario
from engine.strategies import STRATEGY_NAMES
from engine.sweep.aggregate import Aggregate, aggregate
from engine.sweep.chart import Chart, chart
from engine.sweep.grid import Point
from engine.sweep.plan import scenario_at
from engine.sweep.table import SweepResults, read_results
from engine.units import format_size
from scenarios import DEFAULT

DEFAULT_SCENARIO = DEFAULT

__all__ = [
    "DEFAULT_SCENARIO",
    "FdtProvenance",
    "MemoryCoverage",
    "ProbeExplanation",
    "Aggregate",
    "Chart",
    "Point",
    "SweepResults",
    "SPAN_ENDS",
    "Cause",
    "CoreCoverage",
    "InputError",
    "Lockstep",
    "Metrics",
    "Outcome",
    "Readiness",
    "Record",
    "RecordKind",
    "Result",
    "Scenario",
    "Session",
    "lockstep",
    "load_scenario",
    "new_session",
    "scenario_label",
    "format_size",
    "strategy_names",
    "read_sweep",
    "sweep_aggregates",
    "sweep_chart",
    "sweep_scenario",
    "write_export",
]


def load_scenario(path: str | Path) -> Scenario:
    """Parse a scenario file (raises ``InputError`` on bad input)."""
    return _load_scenario(Path(path))


def new_session(scenario: Scenario, strategy: str, seed: int | None = None) -> Session:
    """A fresh ``Session`` at t = 0 on ``scenario``'s storm."""
    return Session(scenario, strategy=strategy, seed=seed)


def write_export(directory: Path, stem: str, suffix: str, chunks: bytes | Iterable[bytes]) -> Path:
    """Write an export under the first free name (``engine.output_file.write_fresh_file``).

    Raises ``engine.errors.InputError`` (one line) when it cannot be written.
    """
    return write_fresh_file(directory, stem, suffix, chunks)


def strategy_names() -> tuple[str, ...]:
    """Every reload strategy the engine knows, in its own order."""
    return STRATEGY_NAMES


def scenario_label(scenario: Scenario, path: str | Path | None) -> str:
    """A short name for the header: the scenario's own name, else its file name."""
    if scenario.name:
        return scenario.name
    return Path(path).name if path else "scenario"


def lockstep(sessions: Sequence[Session]) -> Lockstep:
    """The engine's lock step over ``sessions`` (compare mode): one simulated clock."""
    return Lockstep(sessions)


def provenance_text(provenance: FdtProvenance) -> str:
    """What the bytes in the FDT segment or hole are (``Session.fdt_provenance()``)."""
    return PROVENANCE_TEXT[provenance]


def warm_up() -> None:
    """Load what the verdict's Monte Carlo needs (``load_monte_carlo``): for a thread."""
    load_monte_carlo()


def metrics_of(session: Session, monte_carlo_runs: int | None = 0) -> Metrics:
    """``Session.metrics()``; 0 Monte Carlo runs while playing (cheap), None: the
    scenario's count (the verdict)."""
    return session.metrics(monte_carlo_runs=monte_carlo_runs)


def definitions() -> tuple[tuple[str, str], ...]:
    """(term, definition) of the run's figures: exposure, at risk, settle, P(captured)..."""
    return DEFINITIONS


# -- sweeps (issue 13): the browser reads a sweep's rows; the engine reduces them ------


def read_sweep(path: str | Path) -> SweepResults:
    """A sweep's CSV or Parquet rows (raises ``InputError`` on a bad file)."""
    return read_results(path)


def sweep_aggregates(results: SweepResults, metrics: Sequence[str]) -> list[Aggregate]:
    """Mean and 95% interval per (point, strategy) over the seeds, for ``metrics``."""
    return aggregate(results.rows, metrics)


def sweep_chart(aggregates: Sequence[Aggregate], metric: str) -> Chart:
    """The series a sweep chart draws (one per strategy) along the first varied key."""
    return chart(aggregates, metric)


def sweep_scenario(path: str | Path, point: Point) -> Scenario:
    """The scenario at one sweep point (raises ``InputError`` if it no longer reads)."""
    return scenario_at(path, point)
