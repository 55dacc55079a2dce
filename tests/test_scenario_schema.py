"""The scenario schema is the one declaration of every key: readers, docs and messages."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.scenario.load import parse_scenario
from engine.scenario.reader import COMPUTED
from engine.scenario.schema import SCHEMA, TABLES, TOP_LEVEL, reference, table_of

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = """
[scenario]
duration = "10s"
[machine]
cores_present = 2
cores_possible = 4
memory = "4GiB"
"""


def test_the_key_reference_is_rendered_from_the_schema():
    # regenerate with: python3 -m engine.scenario.schema > docs/scenario_keys.md
    assert (ROOT / "docs" / "scenario_keys.md").read_text() == reference()


def test_every_key_has_a_meaning_and_every_table_is_documented():
    text = reference()
    for table in TABLES:
        assert table.doc
        for key in table.keys:
            assert key.doc, f"{table.name}.{key.name}"
            assert f"| `{key.name}` |" in text


def test_an_absent_key_reads_as_its_schema_default():
    sc = parse_scenario(MINIMAL, "t.toml")
    # every literal default of [kdump] and its subtables reaches the KdumpSpec as declared
    k = sc.kdump
    got = {
        "kdump.crashkernel": k.crashkernel_bytes,
        "kdump.kernel": k.kernel_bytes,
        "kdump.initrd": k.initrd_bytes,
        "kdump.purgatory": k.purgatory_bytes,
        "kdump.fdt_hole": k.fdt_hole_bytes,
        "kdump.syscall": k.syscall,
        "kdump.bootargs": k.bootargs,
        "kdump.copy_bandwidth": k.copy_bandwidth_bytes_per_s,
        "kdump.reload.unload": k.reload.unload,
        "kdump.reload.load": k.reload.load,
        "kdump.throttler.sleep": k.throttler.sleep_s,
        "kdump.throttler.settle_timeout": k.throttler.settle_timeout_s,
        "udev.event": sc.udev.event_s,
        "udev.pid1": sc.udev.pid1_s,
        "udev.throttler_exec": sc.udev.throttler_exec_s,
        "udev.reload_rule": sc.udev.reload_rule,
        "udev.children_max": sc.udev.children_max,
        "kdump.kernel_update.fixed": k.kernel_update.fixed_s,
        "kdump.kernel_update.bandwidth": k.kernel_update.bandwidth_bytes_per_s,
        "machine.cpu_model": sc.machine.cpu_model,
        "machine.smt": sc.machine.smt,
        "machine.memory_block": sc.machine.memory_block_bytes,
        "machine.lpar": sc.machine.lpar,
        "machine.thread_online": sc.machine.thread_online_s,
        "crash.monte_carlo": sc.crash.monte_carlo,
        "scenario.seed": sc.seed,
        "scenario.description": sc.description,
    }
    for dotted, value in got.items():
        table, _, key = dotted.rpartition(".")
        assert SCHEMA[table].key(key).default == value, dotted


def test_a_changed_default_in_the_schema_reaches_the_reader(monkeypatch):
    table = SCHEMA["kdump.throttler"]
    changed = dataclasses.replace(table.key("sleep"), default=7.5)
    keys = tuple(changed if k.name == "sleep" else k for k in table.keys)
    monkeypatch.setitem(SCHEMA, "kdump.throttler", dataclasses.replace(table, keys=keys))
    assert parse_scenario(MINIMAL, "t.toml").kdump.throttler.sleep_s == 7.5


def test_unknown_keys_are_named_against_the_schema_tables():
    text = MINIMAL + '[kdump.throttler]\nsettle_timout = "2s"\n'
    with pytest.raises(InputError) as info:
        parse_scenario(text, "t.toml")
    assert str(info.value) == (
        "t.toml:9: kdump.throttler.settle_timout: unknown key; did you mean 'settle_timeout'?"
    )


def test_a_missing_required_key_says_what_the_key_is():
    with pytest.raises(InputError) as info:
        parse_scenario(MINIMAL.replace('duration = "10s"\n', ""), "t.toml")
    assert str(info.value).endswith(
        "scenario.duration: required key is missing (simulated time, above zero)"
    )


def test_places_map_to_their_tables():
    assert table_of("storm[3]").name == "storm"
    assert table_of("crash.probes[0]").name == "crash.probes"
    # issue 8: [udev] (the udev queue) and [reproduce] (kdump-storm reproduce cases)
    assert set(TOP_LEVEL) == {
        "scenario",
        "machine",
        "kdump",
        "udev",
        "storm",
        "churn",
        "crash",
        "compare",
        "reproduce",
    }
    # a default is a value, REQUIRED or COMPUTED: a computed one is explained in its doc
    for table in TABLES:
        for key in table.keys:
            if key.default is COMPUTED:
                assert "default" in key.doc or "required" in key.doc, key.name
