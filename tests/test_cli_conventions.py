"""The CLI's conventions, each through the real console entry point (``kdump-storm``).

Every test spawns the installed console script with PYTHONPATH on this checkout,
as a user's shell would, and asserts the exit status, stdout and stderr.
"""

from __future__ import annotations

import os
import pty
import shutil
import stat
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import libfdt
import pytest

from cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SCRIPT = shutil.which("kdump-storm", path=str(Path(sys.executable).parent)) or "kdump-storm"
SMALL = """
[scenario]
name = "conventions"
seed = 5
duration = "6s"
[machine]
smt = 2
cores_present = 2
cores_possible = 4
memory = "2GiB"
[kdump]
crashkernel = "256MiB"
kernel = "20MiB"
initrd = "20MiB"
[[storm]]
at = "1s"
action = "cpu-add"
cores = 1
[compare]
strategies = ["udev-reload", "fdt-hole"]
"""


def kdump_storm(*args: str, umask: int | None = None, **kw) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    return subprocess.run(
        [SCRIPT, *args],
        capture_output=kw.pop("capture_output", True),
        env=env,
        cwd=kw.pop("cwd", ROOT),
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
        timeout=60,
        **kw,
    )


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def test_version_prints_the_package_version() -> None:
    out = kdump_storm("--version")
    assert out.returncode == 0
    assert out.stdout.decode() == f"kdump-storm {metadata.version('kdump-storm')}\n"
    assert out.stderr == b""


def test_a_bad_option_value_is_one_line_naming_command_and_option(small: Path) -> None:
    out = kdump_storm("run", str(small), "--seed", "abc")
    assert out.returncode == 2
    assert out.stdout == b""
    assert out.stderr.decode() == "kdump-storm: run: --seed: invalid int value 'abc'\n"


def test_a_missing_argument_is_one_line_too() -> None:
    out = kdump_storm("dtb")
    assert out.returncode == 2
    assert out.stdout == b""
    assert out.stderr.decode().splitlines() == [
        "kdump-storm: dtb: the following arguments are required: scenario, -o/--output"
    ]


def test_a_misspelled_command_gets_did_you_mean(small: Path) -> None:
    out = kdump_storm("valdate", str(small))
    assert out.returncode == 2
    assert out.stdout == b""
    assert (
        out.stderr.decode() == "kdump-storm: unknown command 'valdate'; did you mean 'validate'?\n"
    )


def test_a_word_near_no_command_lists_the_commands() -> None:
    out = kdump_storm("frobnicate")
    assert out.returncode == 2
    commands = ", ".join(sorted(build_parser().get_default("_commands")))
    assert "dtb, inspect" in commands and "validate" in commands
    assert (
        out.stderr.decode() == f"kdump-storm: unknown command 'frobnicate'; commands: {commands}\n"
    )


def test_dash_output_writes_the_dtb_to_stdout_as_binary(small: Path) -> None:
    out = kdump_storm("dtb", str(small), "--strategy", "fdt-hole", "-o", "-")
    assert out.returncode == 0, out.stderr
    blob = out.stdout
    assert blob[:4] == b"\xd0\x0d\xfe\xed"  # FDT_MAGIC: the bytes are the DTB itself
    fdt = libfdt.Fdt(blob)
    assert fdt.totalsize() == len(blob)
    # 3 cores after the add, smt 2: three CPU nodes; the summary goes to stderr
    assert out.stderr.decode().startswith("<stdout>: ")
    assert "(3 CPU nodes)" in out.stderr.decode()


@pytest.mark.skipif(shutil.which("dtc") is None, reason="dtc (device-tree-compiler) not installed")
def test_dash_output_pipes_into_dtc(small: Path) -> None:
    out = kdump_storm("dtb", str(small), "-o", "-")
    dts = subprocess.run(
        ["dtc", "-I", "dtb", "-O", "dts", "-"], input=out.stdout, capture_output=True, timeout=30
    )
    assert dts.returncode == 0, dts.stderr
    assert b"/dts-v1/;" in dts.stdout


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_output_files_honour_the_umask(small: Path, tmp_path: Path, umask: int, mode: int) -> None:
    target = tmp_path / "out.dtb"
    out = kdump_storm("dtb", str(small), "-o", str(target), umask=umask)
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(target.stat().st_mode) == mode  # 0666 & ~umask
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("option", ["--trace", "--series"])
def test_output_into_a_missing_directory_fails_before_the_run(
    small: Path, tmp_path: Path, option: str
) -> None:
    target = tmp_path / "no" / "such" / "dir" / "out.file"
    out = kdump_storm("run", str(small), option, str(target))
    assert out.returncode == 2
    assert out.stdout == b""  # no table: the run never started
    err = out.stderr.decode()
    assert len(err.splitlines()) == 1 and err.startswith("kdump-storm: ")
    assert f"{option}: cannot write: directory " in err and err.endswith(" does not exist\n")
    assert not target.parent.exists()


def _tui_bogus_strategy(small: Path, *, tty: bool) -> tuple[int, bytes]:
    if not tty:
        out = kdump_storm("tui", str(small), "--strategy", "bogus")
        assert out.stdout == b""
        return out.returncode, out.stderr
    primary, secondary = pty.openpty()
    try:
        out = kdump_storm(
            "tui",
            str(small),
            "--strategy",
            "bogus",
            capture_output=False,
            stdin=secondary,
            stdout=secondary,
            stderr=subprocess.PIPE,
        )
        os.set_blocking(primary, False)
        try:
            drawn = os.read(primary, 4096)
        except BlockingIOError:
            drawn = b""
        assert drawn == b""  # nothing drawn on the terminal either
    finally:
        os.close(primary)
        os.close(secondary)
    return out.returncode, out.stderr


def test_tui_with_a_bogus_strategy_fails_alike_with_and_without_a_terminal(small: Path) -> None:
    piped = _tui_bogus_strategy(small, tty=False)
    terminal = _tui_bogus_strategy(small, tty=True)
    assert piped == terminal
    status, err = piped
    assert status == 2
    assert err.decode().startswith("kdump-storm: --strategy: unknown strategy 'bogus'; one of: ")


def test_the_size_error_names_every_unit_the_parser_takes() -> None:
    out = kdump_storm("inspect", str(DATA / "pseries_power9_smp8_max32.dtb"), "--hole", "1XB")
    assert out.returncode == 2
    assert out.stdout == b""
    err = out.stderr.decode()
    assert err.startswith("kdump-storm: inspect: --hole: bad size '1XB': ")
    assert len(err.splitlines()) == 1
    for unit in ("B", "K", "KiB", "KB", "M", "MiB", "MB", "G", "GiB", "GB", "T", "TiB", "TB"):
        assert f" {unit}," in err or f" {unit} " in err, unit
    # and each unit it names is one it takes: 1MB is 10^6 bytes, 1M is 2^20
    for hole, fits in (("1MB", "yes"), ("1M", "yes")):
        ok = kdump_storm("inspect", str(DATA / "pseries_power9_smp8_max32.dtb"), "--hole", hole)
        assert ok.returncode == 0 and fits in ok.stdout.decode()
    got = kdump_storm(
        "inspect", str(DATA / "pseries_power9_smp8_max32.dtb"), "--hole", "1MB", "--format", "json"
    )
    assert b'"hole_bytes": 1000000' in got.stdout


def test_inspect_says_does_not_fit_instead_of_a_negative_free_size() -> None:
    out = kdump_storm("inspect", str(DATA / "pseries_power9_smp8_max32.dtb"), "--hole", "4KiB")
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.decode().splitlines() if x.startswith("hole_free_bytes"))
    assert "does not fit: the kdump FDT is " in line and "larger than the hole" in line
    assert "-" not in line.split(None, 1)[1]  # no negative number anywhere on the line


def test_help_lists_every_command_without_importing_any_command_module() -> None:
    # --help is the command a new user types first: its start-up is issue 10's
    code = (
        "import sys, contextlib, io\n"
        "from cli.main import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    status = main(['--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('cli.cmd_', 'engine.')))\n"
        "print(status, loaded, out.getvalue())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    status, _, rest = done.stdout.partition(" ")
    assert status == "0"
    assert rest.startswith("['engine.errors']")  # InputError, for the one-line errors
    from cli.commands import COMMANDS

    for command in COMMANDS:
        assert command.name in rest and command.help.split()[0] in rest


def test_help_imports_no_heavy_stdlib_module_a_regular_install_would_not_have() -> None:
    # -S: no site, so no editable-install finder (which imports pathlib itself); a
    # regular install's interpreter starts with none of these, and --help needs none
    code = (
        "import sys, contextlib, io\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "heavy = ('pathlib', 'typing', 'dataclasses', 'shutil', 'difflib', 'importlib.util')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_command_parses_its_own_options_when_only_it_is_registered() -> None:
    from cli.main import main

    assert main(["validate", "--no-such-flag"]) == 2
    assert main(["run", "--help"]) == 0
