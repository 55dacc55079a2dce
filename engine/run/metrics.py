"""What a run means: exposure, windows, reloads, hole use, probes, Monte Carlo.

``exposure_s`` is the integral over the run of the probability that a panic
on a uniformly random online CPU gets no dump (``Readiness.exposure_s`` per
segment, the one place it is computed); ``at_risk_s`` the time that
probability is above zero. A *window* is a maximal stretch with
``p_no_dump > 0``; ``by_cause`` splits its time by what made the dump fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.rng import RandomStreams
from engine.run.history_totals import Totals
from engine.run.outcomes import Cause, MonteCarlo, Outcome, Readiness, monte_carlo
from engine.run.trace import TracePrefix

if TYPE_CHECKING:
    from engine.run.simulation import Simulation


def _r(x: float) -> float:
    return round(x, 9)


@dataclass(frozen=True)
class Windows:
    """The no-dump windows: how many, the longest, their total, and seconds by cause."""

    count: int
    max_s: float
    total_s: float
    by_cause: Mapping[Cause, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "max_s": self.max_s,
            "total_s": self.total_s,
            "by_cause": {c.value: s for c, s in sorted(self.by_cause.items())},
        }


@dataclass(frozen=True)
class FdtHoleUse:
    """The FDT segment or hole: its size, how full it got, and NOSPACE failures."""

    size_bytes: int
    in_place: bool
    peak_used_bytes: int
    used_bytes: int
    nospace: int
    stale: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "size_bytes": self.size_bytes,
            "in_place": self.in_place,
            "peak_used_bytes": self.peak_used_bytes,
            "used_bytes": self.used_bytes,
            "nospace": self.nospace,
            "stale": self.stale,
        }


@dataclass(frozen=True)
class Metrics:
    """The metrics of one run so far; ``as_dict()`` is the JSON ``run --format json`` prints.

    ``trace_digest`` is hashed when first read (``TracePrefix``): the TUI asks for
    metrics several times a second while playing and never shows the digest.
    """

    exposure_s: float
    at_risk_s: float
    incomplete_s: float
    windows: Windows
    reloads: int
    reload_cpu_s: float
    bytes_copied: int
    uevents: int
    dropped_uevents: int
    kernel_updates: int
    skipped_updates: int
    settle_s: float | None  # None: the image never became consistent again
    udev_drained_s: float | None  # None: udev still busy at the end of the run
    fdt_hole: FdtHoleUse
    probes: tuple[Outcome, ...]
    monte_carlo: MonteCarlo
    elapsed_s: float
    trace: TracePrefix = field(repr=False)  # the records these metrics were computed over

    @property
    def trace_digest(self) -> str:
        """sha256 of the trace's JSON Lines export up to these metrics' instant."""
        return self.trace.digest()

    def as_dict(self) -> dict[str, object]:
        return {
            "exposure_s": self.exposure_s,
            "at_risk_s": self.at_risk_s,
            "incomplete_s": self.incomplete_s,
            "windows": self.windows.as_dict(),
            "reloads": self.reloads,
            "reload_cpu_s": self.reload_cpu_s,
            "bytes_copied": self.bytes_copied,
            "uevents": self.uevents,
            "dropped_uevents": self.dropped_uevents,
            "kernel_updates": self.kernel_updates,
            "skipped_updates": self.skipped_updates,
            "settle_s": self.settle_s,
            "udev_drained_s": self.udev_drained_s,
            "fdt_hole": self.fdt_hole.as_dict(),
            "probes": [p.as_dict() for p in self.probes],
            "monte_carlo": self.monte_carlo.as_dict(),
            "elapsed_s": self.elapsed_s,
            "trace_digest": self.trace_digest,
        }


def _windows(t: Totals) -> Windows:
    """Count, longest and total of the no-dump windows, and seconds by cause."""
    return Windows(
        t.windows, _r(t.longest_s), _r(t.window_total_s), {k: _r(v) for k, v in t.by_cause.items()}
    )


def settle_time(last: Readiness, last_uevent_s: float | None) -> float | None:
    """Last uevent to the moment from which the image stays consistent (None: never);
    ``last``: the history's last segment, closed now."""
    if last_uevent_s is None:
        return 0.0
    if last.p_no_dump > 0 or last.p_incomplete > 0:
        return None
    return _r(max(0.0, last.t0_s - last_uevent_s))


def udev_drained(sim: Simulation) -> float | None:
    """First uevent to the moment udev's queue was last empty (None: still busy)."""
    udev = sim.udev
    if udev.first_event_s is None:
        return 0.0
    if udev.busy() or udev.drained_s is None:
        return None
    return _r(udev.drained_s - udev.first_event_s)


def compute_metrics(sim: Simulation, *, monte_carlo_runs: int | None = None) -> Metrics:
    """Metrics of the run so far (up to the simulation's current time)."""
    elapsed = sim.env.now
    totals = sim.history_totals.of(sim.history, elapsed)
    c = sim.counters
    runs = sim.scenario.crash.monte_carlo if monte_carlo_runs is None else monte_carlo_runs
    # a fresh stream each time: asking for metrics twice gives the same answer
    history = sim.closed_history() if runs > 0 else ()
    mc = monte_carlo(history, elapsed, runs, RandomStreams(sim.seed).get("crash.monte_carlo"))
    return Metrics(
        exposure_s=_r(totals.exposure_s),
        at_risk_s=_r(totals.at_risk_s),
        incomplete_s=_r(totals.incomplete_s),
        windows=_windows(totals),
        reloads=c.reloads,
        reload_cpu_s=_r(c.reload_cpu_s),
        bytes_copied=c.bytes_copied,
        uevents=c.uevents,
        dropped_uevents=c.dropped_uevents,
        kernel_updates=c.kernel_updates,
        skipped_updates=c.skipped_updates,
        settle_s=settle_time(sim.history[-1].closed(elapsed), sim.last_uevent_s),
        udev_drained_s=udev_drained(sim),
        fdt_hole=FdtHoleUse(
            size_bytes=sim.hole.size_bytes,
            in_place=sim.region.hole is not None,
            peak_used_bytes=sim.peak_used_bytes,
            used_bytes=sim.hole.used_bytes,
            nospace=c.nospace,
            stale=sim.hole.stale,
        ),
        probes=tuple(sim.probes),
        monte_carlo=mc,
        elapsed_s=_r(elapsed),
        trace=sim.trace.prefix(),
    )
