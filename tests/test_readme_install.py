"""The README's two opening commands use a virtual environment (PEP 668) and match CI.

Issue 14 item 10. On Debian 12, Ubuntu 23.04+ and Fedora 38+ a bare
``python3 -m pip install`` is refused (the interpreter is externally managed), so
both commands create and activate ``.venv`` first; the test command ends with the
very command ``.ci/run`` runs last, so what a reader runs is what CI runs.
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = "python3 -m venv .venv && . .venv/bin/activate && "


def _commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().split("\n---\n", 1)[0].splitlines()
    return [line.strip() for line in lines if line.startswith("    ")]


def test_both_opening_commands_install_into_a_virtual_environment() -> None:
    start, tests = _commands()
    # a regular install for a user (no editable finder at each start: issue 10, --help)
    assert start == VENV + "python3 -m pip install . && kdump-storm"
    assert VENV + "python3 -m pip install -e '.[test]' && " in tests
    assert "pip install" not in start.split(VENV)[0] and "pip install" not in tests.split(VENV)[0]


def test_the_readme_test_command_ends_with_what_ci_runs_last() -> None:
    ci = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    _, tests = _commands()
    assert tests.endswith(" && " + ci[-1])
    assert (ROOT / ".gitignore").read_text().count(".venv/") == 1  # the venv is never committed


def _installed_by(name: str, glob: str) -> bool:
    """setuptools' package-data glob: ``*`` stays inside one path component."""
    parts, pattern = name.split("/"), glob.split("/")
    return len(parts) == len(pattern) and all(map(fnmatch, parts, pattern))


def test_a_regular_install_carries_every_data_file_of_its_packages() -> None:
    # the README's first command is a regular install: a file the packages read at run
    # time (a scenario, a capture it names, a DTB, the TUI's stylesheet) that no
    # package-data glob matches is not installed (capture_resize's captures were not)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs: dict[str, list[str]] = config["package-data"]
    for package in (p.rstrip("*") for p in config["packages"]["find"]["include"]):
        top = ROOT / package
        for path in top.rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc"):
                continue
            if "__pycache__" in path.parts:
                continue
            name = path.relative_to(top).as_posix()
            assert any(_installed_by(name, g) for g in globs.get(package, [])), (
                f"{package}/{name} matches no package-data glob: a regular install lacks it"
            )
