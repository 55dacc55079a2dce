"""Metrics folded once per final segment equal one pass over the closed history."""

from __future__ import annotations

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.run.history_totals import Totals
from engine.run.session import Session
from engine.strategies import STRATEGY_NAMES as STRATEGIES
from tests.strategy_scenarios import scenario
from tests.test_simulation_properties import storm_toml, storms


def one_pass(session: Session) -> Totals:
    """The reference, written out apart from ``Totals.add``: the loops compute_metrics and
    window_stats ran over the closed history before the totals were kept."""
    want = Totals()
    current, in_window = 0.0, False
    for seg in session.readiness_history():
        want.exposure_s += seg.exposure_s
        if seg.p_no_dump > 0:
            want.at_risk_s += seg.length_s
        if seg.p_incomplete > 0:
            want.incomplete_s += seg.length_s
    for seg in session.readiness_history():
        if seg.p_no_dump > 0:
            if not in_window:
                want.windows += 1
                in_window, current = True, 0.0
            current += seg.length_s
            want.window_total_s += seg.length_s
            if seg.cause:
                want.by_cause[seg.cause] = want.by_cause.get(seg.cause, 0.0) + seg.length_s
            want.longest_s = max(want.longest_s, current)
        else:
            in_window = False
    return want


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    phases=storms,
    strategy=st.sampled_from(STRATEGIES),
    stops=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=12),
)
def test_running_totals_equal_a_fresh_pass_at_every_stop(phases, strategy, stops):
    try:
        sc = scenario(storm_toml(phases), smt=2, present=4, possible=12, duration="20s")
    except InputError:
        reject()
    s = Session(sc, strategy)
    for t in sorted(stops):
        s.advance_to(t)  # stops between events and at instants whose events are half done
        m, want = s.metrics(monte_carlo_runs=0), one_pass(s)
        # exactly equal: the same floats added in the same order
        assert (m.exposure_s, m.at_risk_s, m.incomplete_s) == (
            round(want.exposure_s, 9),
            round(want.at_risk_s, 9),
            round(want.incomplete_s, 9),
        )
        assert (m.windows.count, m.windows.max_s, m.windows.total_s) == (
            want.windows,
            round(want.longest_s, 9),
            round(want.window_total_s, 9),
        )
        assert m.windows.by_cause == {c: round(v, 9) for c, v in want.by_cause.items()}


def test_running_totals_equal_a_fresh_pass_after_every_record_of_a_storm():
    # record by record, inside instants too: where refresh() pops a segment that lasted
    # no time and reopens the one before it
    storm = storm_toml([("cpu-add", 3, "1ms"), ("memory-add", 2, "1ms"), ("cpu-remove", 2, "1ms")])
    sc = scenario(storm, smt=2, present=4, possible=12)
    s = Session(sc, "crash-hotplug")  # its per-thread updates pop segments (3 in this storm)
    while s.step() is not None:
        m, want = s.metrics(monte_carlo_runs=0), one_pass(s)
        assert m.exposure_s == round(want.exposure_s, 9)
        assert m.windows.count == want.windows
    assert s.metrics(monte_carlo_runs=0).windows.count >= 1  # the storm opened windows
