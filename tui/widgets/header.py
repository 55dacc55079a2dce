"""The one-line header: scenario, strategy, simulated time and speed (never wall time).

While the engine cannot keep up with the speed asked for, the rate it keeps is
shown next to it: ``x1000 (engine x230)``.

A Line-API widget: ``show()`` takes the runs' and playback's state and builds its one
strip; the line is refreshed only when that strip changes (it does on most playing
frames, the time being in it, but the strip is a few segments: no Text, no markup,
no Visual, where a reactive ``render()`` re-rendered a Rich Text each frame).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from tui import engine_link, fmt

if TYPE_CHECKING:
    from tui.playback import Playback
    from tui.runs import Runs

BOLD = Style(bold=True)
BOLD_REVERSE = Style(bold=True, reverse=True)
PLAIN = Style()
Piece = tuple[str, Style]


def pieces_of(
    form: int,
    scenario: str,
    strategies: tuple[str, ...],
    now_s: float,
    duration_s: float,
    speed: float,
    playing: bool,
    engine_rate: float | None,
) -> list[Piece]:
    """The header in form 0 (widest) .. 3 (shortest): the scenario's name goes first,
    then the app's name, then words; strategy, time, speed and play state always stay."""
    out: list[Piece] = []
    if form == 0:
        out += [(" kdump-storm ", BOLD_REVERSE), (f" {scenario} ", BOLD), ("│ ", PLAIN)]
    elif form == 1:
        out += [(" kdump-storm ", BOLD_REVERSE), (" ", PLAIN)]
    else:
        out.append((" ", PLAIN))
    short = form == 3
    out.append((" vs ".join(strategies), BOLD))
    out.append((" " if short else " │ t = ", PLAIN))
    out.append((fmt.sim_time(now_s), BOLD))
    out.append((f"/{duration_s:g}" if short else f" / {duration_s:g} s", PLAIN))
    out.append((" " if short else " │ ", PLAIN))
    out.append((fmt.speed(speed), BOLD))
    if engine_rate is not None:
        rate = fmt.rate(engine_rate)
        out.append((f" ({rate})" if short else f" (engine {rate})", BOLD_REVERSE))
    if playing:
        out.append((" ▶" if short else " ▶ playing", BOLD))
    else:
        out.append((" ⏸" if short else " ⏸ paused", PLAIN))
    return out


def header_strip(pieces: list[Piece], width: int, base: Style) -> Strip:
    """The pieces on ``base`` (the widget's colours), cut with an ellipsis past ``width``
    (a shorter line is padded by Textual with the widget's background, as a Text was)."""
    strip = Strip([Segment(text, base + style) for text, style in pieces])
    if strip.cell_length > width:
        strip = Strip.join([strip.crop(0, max(width - 1, 0)), Strip([Segment("…", base)], 1)])
    return strip


class SimHeader(Widget):
    """Shows what is being simulated and where playback is."""

    DEFAULT_CSS = """
    SimHeader { height: 1; background: $panel; color: $text; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = ""
        self.strategies: tuple[str, ...] = ()
        self.now_s = 0.0
        self.duration_s = 0.0
        self.speed = 1.0
        self.playing = False
        self.engine_rate: float | None = None  # shown only while the engine lags
        self._strip: tuple[tuple[Any, ...], Strip] | None = None  # (what it shows, strip)

    def show(self, runs: Runs, playback: Playback) -> None:
        """The state of ``runs`` and ``playback``; the line is redrawn if its text changed."""
        self.scenario = engine_link.scenario_label(runs.scenario, runs.path)
        self.strategies = tuple(runs.strategies)
        self.now_s = runs.now_s
        self.duration_s = runs.duration_s
        self.speed = playback.speed
        self.playing = playback.playing
        self.engine_rate = playback.engine_rate if playback.playing else None
        if self._strip is None or self._strip[0][1:] != self._key():
            self.refresh()

    def _key(self) -> tuple[Any, ...]:
        return (
            self.size.width,
            self.scenario,
            self.strategies,
            fmt.sim_time(self.now_s),  # what is shown, not the float: a sub-ms step shows none
            self.duration_s,
            self.speed,
            self.playing,
            None if self.engine_rate is None else fmt.rate(self.engine_rate),
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y != 0 or width <= 0:
            return Strip.blank(width, self.rich_style)
        # the colours in the key: a theme change refreshes every widget, and redraws this
        key = (self.rich_style, *self._key())
        if self._strip is not None and self._strip[0] == key:
            return self._strip[1]
        state = (
            self.scenario,
            self.strategies,
            self.now_s,
            self.duration_s,
            self.speed,
            self.playing,
            self.engine_rate,
        )
        for form in range(4):  # the widest form that fits
            pieces = pieces_of(form, *state)
            if sum(cell_len(text) for text, _ in pieces) <= width:
                break
        strip = header_strip(pieces, width, self.rich_style)
        self._strip = (key, strip)
        return strip
