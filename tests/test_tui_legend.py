"""The legend is the one table the lanes draw from: every kind, outcome and cause has an
entry, one glyph per meaning, and the strip (``l``) and the help screen print it."""

from __future__ import annotations

from pathlib import Path

from engine.run.outcomes import Cause, Result
from engine.run.trace import SPAN_ENDS, RecordKind
from tests.test_tui_app import drive, screen_text
from tui import legend
from tui.factory import make_app
from tui.timeline_lanes import MARKS, SPANS
from tui.widgets.legend_strip import LegendStrip

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "default.toml"


def test_every_record_kind_has_a_glyph_or_says_why_not() -> None:
    """A new record kind (issue 8's settle, issue 9's torn FDT...) fails here until the
    legend says how it is drawn."""
    ends = {end.value for ends in SPAN_ENDS.values() for end in ends}  # drawn as a span's end
    covered = set(legend.MARKS) | set(legend.SPANS) | ends | set(legend.NOT_DRAWN)
    covered.add("crash-probe")  # drawn by outcome and cause, below
    assert {k.value for k in RecordKind} - covered == set()


def test_every_span_the_engine_opens_is_drawn() -> None:
    assert {start.value for start in SPAN_ENDS} <= set(legend.SPANS)


def test_every_outcome_and_cause_has_a_probe_glyph() -> None:
    lost = {r.value for r in Result} - set(legend.PROBE_RESULTS)
    assert lost == {"no-dump"}  # a lost dump is drawn by its cause
    assert {c.value for c in Cause} <= {c for c in legend.PROBE_CAUSES if c}


def test_one_glyph_per_meaning() -> None:
    """A dropped uevent, a NOSPACE and a lost dump were all ``✗``; now no two share one."""
    chars = legend.drawn_chars()
    assert len(chars) == len(set(chars))
    drop, nospace = legend.MARKS["throttler-drop"][1], legend.MARKS["update-nospace"][1]
    lost = legend.PROBE_CAUSES["unloaded"]
    assert len({drop.char, nospace.char, lost.char}) == 3


def test_the_lanes_draw_the_legend_glyphs() -> None:
    assert {k: v[1] for k, v in MARKS.items()} == {k: g.char for k, (_, g) in legend.MARKS.items()}
    assert {k: v[1] for k, v in SPANS.items()} == {k: g.char for k, (_, g) in legend.SPANS.items()}


def test_l_shows_the_legend_strip_and_hides_it_again() -> None:
    app = make_app(DEFAULT, "udev-reload", at=5.9)

    async def body(pilot, screen) -> None:
        strip = screen.query_one(LegendStrip)
        assert not strip.display or not strip.has_class("-shown")
        await pilot.press("l")
        await pilot.pause()
        region = strip.region
        assert region.height > 3
        rows = screen_text(app).splitlines()[region.y + 1 : region.bottom - 1]
        shown = " ".join(" ".join(row[region.x + 1 : region.right - 1].split()) for row in rows)
        for _label, glyphs in legend.entries():
            for g in glyphs:
                assert f"{g.char} {g.meaning}" in shown
        await pilot.press("l")
        await pilot.pause()
        assert "legend (l to hide)" not in screen_text(app)

    drive(app, body, size=(160, 50))


def test_help_screen_has_the_legend_and_the_definitions() -> None:
    """What the help screen composes, rendered wide enough that no line wraps."""
    import io

    from rich.console import Console

    from tui import engine_link
    from tui.screens.help import sections

    console = Console(width=400, record=True, file=io.StringIO())
    for section in sections():
        console.print(section)
    text = console.export_text()
    for _label, glyphs in legend.entries():
        for g in glyphs:
            assert f"{g.char} {g.meaning}" in text
    for term, definition in engine_link.definitions():
        assert f"{term}: {definition}." in text


def test_readme_and_run_footnote_define_the_same_terms() -> None:
    import subprocess
    import sys

    from engine.run.definitions import DEFINITIONS

    root = DEFAULT.parent.parent
    readme = " ".join((root / "README.md").read_text().split())
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", str(DEFAULT), "--strategy", "fdt-hole"],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    footnote = " ".join(done.stdout.split("Definitions:")[1].split())
    for term, definition in DEFINITIONS:
        assert f"**{term}**: {definition}." in readme
        assert f"{term}: {definition}." in footnote
