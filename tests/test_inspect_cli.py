"""``kdump-storm inspect``: facts of each real DTB, table and JSON output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main as cli_main
from cli.main import main
from engine.devicetree.inspect_dtb import FACT_KEYS, inspect_dtb

DATA = Path(__file__).parent / "data"

# tests/data/README.md: file -> (CPU model, present cores, possible cores); QEMU TCG: SMT 1
TABLE = {
    "pseries_power9_smp1_max1.dtb": ("POWER9", 1, 1),
    "pseries_power9_smp8_max32.dtb": ("POWER9", 8, 32),
    "pseries_power9_smp12_max32.dtb": ("POWER9", 12, 32),
    "pseries_power8_smp4_max16.dtb": ("POWER8", 4, 16),
    "pseries_power10_smp4_max8.dtb": ("POWER10", 4, 8),
}
# measured with QEMU 7.2 dumpdtb (shared/domain.md section 6), plus the 28 bytes of the
# `name` property the kernel's live node carries (drivers/of/fdt.c populate_properties())
# and update_cpus_node copies: the old 624/540 left it out
BYTES_PER_NODE = {"POWER9": 624 + 28, "POWER8": 540 + 28}


@pytest.fixture(scope="module")
def facts() -> dict[str, dict]:
    return {name: inspect_dtb(DATA / name) for name in TABLE}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_facts_match_the_readme(facts: dict[str, dict], name: str) -> None:
    model, present, possible = TABLE[name]
    got = facts[name]
    assert tuple(got) == FACT_KEYS
    assert got["file"] == str(DATA / name)
    assert got["cpu_model"] == model
    assert got["cores_present"] == present
    assert got["cores_possible"] == possible
    assert got["threads_per_core"] == 1
    if model in BYTES_PER_NODE:
        assert got["bytes_per_cpu_node"] == BYTES_PER_NODE[model]
    # the kernel formula does not share property names: it overestimates the measured size
    assert got["cpu_node_size_estimate"] > got["bytes_per_cpu_node"]
    blob = (DATA / name).read_bytes()
    assert got["totalsize"] == len(blob)
    assert got["struct_bytes"] + got["strings_bytes"] < got["totalsize"]
    assert got["cores_to_possible"] == possible - present


@pytest.mark.parametrize("name", sorted(TABLE))
def test_hole_arithmetic(facts: dict[str, dict], name: str) -> None:
    got = facts[name]
    assert got["hole_bytes"] == 1 << 20
    assert got["hole_free_bytes"] == got["hole_bytes"] - got["kdump_fdt_bytes"]
    assert got["more_cores_fit"] == got["hole_free_bytes"] // got["bytes_per_cpu_node"]
    # 1 MiB holds well over a thousand 652-byte core nodes: every possible core fits
    assert got["more_cores_fit"] > 1000
    assert got["possible_cores_fit"] is True
    assert got["auto_hole_bytes"] >= got["kdump_fdt_bytes"] + 4096


def test_smt8_grown_pair_differs_by_four_nodes(facts: dict[str, dict]) -> None:
    small = facts["pseries_power9_smp8_max32.dtb"]
    big = facts["pseries_power9_smp12_max32.dtb"]
    assert big["struct_bytes"] - small["struct_bytes"] == 4 * 624


def test_small_hole_cannot_take_the_possible_cores() -> None:
    path = DATA / "pseries_power9_smp8_max32.dtb"
    base = inspect_dtb(path)
    hole = base["kdump_fdt_bytes"] + 10 * 652 + 100
    got = inspect_dtb(path, hole_bytes=hole)
    assert got["more_cores_fit"] == 10
    assert got["possible_cores_fit"] is False
    tiny = inspect_dtb(path, hole_bytes=4096)
    assert tiny["hole_free_bytes"] < 0
    assert tiny["more_cores_fit"] == 0
    assert tiny["possible_cores_fit"] is False


def test_json_output_is_one_object_with_stable_keys(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "pseries_power9_smp8_max32.dtb"
    assert main(["inspect", str(path), "--format", "json", "--hole", "2MiB"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert tuple(data) == FACT_KEYS
    assert data["hole_bytes"] == 2 << 20
    assert data["cores_possible"] == 32


def test_table_output_is_aligned_with_units(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "pseries_power9_smp8_max32.dtb"
    assert main(["inspect", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(FACT_KEYS)
    rows = _split(lines)
    # every value starts in the same column, two spaces after the longest key
    columns = {line.index(value, len(key)) for line, (key, value) in zip(lines, rows, strict=True)}
    assert columns == {max(len(key) for key, _ in rows) + 2}
    values = dict(rows)
    assert values["bytes_per_cpu_node"] == "652 B"  # 624 + 28 for `name`
    assert values["hole_bytes"] == "1048576 B (1 MiB)"
    assert values["possible_cores_fit"] == "yes"
    assert values["cpu_model"] == "POWER9"


def _split(lines: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for line in lines:
        key, _, rest = line.partition("  ")
        pairs.append((key, rest.strip()))
    return pairs


def test_bad_hole_size_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "pseries_power9_smp8_max32.dtb"
    assert main(["inspect", str(path), "--hole", "lots"]) == 2
    assert "bad size" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect"]) == 2  # FILE missing
    assert main(["inspect", "x.dtb", "--format", "xml"]) == 2
    capsys.readouterr()


def test_missing_file_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "no/such/file.dtb"]) == 2
    err = capsys.readouterr().err
    assert err == "kdump-storm: no/such/file.dtb: no such file\n"


def test_commands_list_registers_modules() -> None:
    # the command table moved to cli.commands (issue 10: --help imports no command module)
    from cli.commands import COMMANDS

    assert "cli.cmd_inspect" in [c.module for c in COMMANDS]
    for parser in (cli_main.build_parser(), cli_main.build_parser(only="inspect")):
        assert parser.parse_args(["inspect", "f.dtb"]).file == "f.dtb"
