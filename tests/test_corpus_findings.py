"""What the mutant corpus (test_mutant_corpus.py) found, each through the CLI as a user
runs it: one stderr line naming the scenario file, line and key, exit 2, no traceback,
under a 1 GiB address-space cap.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "scenarios" / "captures" / "resize.property.log"
CAP_BYTES = 1 << 30
SCENARIO = """[scenario]
duration = "20s"
[machine]
smt = 8
cores_present = {present}
cores_possible = 16
memory = "8GiB"
memory_block = {block}
memory_max = "16GiB"
[kdump]
crashkernel = "512MiB"
[[storm]]
at = "1s"
from_capture = "{capture}"
"""
STORM_LINE = SCENARIO.splitlines().index("[[storm]]") + 1


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_capped,
    )


def scenario(tmp_path: Path, present: str = "4", block: str = '"256MiB"', capture: str = "") -> str:
    text = SCENARIO.format(present=present, block=block, capture=capture or CAPTURE)
    (tmp_path / "s.toml").write_text(text)
    return "s.toml"


def the_one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr[-1500:])
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_bad_memory_block_beside_a_capture_storm_is_one_line_not_a_type_error(
    tmp_path: Path, command: str
) -> None:
    # was: TypeError in the capture replay, int // None (the refused block size)
    line = the_one_error(cli(command, scenario(tmp_path, block='"inf"'), cwd=tmp_path))
    assert "s.toml:8: machine.memory_block: bad size 'inf'" in line


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_huge_refused_cores_present_beside_a_capture_storm_allocates_nothing(
    tmp_path: Path, command: str
) -> None:
    # was: MemoryError under the cap, the replay made a set of range(2^66) boot cores
    line = the_one_error(cli(command, scenario(tmp_path, present=str(2**66)), cwd=tmp_path))
    assert f"s.toml:5: machine.cores_present: {2**66} cores present but cores_possible is 16" in (
        line
    )


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_missing_capture_file_is_named_with_the_scenario_line_and_key(
    tmp_path: Path, command: str
) -> None:
    # was: "/abs/memory-remove: cannot read: no such file", naming neither the scenario
    # nor the key that named the file
    line = the_one_error(cli(command, scenario(tmp_path, capture="memory-remove"), cwd=tmp_path))
    prefix = "" if command == "validate" else "kdump-storm: "
    assert line.startswith(f"{prefix}s.toml:{STORM_LINE}: storm[0].from_capture: "), line
    assert line.endswith("memory-remove: cannot read: no such file"), line


@pytest.mark.parametrize("key", ["from_capture", "from_dtb"])
def test_a_5000_character_file_name_is_shown_by_its_ends_on_one_short_line(
    tmp_path: Path, key: str
) -> None:
    # was: the whole 5,000-character name in the message (issue 14: quote ~80 characters)
    name = "x" * 4990 + ".file"
    if key == "from_capture":
        scenario(tmp_path, capture=name)
    else:
        (tmp_path / "s.toml").write_text(
            f'[scenario]\nduration = "2s"\n[machine]\nfrom_dtb = "{name}"\n'
        )
    for command in ("validate", "run"):
        line = the_one_error(cli(command, "s.toml", cwd=tmp_path))
        assert len(line) < 300, len(line)
        assert f"machine.{key}" in line or f"storm[0].{key}" in line
        assert "xxx...xxx" in line and ".file: cannot read" in line, line


@pytest.mark.parametrize("command", ["validate", "run"])
def test_memory_past_the_modelled_machine_beside_a_capture_storm_allocates_nothing(
    tmp_path: Path, command: str
) -> None:
    # was: MemoryError under the cap, the replay made a set of 2^63 / 256 MiB = 2^35 blocks
    scenario(tmp_path)
    text = (tmp_path / "s.toml").read_text().replace('"8GiB"', str(2**63))
    (tmp_path / "s.toml").write_text(text)
    done = cli(command, "s.toml", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-800:]
    assert f"s.toml:7: machine.memory: {2**63} bytes of memory is more than the 64 TiB" in (
        done.stderr
    )


@pytest.mark.parametrize("control", ["\x1e", "\x1b"])
def test_a_control_character_in_a_dtb_node_name_is_escaped_in_the_one_line(
    tmp_path: Path, control: str
) -> None:
    # was: the raw character in the message (DTB mutant 7311: "\x1e" split the line for
    # any reader that splits on it; "\x1b" would drive the user's terminal)
    import libfdt

    fdt = libfdt.Fdt(bytearray((ROOT / "tests/data/pseries_power9_smp8_max32.dtb").read_bytes()))
    fdt.set_name(fdt.path_offset("/cpus/PowerPC,POWER9@1"), f"PowerPC,POWER9{control}9")
    (tmp_path / "m.dtb").write_bytes(bytes(fdt.as_bytearray()))
    (tmp_path / "s.toml").write_text('[scenario]\nduration = "2s"\n[machine]\nfrom_dtb = "m.dtb"\n')
    escaped = control.encode("unicode_escape").decode()
    for args in (("inspect", "m.dtb"), ("validate", "s.toml"), ("run", "s.toml")):
        done = cli(*args, cwd=tmp_path)
        assert control not in done.stderr
        line = the_one_error(done)
        assert f"/cpus/PowerPC,POWER9{escaped}9: CPU node name is not" in line, line


def test_an_expense_warning_names_a_control_character_file_escaped(tmp_path: Path) -> None:
    # errors escape non-printables (above); the warning line names the file the same way
    name = "s\x1b[2J.toml"
    text = '[scenario]\nduration = "2s"\n[machine]\nsmt = 1\ncores_present = 1\n'
    text += 'cores_possible = 2\nmemory = "2GiB"\n[crash]\nmonte_carlo = 5000000\n'
    (tmp_path / name).write_text(text)
    done = cli("validate", name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr and "s\\x1b[2J.toml: warning: crash.monte_carlo" in done.stderr
