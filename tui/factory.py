"""``make_app``: a deterministic app for tests and snapshots (no timer, no wall clock)."""

from __future__ import annotations

from pathlib import Path

from tui import engine_link
from tui.app import KdumpStormApp
from tui.playback import Playback
from tui.runs import Runs


def make_app(
    scenario_path: str | Path | None = None,
    strategy: str = "udev-reload",
    *,
    at: float = 0.0,
    compare: str | None = None,
    size: tuple[int, int] = (120, 40),
    seed: int | None = None,
    export_dir: Path | None = None,
    live: bool = False,
    speed: float = 1.0,
) -> KdumpStormApp:
    """The app on ``scenario_path`` (default scenario if None) at simulated time ``at``.

    ``compare`` opens compare mode against that strategy. ``size`` is the terminal
    size the caller should run it at (``app.test_size``). With ``live=False`` no
    frame timer runs: time moves only through ``MainScreen.seek/advance_frames/step``.
    """
    path = Path(scenario_path) if scenario_path else engine_link.DEFAULT_SCENARIO
    scenario = engine_link.load_scenario(path)
    strategies = [strategy] + ([compare] if compare else [])
    app = KdumpStormApp(
        Runs(scenario, path, strategies, seed),
        playback=Playback(speed=speed),
        compare_with=compare,
        start_at_s=at,
        export_dir=export_dir,
        live=live,
    )
    app.test_size = size  # type: ignore[attr-defined]
    return app
