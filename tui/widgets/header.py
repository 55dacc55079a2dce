"""The one-line header: scenario, strategy, simulated time and speed (never wall time).

While the engine cannot keep up with the speed asked for, the rate it keeps is
shown next to it: ``x1000 (engine x230)``.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui import fmt


class SimHeader(Widget):
    """Shows what is being simulated and where playback is."""

    DEFAULT_CSS = """
    SimHeader { height: 1; background: $panel; color: $text; }
    """

    scenario: reactive[str] = reactive("")
    strategies: reactive[tuple[str, ...]] = reactive(())
    now_s: reactive[float] = reactive(0.0)
    duration_s: reactive[float] = reactive(0.0)
    speed: reactive[float] = reactive(1.0)
    playing: reactive[bool] = reactive(False)
    engine_rate: reactive[float | None] = reactive(None)  # shown only while the engine lags

    def render(self) -> Text:
        state = "▶ playing" if self.playing else "⏸ paused"
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" kdump-storm ", style="bold reverse")
        text.append(f" {self.scenario} ", style="bold")
        text.append("│ ")
        text.append(" vs ".join(self.strategies), style="bold cyan")
        text.append(" │ t = ")
        text.append(fmt.sim_time(self.now_s), style="bold")
        text.append(f" / {self.duration_s:g} s │ ")
        text.append(fmt.speed(self.speed), style="bold")
        if self.engine_rate is not None:
            text.append(f" (engine {fmt.rate(self.engine_rate)})", style="bold yellow")
        text.append(f" {state}")
        return text
