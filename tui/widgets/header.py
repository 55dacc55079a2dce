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
        """The widest form that fits: the scenario's name goes first, then the app's name,
        then words; strategy, time, speed and play state always stay."""
        width = self.size.width or 200
        for form in range(4):
            text = self._form(form)
            if text.cell_len <= width:
                return text
        return text

    def _form(self, form: int) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if form == 0:
            text.append(" kdump-storm ", style="bold reverse")
            text.append(f" {self.scenario} ", style="bold")
            text.append("│ ")
        elif form == 1:
            text.append(" kdump-storm ", style="bold reverse")
            text.append(" ")
        else:
            text.append(" ")
        text.append(" vs ".join(self.strategies), style="bold")
        short = form == 3
        text.append(" │ " if not short else " ")
        text.append("" if short else "t = ")
        text.append(fmt.sim_time(self.now_s), style="bold")
        text.append(f"/{self.duration_s:g}" if short else f" / {self.duration_s:g} s")
        text.append(" │ " if not short else " ")
        text.append(fmt.speed(self.speed), style="bold")
        if self.engine_rate is not None:
            rate = fmt.rate(self.engine_rate)
            text.append(f" ({rate})" if short else f" (engine {rate})", style="bold reverse")
        if self.playing:
            text.append(" ▶" if short else " ▶ playing", style="bold")
        else:
            text.append(" ⏸" if short else " ⏸ paused")
        return text
