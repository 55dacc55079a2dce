"""The RFC's half-written tree as a function of time: exact counts, integrals, the device lock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.devicetree.update_progress import TornUpdate, UpdateSpan
from engine.run.trace import RecordKind
from tests.strategy_scenarios import scenario, session

CPU_ADD = '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 1'


def brute_readded(u: TornUpdate, t_s: float) -> int:
    return sum(1 for i in range(len(u.order)) if u.node_back_s(i) <= t_s)


def brute_integral(u: TornUpdate, per_node: list[int], a_s: float, b_s: float) -> float:
    """Split [a, b] at every node's return and the overwrite; sum count x length."""
    over = u.span.overwritten_s
    cuts = sorted({a_s, b_s, *(u.node_back_s(i) for i in range(len(u.order)))})
    if over is not None:
        cuts = sorted({*cuts, over})
    total = 0.0
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        if lo < a_s or hi > b_s or (over is not None and lo >= over):
            continue
        back = brute_readded(u, lo)  # constant on [lo, hi)
        total += sum(per_node[back:]) * (hi - lo)
    return total


updates = st.builds(
    lambda n, deletes, calls, duration, counts, over: (n, deletes, calls, duration, counts, over),
    st.integers(1, 30),
    st.integers(0, 20),
    st.integers(1, 20),
    st.floats(1e-6, 5.0),
    st.lists(st.integers(0, 8), min_size=30, max_size=30),
    st.one_of(st.none(), st.floats(0.0, 1.0)),
)


@settings(max_examples=400, deadline=None)
@given(updates, st.floats(-0.2, 1.2), st.floats(0.0, 1.4))
def test_the_torn_count_integrates_exactly_the_step_function_of_nodes_coming_back(
    update, a_frac, width_frac
):
    n, deletes, calls, duration, counts, over_frac = update
    span = UpdateSpan("hypothesis", 10.0)
    u = TornUpdate.spread(span, tuple(range(n)), 1, duration, deletes, calls)
    if over_frac is not None:
        span.overwritten_s = 10.0 + over_frac * duration
    per_node = counts[:n]
    torn = u.count(per_node, {})
    a = 10.0 + a_frac * duration
    b = a + width_frac * duration
    assert u.readded_at(a) == brute_readded(u, a)
    assert torn.integral(a, b) == pytest.approx(brute_integral(u, per_node, a, b), abs=1e-9)
    if b > a:
        assert torn.mean(a, b) == pytest.approx(torn.integral(a, b) / (b - a))


def test_missing_threads_are_not_counted_twice_as_torn():
    # the final FDT lacks one thread of core 1: it is "missing", not also "torn"
    u = TornUpdate.spread(UpdateSpan("", 0.0), (2, 0, 1), 8, 3.0, 0, 1)
    torn = u.count([8, 8, 8], {1: 1})
    assert torn.at(0.0) == 8 + 8 + 7
    assert torn.at(1.5) == 8 + 7  # core 2 back at 1.0 s
    assert torn.at(3.0) == 0


def test_a_finished_runs_exposure_over_the_update_is_the_sum_of_its_node_steps():
    # 2 boot cores + 1 added (SMT1, 3 online threads): nodes back in the order 2, 0, 1
    s = session(scenario(CPU_ADD, smt=1), "fdt-hole")
    s.run_to_end()
    start = next(r for r in s.records if r.kind == RecordKind.UPDATE_START.value)
    end = next(r for r in s.records if r.kind == RecordKind.UPDATE_END.value)
    u = TornUpdate.spread(
        UpdateSpan("", start.t_s),
        (2, 0, 1),
        1,
        end.t_s - start.t_s,
        2 + s.sim.strategy.cpus_props,
        1 + len(s.sim.machine.template.prop_names),
    )
    # by hand: 3/3 lost until node 0 is back, 2/3 until node 1, 1/3 until node 2
    back = [u.node_back_s(i) for i in range(3)]
    by_hand = (back[0] - start.t_s) + (back[1] - back[0]) * 2 / 3 + (back[2] - back[1]) / 3
    in_window = [
        seg for seg in s.readiness_history() if start.t_s <= seg.t0_s and (seg.t1_s or 0) <= end.t_s
    ]
    assert len(in_window) == 1  # one segment for the whole update, not one per node
    assert in_window[0].cause == "fdt-torn"
    assert in_window[0].exposure_s == pytest.approx(by_hand, rel=1e-9)


def test_the_next_dlpar_request_waits_for_the_rfc_hook_under_the_device_hotplug_lock():
    # a 1 s fixed update cost: the second core's request (1 ms later) must wait for it,
    # as dlpar_cpu() holds lock_device_hotplug() around dlpar_cpu_add() and its hook
    storm = '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 2\nevery = "1ms"'
    slow = 'kernel_update = { fixed = "1s" }'
    s = session(scenario(storm, smt=1, extra_kdump=slow), "fdt-hole")
    s.run_to_end()
    kinds = [(r.kind, r.t_s) for r in s.records if r.kind in ("core-add", "update-end")]
    assert [k for k, _ in kinds] == ["core-add", "update-end", "core-add", "update-end"]
    assert kinds[2][1] >= kinds[1][1] >= 2.0  # the second add only after the first update
