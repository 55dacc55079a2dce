"""What a run means: exposure, windows, reloads, hole use, probes, Monte Carlo.

``exposure_s`` is the integral over the run of the probability that a panic
on a uniformly random online CPU gets no dump; ``at_risk_s`` the time that
probability is above zero. A *window* is a maximal stretch with
``p_no_dump > 0``; ``by_cause`` splits its time by what made the dump fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.rng import RandomStreams
from engine.run.outcomes import Readiness, monte_carlo

if TYPE_CHECKING:
    from engine.run.simulation import Simulation

METRIC_KEYS = (
    "exposure_s",
    "at_risk_s",
    "incomplete_s",
    "windows",
    "reloads",
    "reload_cpu_s",
    "bytes_copied",
    "uevents",
    "dropped_uevents",
    "kernel_updates",
    "skipped_updates",
    "settle_s",
    "udev_drained_s",
    "fdt_hole",
    "probes",
    "monte_carlo",
    "trace_digest",
)


def _r(x: float) -> float:
    return round(x, 9)


def window_stats(history: Sequence[Readiness]) -> dict[str, object]:
    """Count, longest and total of the no-dump windows, and seconds by cause."""
    count = 0
    longest = total = 0.0
    current = 0.0
    in_window = False
    by_cause: dict[str, float] = {}
    for seg in history:
        length = (seg.t1_s or seg.t0_s) - seg.t0_s
        if seg.p_no_dump > 0:
            if not in_window:
                count += 1
                in_window = True
                current = 0.0
            current += length
            total += length
            if seg.cause:
                by_cause[seg.cause] = by_cause.get(seg.cause, 0.0) + length
            longest = max(longest, current)
        else:
            in_window = False
    return {
        "count": count,
        "max_s": _r(longest),
        "total_s": _r(total),
        "by_cause": {k: _r(v) for k, v in sorted(by_cause.items())},
    }


def settle_time(history: Sequence[Readiness], last_uevent_s: float | None) -> float | None:
    """Last uevent to the moment from which the image stays consistent (None: never)."""
    if last_uevent_s is None:
        return 0.0
    last = history[-1]
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


def compute_metrics(sim: Simulation, *, monte_carlo_runs: int | None = None) -> dict[str, object]:
    """Metrics of the run so far (up to the simulation's current time)."""
    history = sim.closed_history()
    exposure = at_risk = incomplete = 0.0
    for seg in history:
        length = (seg.t1_s or seg.t0_s) - seg.t0_s
        exposure += seg.p_no_dump * length
        if seg.p_no_dump > 0:
            at_risk += length
        if seg.p_incomplete > 0:
            incomplete += length
    c = sim.counters
    runs = sim.scenario.crash.monte_carlo if monte_carlo_runs is None else monte_carlo_runs
    elapsed = sim.env.now
    # a fresh stream each time: asking for metrics twice gives the same answer
    mc = monte_carlo(history, elapsed, runs, RandomStreams(sim.seed).get("crash.monte_carlo"))
    return {
        "exposure_s": _r(exposure),
        "at_risk_s": _r(at_risk),
        "incomplete_s": _r(incomplete),
        "windows": window_stats(history),
        "reloads": c["reloads"],
        "reload_cpu_s": _r(c["reload_cpu_s"]),
        "bytes_copied": c["bytes_copied"],
        "uevents": c["uevents"],
        "dropped_uevents": c["dropped_uevents"],
        "kernel_updates": c["kernel_updates"],
        "skipped_updates": c["skipped_updates"],
        "settle_s": settle_time(history, sim.last_uevent_s),
        "udev_drained_s": udev_drained(sim),
        "fdt_hole": {
            "size_bytes": sim.hole.size_bytes,
            "in_place": sim.region.hole is not None,
            "peak_used_bytes": sim.peak_used_bytes,
            "used_bytes": sim.hole.used_bytes,
            "nospace": c["nospace"],
            "stale": sim.hole.stale,
        },
        "probes": [p.as_dict() for p in sim.probes],
        "monte_carlo": mc.as_dict(),
        "elapsed_s": _r(elapsed),
        "trace_digest": sim.trace.digest(),
    }
