"""The scenarios we ship: each validates, says where its numbers come from, and holds them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli import cmd_validate
from engine.rng import RandomStreams
from engine.run.storm import expand_storm, uevent_count
from engine.scenario.load import check_scenario_file, load_scenario
from engine.strategies import STRATEGY_NAMES as STRATEGIES

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
NAMES = [
    "default",
    "memory_resize_3840",
    "mixed_churn",
    "hole_too_small",
    "large_lpar",
    "capture_resize",
]
GIB = 1 << 30
MIB = 1 << 20


def load(name):
    return load_scenario(SCENARIOS / f"{name}.toml")


def actions_of(s):
    return expand_storm(s, RandomStreams(s.seed))


@pytest.mark.parametrize("name", NAMES)
def test_shipped_scenario_validates_and_explains_itself(name):
    path = SCENARIOS / f"{name}.toml"
    assert check_scenario_file(path) == []
    head = path.read_text().splitlines()[:5]
    assert all(line.startswith("#") for line in head), "a comment header says what it shows"
    s = load(name)
    assert set(s.strategies) <= set(STRATEGIES) and s.crash.probes
    assert all(0 <= p.at_s <= s.duration_s for p in s.crash.probes)
    assert all(a.t_s <= s.duration_s for a in actions_of(s))


def test_the_shipped_set_is_exactly_these():
    assert sorted(p.stem for p in SCENARIOS.glob("*.toml")) == sorted(NAMES)


def test_validate_summarises_each_shipped_scenario(capsys):
    files = [str(SCENARIOS / f"{n}.toml") for n in NAMES]
    assert cmd_validate.run(argparse.Namespace(files=files)) == 0
    out = capsys.readouterr()
    assert out.err == ""
    lines = out.out.splitlines()
    assert lines[0] == (
        # 24 cores x 8 threads + 16 blocks x (add + online); was 208 before add uevents
        f"{files[0]}: ok (2 storm phases, 224 uevents expected, strategies udev-reload, "
        "udev-throttled, udev-load-once, fdt-hole, crash-hotplug)"
    )
    assert lines[1].startswith(f"{files[1]}: ok (1 storm phase, 7680 uevents expected")
    assert "0 storm phases, 2 churn phases" in lines[2]


def test_default_is_a_dlpar_burst_8_to_32_cores_with_a_probe_just_after_an_add():
    s = load("default")
    m = s.machine
    assert (m.cpu_model, m.smt, m.cores_present) == ("POWER9", 8, 8) and m.lpar
    cpu, mem = s.storms
    assert (cpu.action, cpu.count, cpu.every_s) == ("cpu-add", 24, 0.25)
    assert m.cores_present + cpu.count == 32
    assert mem.action == "memory-add" and mem.count * m.memory_block_bytes == 4 * GIB
    assert 60 <= s.duration_s <= 120
    adds = [a.t_s for a in actions_of(s) if a.action == "core-add"]
    newest = [p.at_s for p in s.crash.probes if p.cpu == "newest"]
    # some probe falls within 30 ms after a core add: its threads are just online
    assert any(0 < t - a < 0.03 for t in newest for a in adds)
    assert s.kdump.reload.load.a_s == 0.5 and s.kdump.reload.load.b_s == 1.0  # 227c185
    assert s.kdump.fdt_hole_bytes == MIB  # RFC patch 2/5


def test_memory_resize_reproduces_devolders_3840_blocks_and_published_times():
    s = load("memory_resize_3840")
    m = s.machine
    assert m.memory_bytes == 32 * GIB and m.memory_possible_bytes == 512 * GIB
    assert m.memory_block_bytes == 128 * MIB
    (storm,) = s.storms
    assert storm.count == 3840 == (512 - 32) * GIB // (128 * MIB)
    assert storm.count * storm.every_s == pytest.approx(144, rel=0.01)  # "scaling took 144 s"
    reload_s = s.kdump.reload.unload.mean_s + s.kdump.reload.load.mean_s
    assert storm.count * reload_s == pytest.approx(389, rel=0.1)  # "kdumpctl/kexec busy 389 s"
    assert uevent_count(s, actions_of(s)) == 2 * 3840  # add + online per block
    assert "fdt-hole" not in s.strategies  # it does not handle memory events


def test_mixed_churn_moves_both_cpus_and_memory_both_ways():
    s = load("mixed_churn")
    assert len(s.churn) == 2 and not s.storms
    kinds = {a.action for a in actions_of(s)}
    assert kinds == {"core-add", "core-remove", "block-add", "block-remove"}


def test_hole_too_small_is_sized_to_fill_mid_storm():
    s = load("hole_too_small")
    hole = s.kdump.fdt_hole_bytes
    (storm,) = s.storms
    # domain.md: 624 B per QEMU POWER9 core node at SMT1, +28 B and +56 B for the 7 extra
    # server and 14 extra gserver cells at SMT8; the 8-of-32-core QEMU tree is 20406 B.
    node = 624 + 7 * 4 + 14 * 4
    base = 20406 - 8 * 624
    start = base + s.machine.cores_present * node
    assert start < hole, "the kdump FDT must fit at load"
    fits = (hole - start) // node
    assert 0.25 * storm.count <= fits <= 0.75 * storm.count, "NOSPACE comes mid-storm"


def test_large_lpar_is_240_smt8_cores():
    s = load("large_lpar")
    m = s.machine
    assert (m.cores_possible, m.smt, m.threads_possible) == (240, 8, 1920)
    (storm,) = s.storms
    assert m.cores_present + storm.count == 240
    assert uevent_count(s, actions_of(s)) == 224 * 8
