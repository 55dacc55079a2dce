"""Warnings for valid but expensive scenarios, with the estimate, before anything runs.

The thresholds are where a run on one core stops taking seconds (an assumption,
measured on this project's shipped scenarios, not a published figure): each
warning names what is large, how large, and the work it means per strategy.
"""

from __future__ import annotations

from engine.errors import printable, shown_path
from engine.scenario.model import Scenario

PROBES_WARN = 10_000  # crash probes: one SimPy process and one outcome each
MONTE_CARLO_WARN = 1_000_000  # samples per strategy
PHASES_WARN = 100  # storm and churn phases together
EVENTS_WARN = 50_000  # hotplug events per strategy (churn counted as expected)


def expense_warnings(scenario: Scenario, strategies: int | None = None) -> list[str]:
    """One line per expensive part, ``FILE: warning: WHAT: ESTIMATE``; empty when cheap."""
    runs = strategies if strategies is not None else len(scenario.strategies)
    head = f"{printable(shown_path(scenario.source))}: warning"  # as errors name the file
    out = []
    probes = len(scenario.crash.probes)
    if probes > PROBES_WARN:
        out.append(
            f"{head}: {probes} crash probes: {probes * runs} probe outcomes over {runs} runs"
        )
    samples = scenario.crash.monte_carlo
    if samples > MONTE_CARLO_WARN:
        out.append(
            f"{head}: crash.monte_carlo = {samples}: {samples * runs} samples over {runs} runs"
        )
    phases = len(scenario.storms) + len(scenario.churn) + len(scenario.captures)
    if phases > PHASES_WARN:
        out.append(f"{head}: {phases} storm and churn phases: one SimPy process per event")
    events = (
        sum(p.count for p in scenario.storms)
        + sum(len(c.steps) for c in scenario.captures)
        + sum(c.rate_per_s * (c.end_s - c.start_s) for c in scenario.churn)
    )
    if events > EVENTS_WARN:
        out.append(
            f"{head}: about {events:.0f} hotplug events: about {events * runs:.0f} "
            f"simulated over {runs} runs"
        )
    return out
