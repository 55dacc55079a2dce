"""``--help``, ``validate`` and ``inspect`` import only what they need (issue 10).

Checked on ``sys.modules`` of a fresh interpreter, not on a clock: the engine's
simulation, SimPy, libfdt, numpy and Textual load only for commands that use them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("engine.run.session", "simpy", "libfdt", "numpy", "textual", "fdt", "dask")

PROBE = """
import contextlib, io, json, sys
import cli.main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        cli.main.main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in
      ("engine", "simpy", "libfdt", "numpy", "textual", "fdt", "dask"))))
"""


def loaded(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["run", "--help"], ["validate", "scenarios/default.toml"], ["inspect", "--help"]],
    ids=["help", "run-help", "validate", "inspect-help"],
)
def test_light_commands_do_not_load_the_simulation(argv):
    heavy = HEAVY
    if argv[0] == "validate":
        # validate is as strict as run: it builds the machine and sizes its FDT (libfdt)
        heavy = tuple(m for m in HEAVY if m not in ("libfdt", "fdt"))
    modules = loaded(*argv)
    assert not {m for m in modules if m in heavy or m.split(".")[0] in heavy[1:]}, modules


def test_validate_loads_the_scenario_reader_it_needs():
    assert "engine.scenario.load" in loaded("validate", "scenarios/default.toml")
