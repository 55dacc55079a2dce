"""The playing frame's schedule (tui/frame_cycle.py): which heavy panel each frame redraws."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.test_tui_app import drive
from tui.factory import make_app
from tui.frame_cycle import METRICS_EVERY_FRAMES, frame_turn

ROOT = Path(__file__).resolve().parent.parent
HOLE_TOO_SMALL = ROOT / "scenarios" / "hole_too_small.toml"


def test_each_panel_is_redrawn_as_often_as_the_docstring_says() -> None:
    """Over 8 cycles of 8 frames (64 frames, one pane): metrics 8 times, chart 8, tree 16,
    lanes 32, region 32; and no frame does two of metrics, chart and tree."""
    counts: Counter[str] = Counter()
    for frame in range(8 * METRICS_EVERY_FRAMES):
        turn = frame_turn(frame, 1)
        heavy = [name for name in ("metrics", "chart", "tree") if getattr(turn, name)]
        assert len(heavy) <= 1, (frame, heavy)
        assert turn.lanes != turn.region  # one of the two, every frame
        assert turn.tree_pane is None
        counts.update(
            name for name in ("metrics", "chart", "tree", "lanes", "region") if getattr(turn, name)
        )
    assert counts == {"metrics": 8, "chart": 8, "tree": 16, "lanes": 32, "region": 32}


def test_in_compare_mode_the_trees_take_turns_by_cycle() -> None:
    """Two panes: cycle 0's tree frames draw pane 0's tree, cycle 1's pane 1's, and so on."""
    for cycle in range(4):
        for phase in range(METRICS_EVERY_FRAMES):
            turn = frame_turn(cycle * METRICS_EVERY_FRAMES + phase, 2)
            assert turn.tree_pane == cycle % 2


def test_in_compare_mode_both_charts_are_drawn_in_the_same_frame_at_one_instant() -> None:
    """hole_too_small at x10 from 5 s: after the chart frame, both charts end at the
    clock's instant and share its y-scale (they used to be drawn a cycle apart)."""
    app = make_app(HOLE_TOO_SMALL, "fdt-hole", speed=10, at=5.0, compare="crash-hotplug")

    async def body(pilot, screen) -> None:
        await pilot.press("p")
        for _ in range(3 * METRICS_EVERY_FRAMES):
            screen.advance_frames(1)
            if frame_turn(screen.frames, 2).chart:
                now = screen.runs.now_s
                charts = [pane.stats.chart for pane in screen.panes]
                assert [c.series[-1][0] for c in charts] == [now, now]
                assert charts[0].top == charts[1].top

    drive(app, body, size=(160, 50))
