"""Which heavy panels a playing frame redraws: they take turns, so no frame does two.

~4 refreshes per second at 30 frames/s: the stats and the chart lag the clock by at
most ``METRICS_EVERY_FRAMES`` frames while playing (and not at all once paused,
stepped or seeked). Frame 0 of 8 the metrics (the engine's ``Session.metrics()``, and
in compare mode the table of both), 4 the exposure chart, 2 and 6 the /cpus tree (7.5
a second), the odd ones the timeline's lanes and the even ones the crash region (15 a
second each).

In compare mode both charts are drawn in the same frame, so their shared y-scale is
that of one instant (a braille chart costs well under a millisecond; the plotext
chart it replaced cost ~16 ms, and the panes used to take turns with it). The /cpus
trees still take turns, one pane per cycle (``tree_pane``): on large_lpar a tree's
sync costs several milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

METRICS_EVERY_FRAMES = 8
TREE_EVERY_FRAMES = 4
LANES_EVERY_FRAMES = 2


@dataclass(frozen=True)
class FrameTurn:
    metrics: bool
    chart: bool
    tree: bool
    lanes: bool
    region: bool
    tree_pane: int | None  # the pane whose tree this cycle draws (None: every pane's)


def frame_turn(frame: int, panes: int) -> FrameTurn:
    """What playing frame number ``frame`` redraws, with ``panes`` panes on screen."""
    phase = frame % METRICS_EVERY_FRAMES
    return FrameTurn(
        metrics=phase == 0,
        chart=phase == METRICS_EVERY_FRAMES // 2,
        tree=phase % TREE_EVERY_FRAMES == TREE_EVERY_FRAMES // 2,
        lanes=phase % LANES_EVERY_FRAMES == 1,
        region=phase % LANES_EVERY_FRAMES == 0,
        tree_pane=(frame // METRICS_EVERY_FRAMES) % panes if panes > 1 else None,
    )
