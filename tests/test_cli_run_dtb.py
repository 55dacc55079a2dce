"""`kdump-storm run` and `kdump-storm dtb` as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import libfdt
import pytest

ROOT = Path(__file__).resolve().parent.parent
SMALL = """
[scenario]
name = "small burst"
seed = 3
duration = "12s"
[machine]
smt = 4
cores_present = 2
cores_possible = 8
memory = "4GiB"
memory_max = "8GiB"
[kdump]
crashkernel = "256MiB"
kernel = "20MiB"
initrd = "20MiB"
[[storm]]
at = "1s"
action = "cpu-add"
cores = 3
every = "500ms"
[crash]
probes = [ { at = "1.2s", cpu = "newest" } ]
monte_carlo = 1000
[compare]
strategies = ["udev-reload", "fdt-hole"]
"""


def kdump_storm(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def test_run_prints_one_column_per_strategy_with_probe_outcomes(small):
    out = kdump_storm("run", str(small))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("small burst - seed 3")
    header = lines[2].split()
    assert header == ["udev-reload", "fdt-hole"]
    probe = next(line for line in lines if line.startswith("probe 1.2s"))
    # per-event reload: the image is gone; RFC hole: the per-core update already ran
    assert "no-dump (unloaded)" in probe and probe.rstrip().endswith("captured")


def test_run_json_has_the_metrics_of_each_strategy_and_the_seed_override(small):
    out = kdump_storm(
        "run", str(small), "--format", "json", "--strategy", "crash-hotplug", "--seed", "11"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["seed"] == 11
    assert list(data["strategies"]) == ["crash-hotplug"]
    m = data["strategies"]["crash-hotplug"]
    assert m["uevents"] == 12 and m["kernel_updates"] == 12 and m["reloads"] == 0


def test_run_writes_the_trace_as_json_lines_and_never_overwrites_it(small, tmp_path):
    trace = tmp_path / "trace.jsonl"
    out = kdump_storm("run", str(small), "--strategy", "udev-reload", "--trace", str(trace))
    assert out.returncode == 0, out.stderr
    meta, *records = [json.loads(line) for line in trace.read_text().splitlines()]
    # the first line says which run this is (issue 12: metadata in every export)
    assert meta["meta"]["scenario"] == "small burst" and meta["meta"]["seed"] == 3
    assert meta["meta"]["strategies"] == ["udev-reload"]
    assert records[0]["strategy"] == "udev-reload"
    assert [r["seq"] for r in records] == list(range(len(records)))
    assert sum(r["kind"] == "uevent" for r in records) == 12
    before = trace.read_bytes()
    again = kdump_storm("run", str(small), "--trace", str(trace))
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"kdump-storm: {trace}: --trace: file exists; pass --force to replace it"
    )
    assert trace.read_bytes() == before


def test_dtb_writes_the_fdt_in_the_hole_at_an_instant_and_dtc_reads_it(small, tmp_path):
    early, late = tmp_path / "early.dtb", tmp_path / "late.dtb"
    for path, at in ((early, "0.5"), (late, "11")):
        out = kdump_storm("dtb", str(small), "--strategy", "fdt-hole", "--at", at, "-o", str(path))
        assert out.returncode == 0, out.stderr
    cpus = []
    for path in (early, late):
        fdt = libfdt.Fdt(path.read_bytes())
        node = fdt.first_subnode(fdt.path_offset("/cpus"))
        names = []
        while node >= 0:
            names.append(fdt.get_name(node))
            node = fdt.next_subnode(node, quiet=(libfdt.NOTFOUND,))
        cpus.append(sorted(n for n in names if n.startswith("PowerPC")))
    assert cpus[0] == ["PowerPC,POWER9@0", "PowerPC,POWER9@4"]
    assert cpus[1] == sorted(f"PowerPC,POWER9@{4 * c:x}" for c in range(5))
    if shutil.which("dtc"):
        dts = subprocess.run(
            ["dtc", "-I", "dtb", "-O", "dts", str(late)], capture_output=True, text=True
        )
        assert dts.returncode == 0 and "linux,elfcorehdr" in dts.stdout


def test_dtb_refuses_an_instant_outside_the_run_and_an_existing_output(small, tmp_path):
    out = kdump_storm("dtb", str(small), "--at", "99", "-o", str(tmp_path / "x.dtb"))
    assert out.returncode == 2
    assert out.stderr.strip() == "kdump-storm: --at: 99 s is outside the run (0 to 12 s)"
    keep = tmp_path / "keep.dtb"
    keep.write_bytes(b"precious")
    out = kdump_storm("dtb", str(small), "-o", str(keep))
    assert out.returncode == 2 and "file exists" in out.stderr
    assert keep.read_bytes() == b"precious"


def test_bare_command_without_a_terminal_prints_the_default_comparison_table():
    out = kdump_storm()
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("DLPAR burst")
    assert "crash-hotplug" in out.stdout.splitlines()[2]


def test_unknown_option_and_unknown_strategy_exit_2_without_traceback(small):
    for args in (["run", str(small), "--strategy", "nope"], ["run", str(small), "--bogus"]):
        out = kdump_storm(*args)
        assert out.returncode == 2
        assert "Traceback" not in out.stderr


def test_output_cut_short_by_a_pipe_is_no_traceback(small):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "run", str(small)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the table is printed, like `| head -0`
    err = proc.stderr.read().decode()
    assert proc.wait() == 141
    assert "Traceback" not in err
