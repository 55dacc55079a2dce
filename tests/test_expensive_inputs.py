"""Expensive but valid scenarios warn first, with the estimate; a too-long bootargs is refused.

Issue 14 item 8, through ``python -m cli.main`` as a user meets it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = """
[scenario]
duration = "2s"
[machine]
cores_present = 2
cores_possible = 4
smt = 2
memory = "2GiB"
{extra}
[compare]
strategies = ["udev-reload", "fdt-hole"]
"""


def cli(tmp_path: Path, extra: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "s.toml").write_text(BASE.format(extra=extra))
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args, "s.toml"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_large_monte_carlo_warns_with_the_sample_count_and_still_validates(
    tmp_path: Path,
) -> None:
    done = cli(tmp_path, "[crash]\nmonte_carlo = 5000000", "validate")
    assert done.returncode == 0 and "s.toml: ok" in done.stdout
    # 5,000,000 samples x 2 strategies of the [compare] list
    assert done.stderr == (
        "s.toml: warning: crash.monte_carlo = 5000000: 10000000 samples over 2 runs\n"
    )


def test_many_storm_phases_warn_before_the_run_starts(tmp_path: Path) -> None:
    phases = "".join(
        f'[[storm]]\nat = "{0.01 * i:.2f}s"\naction = "memory-add"\nblocks = 1\n'
        for i in range(101)
    )
    done = cli(tmp_path, f"[crash]\nmonte_carlo = 10\n{phases}", "run", "--strategy", "fdt-hole")
    assert done.returncode == 0, done.stderr[-1000:]
    assert done.stderr.splitlines()[0] == (
        "s.toml: warning: 101 storm and churn phases: one SimPy process per event"
    )


def test_a_cheap_scenario_prints_no_warning(tmp_path: Path) -> None:
    done = cli(tmp_path, "[crash]\nmonte_carlo = 10", "validate")
    assert done.returncode == 0 and done.stderr == ""


def test_bootargs_past_command_line_size_are_refused_on_one_line(tmp_path: Path) -> None:
    # arch/powerpc/include/uapi/asm/setup.h: COMMAND_LINE_SIZE 2048, the NUL included
    long = "x" * 2047
    done = cli(tmp_path, f'[kdump]\nbootargs = "{long}"', "validate")
    assert done.returncode == 0, done.stderr
    done = cli(tmp_path, f'[kdump]\nbootargs = "{long}y"', "validate")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "s.toml:10: kdump.bootargs: 2048 characters: past the powerpc COMMAND_LINE_SIZE "
        "of 2048 bytes (NUL included)"
    )
