"""Whole runs: a real DTB as the machine, and invariants over random storms."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.run.session import Session
from engine.scenario.load import parse_scenario
from engine.strategies import STRATEGY_NAMES as STRATEGIES
from tests.fdt_compare import cpu_nodes as cpu_nodes_of
from tests.strategy_scenarios import scenario

DATA = Path(__file__).resolve().parent / "data"


def test_a_machine_imported_from_qemu_grows_in_the_hole_into_the_bigger_qemu_tree():
    text = f"""
[scenario]
name = "QEMU smp8 -> smp12"
seed = 1
duration = "10s"
[machine]
from_dtb = "{DATA / "pseries_power9_smp8_max32.dtb"}"
[kdump]
crashkernel = "256MiB"
kernel = "20MiB"
initrd = "20MiB"
[[storm]]
at = "1s"
action = "cpu-add"
cores = 4
every = "500ms"
"""
    sc = parse_scenario(text, "from_dtb.toml")
    s = Session(sc, "fdt-hole")
    assert len(s.hole.cpu_nodes()) == 8
    s.run_to_end()
    assert s.metrics().kernel_updates == 4
    got = cpu_nodes_of(s.fdt_blob())
    want = cpu_nodes_of((DATA / "pseries_power9_smp12_max32.dtb").read_bytes())
    assert got == want


storms = st.lists(
    st.tuples(
        st.sampled_from(["cpu-add", "cpu-remove", "memory-add", "memory-remove"]),
        st.integers(1, 3),  # how many
        st.sampled_from(["1ms", "5ms", "300ms", "1.1s"]),  # spacing
    ),
    min_size=1,
    max_size=4,
)


def storm_toml(phases) -> str:
    parts, at = [], 1.0
    for action, count, every in phases:
        key = "cores" if action.startswith("cpu") else "blocks"
        parts.append(
            f'[[storm]]\nat = "{at:g}s"\naction = "{action}"\n{key} = {count}\nevery = "{every}"'
        )
        at += 2.5
    return "\n".join(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phases=storms, strategy=st.sampled_from(STRATEGIES))
def test_readiness_is_a_gapless_timeline_and_metrics_stay_within_the_run(phases, strategy):
    try:
        sc = scenario(
            storm_toml(phases),
            smt=2,
            present=4,
            possible=12,
            duration="20s",
            probes='[ { at = "3s", cpu = "newest" } ]',
        )
    except InputError:
        reject()  # e.g. removing more cores than are present: validation says so

    s = Session(sc, strategy)
    s.run_to_end()
    history = s.readiness_history()
    assert history[0].t0_s == 0.0 and history[-1].t1_s == 20.0
    for a, b in zip(history, history[1:], strict=False):
        assert a.t1_s == b.t0_s and a.t0_s < a.t1_s
        assert not a.same_state(b)
    for seg in history:
        assert 0.0 <= seg.p_no_dump <= 1.0 and 0.0 <= seg.p_incomplete <= 1.0 - seg.p_no_dump
    m = s.metrics(monte_carlo_runs=500)
    assert 0.0 <= m.exposure_s <= m.at_risk_s <= 20.0
    assert m.windows.total_s == m.at_risk_s
    # whatever happened, the FDT in its segment is a valid tree the capture kernel can read
    assert len(s.hole.cpu_nodes()) >= 1
    if strategy == "crash-hotplug":
        assert all(seg.cause != "cpu-missing-in-fdt" for seg in history)
    if strategy != "crash-hotplug" and strategy != "fdt-hole":
        # udev strategies end consistent once their last reload is done
        assert m.settle_s is None or history[-1].p_no_dump == 0.0
