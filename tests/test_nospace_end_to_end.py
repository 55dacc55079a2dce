"""NOSPACE end to end: the RFC hole overflows and loses boot-time cores, as the kernel leaves it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.machine.cpu_templates import cpu_nodes_in_dtb
from engine.run.session import Session
from engine.run.trace import RecordKind
from engine.scenario.load import load_scenario

STORMS = """
[[storm]]
at = "1s"
action = "cpu-add"
cores = 2
every = "2s"

[[storm]]
at = "5s"
action = "cpu-remove"
cores = 2
every = "1s"

[[storm]]
at = "8s"
action = "cpu-add"
cores = 1
"""


def write_scenario(tmp_path: Path, hole: str) -> Path:
    path = tmp_path / "nospace.toml"
    path.write_text(
        f"""
[scenario]
name = "nospace"
duration = "10s"

[machine]
smt = 1
cores_present = 2
cores_possible = 8
memory = "4GiB"

[kdump]
crashkernel = "256MiB"
kernel = "20MiB"
initrd = "20MiB"
fdt_hole = {hole}
{STORMS}
[compare]
strategies = ["fdt-hole"]
"""
    )
    return path


def cores_in(blob: bytes) -> set[int]:
    """Core indexes (SMT1: reg = core) of the CPU nodes that carry their threads."""
    return {
        int(name.split("@")[1], 16)
        for name, props in cpu_nodes_in_dtb(blob)
        if "ibm,ppc-interrupt-server#s" in dict(props)
    }


def test_an_overflowing_hole_loses_boot_cores_keeps_dlpar_ones_and_a_fitting_update_repairs(
    tmp_path: Path,
) -> None:
    # size the hole from a first run: the loaded FDT plus room for 1.5 more core nodes
    sizing = Session(load_scenario(write_scenario(tmp_path, '"1MiB"')), "fdt-hole")
    used, node = sizing.hole.used_bytes, sizing.cpu_node_bytes
    hole = used + node + node // 2
    path = write_scenario(tmp_path, f"{hole}")
    # at 1 s core 2 fits (3 nodes); at 3 s core 3 does not: the update deletes every
    # CPU node and re-adds them in live-tree order, core 3, core 2, core 0, core 1,
    # until libfdt runs out of room, and nothing is rolled back
    s = Session(load_scenario(path), "fdt-hole")
    s.advance_to(3.5)
    nospace = [r for r in s.records if r.kind == RecordKind.UPDATE_NOSPACE]
    assert len(nospace) == 1 and nospace[0].detail["error"] == "FDT_ERR_NOSPACE"
    out = tmp_path / "after.dtb"
    subprocess.run(
        [sys.executable, "-m", "cli.main", "dtb", str(path), "--at", "3.5", "-o", str(out)],
        check=True,
        capture_output=True,
    )
    after = cores_in(out.read_bytes())
    assert {3, 2} <= after  # the DLPAR-added cores came first and are there
    assert not {0, 1} <= after  # a boot-time core is gone
    lost = {0, 1} - after
    assert s.crash(cpu=min(lost)).cause == "cpu-missing-in-fdt"
    # two removes (nothing happens to the hole), then one add: 3 nodes fit again
    s.advance_to(9.0)
    assert cores_in(s.fdt_blob()) == set(s.machine.present_cores) == {2, 0, 1}
    assert all(s.crash(cpu=c).result == "captured" for c in (0, 1, 2))
