"""The one output writer: whole file or nothing, never over a file unless forced, one-line errors.

The CLI cases go through ``python -m cli.main`` (the real entry point); faults the
machine cannot produce on demand (ENOSPC, EROFS) are injected into ``os`` calls
of an in-process ``cli.main.main``.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import cli.main
from engine.errors import InputError
from engine.output_file import check_output_path, write_fresh_file, write_new_file

ROOT = Path(__file__).resolve().parent.parent
TINY = """
[scenario]
duration = "2s"
[machine]
cores_present = 2
cores_possible = 4
smt = 2
memory = "2GiB"
[crash]
monte_carlo = 10
[compare]
strategies = ["udev-reload"]
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


# -- the writer itself --------------------------------------------------------------------


def test_a_new_file_gets_the_whole_data_and_no_temporary_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    write_new_file(target, [b"ab", b"cd"], force=False, option="-o")
    assert target.read_bytes() == b"abcd"
    assert _leftovers(tmp_path) == []


def test_the_file_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_new_file(tmp_path / "a", b"x", force=False, option="-o")
    finally:
        os.umask(old)
    # 0666 & ~0027 = 0640: the mode a shell's `>` gives (mkstemp would give 0600)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o640


def test_an_existing_file_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_bytes(b"mine")
    with pytest.raises(InputError, match="file exists; pass --force"):
        write_new_file(target, b"new", force=False, option="-o")
    assert target.read_bytes() == b"mine"
    write_new_file(target, b"new", force=True, option="-o")
    assert target.read_bytes() == b"new"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("link_to", ["missing-file", "loop"])
def test_a_dangling_or_looping_symlink_is_replaced_only_with_force(
    tmp_path: Path, link_to: str
) -> None:
    target = tmp_path / "out"
    if link_to == "loop":
        (tmp_path / "loop").symlink_to(target)
    target.symlink_to(tmp_path / link_to)
    kind = "dangling symlink" if link_to != "loop" else "symlink loop"
    with pytest.raises(InputError, match=f"{kind} is there; pass --force"):
        write_new_file(target, b"x", force=False, option="--trace")
    assert target.is_symlink()
    write_new_file(target, b"x", force=True, option="--trace")
    assert not target.is_symlink() and target.read_bytes() == b"x"


def test_force_replaces_a_symlink_itself_never_the_file_it_points_to(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.write_bytes(b"keep")
    (tmp_path / "out").symlink_to(precious)
    write_new_file(tmp_path / "out", b"new", force=True, option="-o")
    assert precious.read_bytes() == b"keep"
    assert (tmp_path / "out").read_bytes() == b"new"


def test_a_fifo_or_device_is_never_replaced_even_with_force(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    for target in (tmp_path / "pipe", Path("/dev/null")):
        with pytest.raises(InputError, match="only a regular file is written"):
            write_new_file(target, b"x", force=True, option="-o")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_empty_or_nul_name_is_refused_on_one_line() -> None:
    with pytest.raises(InputError, match="--trace: needs a file name"):
        check_output_path("", force=False, option="--trace")
    with pytest.raises(InputError, match="NUL byte"):
        check_output_path("a\0b", force=False, option="-o")


def test_a_write_failing_midway_leaves_no_file_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(InputError, match="-o: cannot write: no space left on the device"):
        write_new_file(tmp_path / "out", b"x" * 4096, force=False, option="-o")
    assert list(tmp_path.iterdir()) == []


def test_a_fresh_name_is_picked_next_to_files_already_there(tmp_path: Path) -> None:
    (tmp_path / "t.dtb").write_bytes(b"old")
    (tmp_path / "t-1.dtb").write_bytes(b"old")
    path = write_fresh_file(tmp_path, "t", ".dtb", [b"new"])
    assert path.name == "t-2.dtb" and path.read_bytes() == b"new"
    assert (tmp_path / "t.dtb").read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_without_hard_links_the_no_replace_rename_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")  # vfat's answer to link()

    monkeypatch.setattr(os, "link", no_links)
    (tmp_path / "taken").write_bytes(b"mine")
    with pytest.raises(InputError, match="file exists"):
        write_new_file(tmp_path / "taken", b"x", force=False, option="-o")
    write_new_file(tmp_path / "new", b"x", force=False, option="-o")
    assert (tmp_path / "taken").read_bytes() == b"mine"
    assert (tmp_path / "new").read_bytes() == b"x"
    assert _leftovers(tmp_path) == []


# -- through the CLI ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("/proc/kdump-storm-trace.jsonl", "no file can be created in '/proc'"),
        ("/sys/kdump-storm-trace.jsonl", "permission denied"),
        ("missing-dir/trace.jsonl", "directory 'missing-dir' does not exist"),
        ("x" * 300 + ".jsonl", "file name too long"),
        ("", "needs a file name"),
    ],
)
def test_run_trace_that_cannot_be_written_is_one_line_exit_2(
    scenario: Path, tmp_path: Path, target: str, reason: str
) -> None:
    done = _cli("run", str(scenario), "--trace", target, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert reason in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert len(done.stderr) < 300  # a 300-character name is quoted short
    assert _leftovers(tmp_path) == []
    assert done.stdout == ""  # refused before the run, not after it


def test_dtb_output_over_a_dangling_symlink_needs_force(scenario: Path, tmp_path: Path) -> None:
    (tmp_path / "out.dtb").symlink_to(tmp_path / "nowhere")
    done = _cli("dtb", str(scenario), "-o", "out.dtb", cwd=tmp_path)
    assert done.returncode == 2 and "dangling symlink" in done.stderr
    assert (tmp_path / "out.dtb").is_symlink()
    done = _cli("dtb", str(scenario), "-o", "out.dtb", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.dtb").read_bytes()[:4] == b"\xd0\x0d\xfe\xed"
    assert stat.S_IMODE((tmp_path / "out.dtb").stat().st_mode) == 0o666 & ~_umask()


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "no space left"), (errno.EROFS, "read-only file system")],
)
def test_run_trace_write_error_is_one_line_and_leaves_no_temporary(
    scenario: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    code: int,
    reason: str,
) -> None:
    real_open = os.open

    def failing_open(path: object, flags: int, mode: int = 0o777, **kw: object) -> int:
        if str(path).endswith(".tmp") and code == errno.EROFS:
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, mode, **kw)  # type: ignore[arg-type]

    def failing_fsync(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "open", failing_open)
    monkeypatch.setattr(os, "fsync", failing_fsync)
    trace = tmp_path / "trace.jsonl"
    assert cli.main.main(["run", str(scenario), "--trace", str(trace)]) == 2
    err = capsys.readouterr().err
    assert reason in err and len(err.strip().splitlines()) == 1
    assert list(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def test_writing_into_a_missing_directory_names_the_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"-o: cannot write: directory '.*gone' does not exist"):
        write_new_file(tmp_path / "gone" / "out", b"x", force=False, option="-o")
