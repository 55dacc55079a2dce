"""Every input is bounded before anything is allocated for it; no value makes a traceback.

Issue 14 items 1 (memory from DTB sizes), 2 (scenario file size, devices), 3 (FIFOs)
and 5 (values that raised OverflowError, ValueError, RecursionError, RuntimeError).
The CLI cases run ``python -m cli.main`` under a 1.5 GiB address-space cap and a
timeout, as a user would; each must end in one stderr line and exit status 2.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import InputError, quote
from engine.scenario.load import MAX_SCENARIO_BYTES, parse_scenario
from engine.units import parse_size
from tests import dtb_edit

ROOT = Path(__file__).resolve().parent.parent
CAP_BYTES = 1536 << 20
BASE = """
[scenario]
duration = "2s"
[machine]
{machine}
[crash]
monte_carlo = 10
"""
PLAIN = 'cores_present = 2\ncores_possible = 4\nsmt = 2\nmemory = "2GiB"'


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))


def cli(*args: str, cwd: Path, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        preexec_fn=_capped,
    )


def one_line_exit_2(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) >= 1 and all(len(line) < 400 for line in lines), lines
    for needle in needles:
        assert needle in done.stderr, done.stderr
    return done.stderr


def scenario_with_dtb(tmp_path: Path, blob: bytes) -> Path:
    (tmp_path / "m.dtb").write_bytes(blob)
    path = tmp_path / "s.toml"
    path.write_text(BASE.format(machine='from_dtb = "m.dtb"'))
    return path


# -- item 1: memory from DTB sizes ------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        # <0 1>: a 1-byte block would be 2 Gi set entries for 2 GiB of memory
        (dtb_edit.set_lmb_size(1), "ibm,lmb-size: memory block of 1 bytes"),
        (dtb_edit.set_lmb_size(3 << 24), "must be a power of two, at least the 16 MiB"),
        (dtb_edit.add_memory_node(8 << 60), "more than the 64 TiB modelled"),
        (dtb_edit.set_memory_reg((1 << 64) - (1 << 28)), "more than the 64 TiB modelled"),
    ],
)
def test_a_dtb_memory_size_past_the_limits_is_refused_by_validate_run_and_inspect(
    tmp_path: Path, edit: object, needle: str
) -> None:
    scenario = scenario_with_dtb(tmp_path, dtb_edit.edited(edit))  # type: ignore[arg-type]
    for command in ("validate", "run"):
        err = one_line_exit_2(cli(command, str(scenario), cwd=tmp_path), needle)
        assert err.count("s.toml:") == 1 and "machine.from_dtb: " in err and "m.dtb: " in err
    one_line_exit_2(cli("inspect", "m.dtb", cwd=tmp_path), "m.dtb: ", needle)


def test_scenario_memory_past_the_modelled_machine_is_refused(tmp_path: Path) -> None:
    text = BASE.format(machine=PLAIN.replace('"2GiB"', '"128TiB"'))
    with pytest.raises(InputError, match="machine.memory: .* more than the 64 TiB modelled"):
        parse_scenario(text, "s.toml")


# -- items 2 and 3: what a scenario or DTB file may be ----------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null", "/dev/stdin"])
def test_a_device_is_refused_by_every_command_before_any_read(tmp_path: Path, device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} is missing here")
    for args in (("validate", device), ("run", device), ("inspect", device)):
        one_line_exit_2(cli(*args, cwd=tmp_path, timeout_s=20), "not a regular file")


def test_a_fifo_is_refused_at_once_as_scenario_dtb_or_from_dtb(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "s.toml").write_text(BASE.format(machine='from_dtb = "pipe"'))
    # no writer ever opens the FIFO: a blocking open() would hang until the timeout
    for args in (("validate", "pipe"), ("run", "pipe"), ("inspect", "pipe"), ("run", "s.toml")):
        one_line_exit_2(cli(*args, cwd=tmp_path, timeout_s=20), "is a FIFO, not a regular file")


def test_a_scenario_file_past_the_size_limit_is_refused_without_reading_it_all(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.toml"
    with big.open("wb") as out:  # 200 MB of comments, sparse: nothing to read past 8 MiB
        out.write(b"# comment\n" * 1000)
        out.truncate(200 << 20)
    one_line_exit_2(
        cli("validate", str(big), cwd=tmp_path), f"larger than {MAX_SCENARIO_BYTES} bytes"
    )


# -- item 5: values that made tracebacks -------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "needle"),
    [
        (PLAIN.replace('"2GiB"', '"1e400"'), "past 16 EiB"),
        (PLAIN.replace('"2GiB"', '"1e400GiB"'), "past 16 EiB"),
        (PLAIN.replace('"2GiB"', "1" + "0" * 4400), "TOML value:"),
        (PLAIN.replace('"2GiB"', "[" * 600 + "]" * 600), "nested too deeply"),
        (PLAIN + "\nthread_online = " + "9" * 400, "duration must be finite"),
        ('from_dtb = "a\\u0000b"', "cannot contain a NUL byte"),
        ('from_dtb = "loop"', "too many levels of symbolic links"),
    ],
)
def test_a_hostile_value_is_one_line_exit_2(tmp_path: Path, machine: str, needle: str) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "s.toml").write_text(BASE.format(machine=machine))
    for command in ("validate", "run"):
        err = one_line_exit_2(cli(command, "s.toml", cwd=tmp_path), needle)
        assert len(err) < 400  # a 4,400-digit number is not quoted whole


def test_inspect_hole_of_1e400_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    done = cli("inspect", str(dtb_edit.POWER9), "--hole", "1e400", cwd=tmp_path)
    one_line_exit_2(done, "--hole")


def test_a_bad_value_is_quoted_at_most_about_80_characters() -> None:
    # 'x' * 10_000 quoted: 80 characters with the ellipsis, whatever the type
    assert len(quote("x" * 10_000)) == 80
    assert len(quote(10**4000)) <= 80
    nested: list[object] = []
    for _ in range(2000):
        nested = [nested]
    assert quote(nested).startswith("[[[")
    with pytest.raises(ValueError) as info:
        parse_size("9" * 500 + "GiB")
    assert len(str(info.value)) < 130


def test_sizes_are_exact_up_to_16_eib_and_refused_past_it() -> None:
    assert parse_size(str((1 << 64) - 1)) == (1 << 64) - 1
    with pytest.raises(ValueError, match="past 16 EiB"):
        parse_size(1 << 64)
    with pytest.raises(ValueError, match="past 16 EiB"):
        parse_size("0x" + "f" * 17)
