"""The RFC's hook as written: no lock, a half-written tree, and a load writing the same hole."""

from __future__ import annotations

import pytest

from engine.devicetree.update_progress import TornUpdate, UpdateSpan
from engine.run.trace import RecordKind
from engine.strategies.rfc_hook import _CPUS_REBUILD_CALLS
from tests.strategy_scenarios import scenario, session

CPU_ADD = '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 1'
MEMORY_THEN = '[[storm]]\nat = "1s"\naction = "memory-add"\nblocks = 1\n'


def of(s, kind: RecordKind):
    return [r for r in s.records if r.kind == kind.value]


def test_the_rfc_update_never_takes_the_kexec_lock_and_runs_while_another_holds_it():
    s = session(scenario(CPU_ADD, smt=2), "fdt-hole")
    s.advance_to(0.5)
    assert s.sim.image.try_lock("kexec -p in progress")
    s.run_to_end()
    start = of(s, RecordKind.UPDATE_START)
    assert len(start) == 1 and start[0].detail["lock"] is None
    assert start[0].detail["form"] == "2021"
    assert not of(s, RecordKind.UPDATE_SKIP)
    assert not of(s, RecordKind.LOCK_TAKEN)
    assert s.sim.image.lock_holder == "kexec -p in progress"  # untouched by the update
    assert len(of(s, RecordKind.UPDATE_END)) == 1


def test_the_rfc_update_edits_the_hole_even_with_no_image_loaded():
    s = session(scenario(CPU_ADD, smt=1), "fdt-hole")
    s.advance_to(0.5)
    s.sim.image.loaded = False  # as between a reload's unload and its load
    s.run_to_end()
    start = of(s, RecordKind.UPDATE_START)[0]
    assert start.detail["image_loaded"] is False
    assert 2 in s.hole.fdt_threads()  # core 2's single thread: its node was written


def _update_times(s):
    """(start, per-node re-add times) of the first RFC update in a finished run."""
    sim = s.sim
    start = of(s, RecordKind.UPDATE_START)[0]
    end = of(s, RecordKind.UPDATE_END)[0]
    nodes = len(sim.machine.present_cores)
    calls = 1 + len(sim.machine.template.prop_names)
    deletes = _CPUS_REBUILD_CALLS + sim.strategy.cpus_props
    update = TornUpdate.spread(
        UpdateSpan("", start.t_s), tuple(range(nodes)), 1, end.t_s - start.t_s, deletes, calls
    )
    return start.t_s, [update.node_back_s(i) for i in range(nodes)]


def test_a_panic_inside_the_update_on_a_cpu_whose_node_is_not_back_is_fdt_torn():
    # 2 boot cores + 1 added (SMT1): live-tree order is core 2, core 0, core 1
    sc = scenario(CPU_ADD, smt=1)
    probe = session(sc, "fdt-hole")
    probe.run_to_end()
    start_s, readd = _update_times(probe)
    assert len(readd) == 3 and start_s < readd[0] < readd[1] < readd[2]
    s = session(sc, "fdt-hole")
    s.advance_to((start_s + readd[0]) / 2)  # every CPU node deleted, none back yet
    assert s.crash(cpu=0).cause == "fdt-torn"
    assert s.crash(cpu=2).cause == "fdt-torn"
    assert s.readiness().p_no_dump == 1.0 and s.readiness().cause == "fdt-torn"
    s.advance_to((readd[0] + readd[1]) / 2)  # the DLPAR-added core 2 is back first
    assert s.crash(cpu=2).result == "captured"
    assert s.crash(cpu=0).cause == "fdt-torn"
    assert s.readiness().p_no_dump == pytest.approx(2 / 3)
    s.advance_to(readd[2] + 1e-6)
    assert s.crash(cpu=0).result == "captured"
    assert s.crash(cpu=1).result == "captured"


def _reload_window(strategy_scenario):
    s = session(strategy_scenario, "fdt-hole")
    s.run_to_end()
    build = of(s, RecordKind.LOAD_BUILD)[0]
    end = of(s, RecordKind.LOAD_END)[0]
    return build.t_s, end.t_s


def test_an_update_between_a_loads_read_and_its_copy_is_overwritten_and_the_cpu_lost():
    base = scenario(MEMORY_THEN, smt=1)
    read_s, write_s = _reload_window(base)
    at = read_s + 0.05  # after the load read /proc/device-tree, before it copies
    sc = scenario(MEMORY_THEN + f'[[storm]]\nat = "{at}s"\naction = "cpu-add"\ncores = 1', smt=1)
    s = session(sc, "fdt-hole")
    s.run_to_end()
    start = of(s, RecordKind.UPDATE_START)[0]
    assert start.detail["overlaps_load"] is True
    overlap = of(s, RecordKind.FDT_OVERLAP)
    assert len(overlap) == 1
    assert overlap[0].t_s == pytest.approx(write_s)
    assert overlap[0].detail["winner"] == "reload"
    assert overlap[0].detail["how"] == "update-overwritten"
    # the load's FDT was read before core 2 came: the new CPU is missing from it
    assert 2 not in s.hole.fdt_threads()
    assert s.crash(cpu=2).cause == "cpu-missing-in-fdt"


def test_an_update_still_running_when_the_copy_lands_is_marked_interleaved():
    base = scenario(MEMORY_THEN, smt=1)
    _, write_s = _reload_window(base)
    at = write_s - 20e-6  # the update lasts longer than 20 us (its fixed cost alone)
    sc = scenario(MEMORY_THEN + f'[[storm]]\nat = "{at}s"\naction = "cpu-add"\ncores = 1', smt=1)
    s = session(sc, "fdt-hole")
    s.run_to_end()
    overlap = of(s, RecordKind.FDT_OVERLAP)
    assert [r.detail["how"] for r in overlap] == ["interleaved"]
    assert of(s, RecordKind.UPDATE_END)[0].detail["overwritten"] is True


def test_an_update_after_the_copy_landed_wins_and_nothing_is_marked():
    base = scenario(MEMORY_THEN, smt=1)
    _, write_s = _reload_window(base)
    sc = scenario(
        MEMORY_THEN + f'[[storm]]\nat = "{write_s + 0.01}s"\naction = "cpu-add"\ncores = 1',
        smt=1,
    )
    s = session(sc, "fdt-hole")
    s.run_to_end()
    assert not of(s, RecordKind.FDT_OVERLAP)
    assert of(s, RecordKind.UPDATE_START)[0].detail["overlaps_load"] is False
    assert s.crash(cpu=2).result == "captured"
