"""What ``validate`` accepts, ``run`` runs to its end; what ``run`` refuses, ``validate`` refuses.

Issue 14 item 4, each case a scenario that validated and then crashed ``run``.
Through the CLI (``python -m cli.main``), as a user would meet them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.run.session import Session
from engine.run.trace import RecordKind
from engine.scenario.load import check_scenario_file, parse_scenario
from engine.strategies import STRATEGY_NAMES as STRATEGIES
from tests import dtb_edit

ROOT = Path(__file__).resolve().parent.parent
SMALL = """
[scenario]
duration = "3s"
[machine]
{machine}
{kdump}
{storms}
[crash]
monte_carlo = 10
"""
PLAIN = 'cores_present = 2\ncores_possible = 4\nsmt = 8\nmemory = "4GiB"'


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def storm(at: str, action: str, cores: int = 1) -> str:
    return f'[[storm]]\nat = "{at}"\naction = "{action}"\ncores = {cores}\nevery = "1ms"\n'


def write(tmp_path: Path, machine: str = PLAIN, kdump: str = "", storms: str = "") -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SMALL.format(machine=machine, kdump=kdump, storms=storms))
    return path


@pytest.mark.parametrize("gap", ["1.001s", "1s"])
def test_a_core_removed_while_its_add_still_onlines_threads_waits_for_the_add(
    tmp_path: Path, gap: str
) -> None:
    # the add onlines 8 threads 2 ms apart (14 ms); dlpar_cpu() holds
    # lock_device_hotplug() for all of it, so the remove 1 ms later queues behind it
    path = write(tmp_path, storms=storm("1s", "cpu-add") + storm(gap, "cpu-remove"))
    assert cli("validate", "s.toml", cwd=tmp_path).returncode == 0
    done = cli("run", "s.toml", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    scenario = parse_scenario(path.read_text(), str(path))
    session = Session(scenario, "crash-hotplug")
    session.run_to_end()
    hotplug = (RecordKind.CORE_ADD, RecordKind.CORE_REMOVE)
    kinds = [(r.kind, r.t_s) for r in session.records if r.kind in hotplug]
    (add, add_t), (remove, remove_t) = kinds
    assert (add, remove) == hotplug
    assert remove_t >= add_t + 7 * 0.002  # after the add's last thread came online


def test_overlapping_churn_phases_run_under_every_strategy(tmp_path: Path) -> None:
    churn = (
        '[[churn]]\nrate = "200/s"\ncpu_fraction = 1.0\n'
        '[[churn]]\nrate = "200/s"\ncpu_fraction = 1.0\n'
    )
    write(tmp_path, storms=churn)
    assert cli("validate", "s.toml", cwd=tmp_path).returncode == 0
    done = cli("run", "s.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_hole_too_small_for_the_initial_fdt_is_refused_by_validate_naming_the_size(
    tmp_path: Path,
) -> None:
    write(tmp_path, kdump="[kdump]\nfdt_hole = 1")
    done = cli("validate", "s.toml", cwd=tmp_path)
    assert done.returncode == 2
    assert "kdump.fdt_hole: 1 B cannot hold the machine's initial kdump FDT" in done.stderr
    needed = int(done.stderr.split("at least ")[1].split(" bytes")[0])
    # exactly that size is enough: validate accepts and run completes
    write(tmp_path, kdump=f"[kdump]\nfdt_hole = {needed}")
    assert cli("validate", "s.toml", cwd=tmp_path).returncode == 0
    assert cli("run", "s.toml", "--strategy", "fdt-hole", cwd=tmp_path).returncode == 0
    write(tmp_path, kdump=f"[kdump]\nfdt_hole = {needed - 1}")
    assert cli("validate", "s.toml", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_cpus_without_drc_indexes_validates_and_runs_with_no_core_to_add(
    tmp_path: Path, strategy: str
) -> None:
    (tmp_path / "m.dtb").write_bytes(dtb_edit.edited(dtb_edit.drop_cpus_prop("ibm,drc-indexes")))
    path = write(tmp_path, machine='from_dtb = "m.dtb"')
    assert check_scenario_file(path) == []
    scenario = parse_scenario(path.read_text(), str(path), tmp_path)
    assert scenario.machine.cores_possible == scenario.machine.cores_present == 8
    session = Session(scenario, strategy)
    session.run_to_end()
    assert session.finished


def test_a_cpu_node_without_device_type_is_refused_before_a_cpu_add_hits_fdt_err_exists(
    tmp_path: Path,
) -> None:
    (tmp_path / "m.dtb").write_bytes(dtb_edit.edited(dtb_edit.drop_first_cpu_prop("device_type")))
    write(tmp_path, machine='from_dtb = "m.dtb"', storms=storm("1s", "cpu-add"))
    for command in ("validate", "run"):
        done = cli(command, "s.toml", cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert (
            "machine.from_dtb: m.dtb: /cpus/PowerPC,POWER9@0: named as a CPU node but has no "
            'device_type = "cpu"' in done.stderr
        )


def test_validate_reads_the_dtb_block_size_as_run_does(tmp_path: Path) -> None:
    # a 1 GiB LMB: 2 GiB is 2 blocks, so a 512 MiB memory-add is not a whole block
    (tmp_path / "m.dtb").write_bytes(dtb_edit.edited(dtb_edit.set_lmb_size(1 << 30)))
    memory = '[[storm]]\nat = "1s"\naction = "memory-add"\nsize = "512MiB"\n'
    write(tmp_path, machine='from_dtb = "m.dtb"', storms=memory)
    done = cli("validate", "s.toml", cwd=tmp_path)
    assert done.returncode == 2
    assert "storm[0].size: 512 MiB is not a whole number of memory blocks" in done.stderr
    assert "(machine.memory_block = 1 GiB)" in done.stderr


def test_memory_block_comes_from_the_dtb_and_may_not_be_given_too(tmp_path: Path) -> None:
    (tmp_path / "m.dtb").write_bytes(dtb_edit.POWER9.read_bytes())
    path = write(tmp_path, machine='from_dtb = "m.dtb"\nmemory_block = "512MiB"')
    (error,) = check_scenario_file(path)
    assert "machine.memory_block: comes from machine.from_dtb; remove it" in str(error)


def test_run_names_the_scenario_key_and_dtb_when_the_dtb_changed_after_validate(
    tmp_path: Path,
) -> None:
    (tmp_path / "m.dtb").write_bytes(dtb_edit.POWER9.read_bytes())
    path = write(tmp_path, machine='from_dtb = "m.dtb"')
    scenario = parse_scenario(path.read_text(), str(path), tmp_path)
    (tmp_path / "m.dtb").write_bytes(b"not a tree")
    with pytest.raises(Exception) as info:
        Session(scenario, "udev-reload")
    message = str(info.value)
    assert message.startswith(f"{path}: machine.from_dtb: {tmp_path / 'm.dtb'}: ")
