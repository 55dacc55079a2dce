"""NO_COLOR: everything that carries meaning stays readable without colour.

Under ``NO_COLOR`` Textual greys every colour (its ``Monochrome`` line filter).
These tests put the screen through the app's own line filters and measure, for
every drawn character that is not a frame line, the distance between its grey
and its background's grey: a dark red value or a dim bar turns into a grey next
to the background, which this catches (it did for the exposure value, 59 on 18,
and the "unloaded" bar, 45 on 18, before the palette).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tui_app import drive
from tui import textual_internals as internals
from tui.factory import make_app

ROOT = Path(__file__).resolve().parent.parent
FRAME = " ╭╮╰╯─│▏▕┤├┬┴┼┆└┘┌┐▔▁"
MIN_CONTRAST = 80  # of 255 grey levels; dim counts half (it is drawn half-way to the background)


def faint_cells(app) -> list[str]:
    """Text drawn with too little contrast after the app's line filters."""
    background = app.screen.styles.background
    faint = []
    for y, strip in enumerate(internals.screen_strips(app.screen)):
        segments = list(strip)
        for line_filter in app.get_line_filters():
            segments = line_filter.apply(segments, background)
        for seg in segments:
            style = seg.style
            if not seg.text.strip(FRAME) or style is None or not (style.color and style.bgcolor):
                continue
            fg, bg = style.color.triplet, style.bgcolor.triplet
            assert fg is not None and bg is not None
            assert fg.red == fg.green == fg.blue, "NO_COLOR leaves greys only"
            contrast = abs(fg.red - bg.red) // (2 if style.dim else 1)
            if contrast < MIN_CONTRAST:
                faint.append(f"row {y}: {seg.text.strip()[:30]!r} grey {fg.red} on {bg.red}")
    return faint


@pytest.mark.parametrize(
    ("scenario", "strategy", "at", "compare", "size"),
    [
        ("default", "udev-reload", 5.9, None, (120, 40)),
        ("default", "udev-reload", 5.9, None, (80, 24)),
        ("hole_too_small", "fdt-hole", 60.0, "crash-hotplug", (160, 50)),
    ],
)
def test_no_color(monkeypatch, scenario, strategy, at, compare, size) -> None:
    """Every value, bar and glyph reads in grey; the image state is bold, not colour alone."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(ROOT / "scenarios" / f"{scenario}.toml", strategy, at=at, compare=compare)

    async def body(pilot, screen) -> None:
        await pilot.press("c")  # a lost or kept dump on the crash lane and in the tree
        await pilot.pause()
        assert app.no_color
        assert faint_cells(app) == []
        state = next(
            seg
            for strip in internals.screen_strips(app.screen)
            for seg in strip
            if seg.text.startswith("image ")
        )
        assert state.style is not None and (state.style.bold or state.style.reverse)

    drive(app, body, size=size)
