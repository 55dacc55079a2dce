"""The README's two opening commands use a virtual environment (PEP 668) and match CI.

Issue 14 item 10. On Debian 12, Ubuntu 23.04+ and Fedora 38+ a bare
``python3 -m pip install`` is refused (the interpreter is externally managed), so
both commands create and activate ``.venv`` first; the test command ends with the
very command ``.ci/run`` runs last, so what a reader runs is what CI runs.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = "python3 -m venv .venv && . .venv/bin/activate && "


def _commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().split("\n---\n", 1)[0].splitlines()
    return [line.strip() for line in lines if line.startswith("    ")]


def test_both_opening_commands_install_into_a_virtual_environment() -> None:
    start, tests = _commands()
    assert start == VENV + "python3 -m pip install -e . && kdump-storm"
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
