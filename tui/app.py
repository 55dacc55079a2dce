"""The Textual app: wiring only (screens, commands, styles); the work is in screens/, widgets/."""

from __future__ import annotations

import gc
from pathlib import Path

from textual.app import App
from textual.screen import Screen

from tui import engine_link
from tui.commands import StormCommands
from tui.playback import Playback
from tui.runs import Runs
from tui.screens.main import MainScreen

# Young containers between two collections while the app runs (Python's default: 700).
# Playing large_lpar at x1000 the engine and the widgets keep ~1.5k new containers a
# frame: 2-3 young collections a frame, a middle one every 4-5 frames, and about once
# a storm a full one walking the ~100k objects of Textual, Rich and the sessions
# (~75 ms: a frame lost). At 5000, one young collection every 2-3 frames and no full
# one in the storm. Our assumption, measured with benchmarks/bench_tui.py (issue 11f).
GC_YOUNG_THRESHOLD = 5000


class KdumpStormApp(App[None]):
    """kdump-storm: watch a hotplug storm race the kdump image."""

    CSS_PATH = "app.tcss"
    TITLE = "kdump-storm"
    COMMANDS = App.COMMANDS | {StormCommands}
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        runs: Runs,
        *,
        playback: Playback | None = None,
        compare_with: str | None = None,
        start_at_s: float = 0.0,
        export_dir: Path | None = None,
        live: bool = True,
    ) -> None:
        super().__init__()
        self.runs = runs
        self.playback = playback or Playback()
        self._make_screen = lambda: MainScreen(
            runs,
            self.playback,
            compare_with=compare_with,
            start_at_s=start_at_s,
            export_dir=export_dir,
            live=live,
        )

    def on_mount(self) -> None:
        # the verdict's Monte Carlo imports numpy (~130 ms): once the first screen is
        # painted, in a thread, while the replay waits paused; not on a frame of its own
        self.call_after_refresh(self._warm_up)
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *self._gc_threshold[1:])

    def on_unmount(self) -> None:
        gc.set_threshold(*self._gc_threshold)  # the process as the app found it

    def _warm_up(self) -> None:
        self.run_worker(engine_link.warm_up, thread=True, group="warm-up", exit_on_error=False)

    def get_default_screen(self) -> Screen:
        return self._make_screen()

    @property
    def storm(self) -> MainScreen:
        """The main screen, wherever the screen stack is."""
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))
