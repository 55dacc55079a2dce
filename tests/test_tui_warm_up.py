"""The verdict's Monte Carlo library is loaded in a thread once the app is up, not on the
frame that opens the verdict (numpy's import stalled that frame ~130 ms)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CODE = """
import asyncio, sys
from tui.factory import make_app

async def main():
    before = "numpy" in sys.modules
    app = make_app("scenarios/default.toml", "udev-reload")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        print(before, "numpy" in sys.modules, app.storm.playback.playing)

asyncio.run(main())
"""


def test_numpy_is_loaded_by_a_worker_while_the_first_screen_waits_paused():
    env = {**os.environ, "TEXTUAL_ANIMATIONS": "none", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # not imported by starting the app, imported once it is up, while nothing plays
    assert done.stdout.split() == ["False", "True", "False"]
