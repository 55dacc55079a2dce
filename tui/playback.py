"""Playback of simulated time: speed, play/pause, the frame step and the engine's budget.

The frame timer calls ``Playback.frame_step_s()``; tests never start the
timer and call the screen's ``advance_frames()`` instead, so nothing depends on
wall time. An injected ``clock`` (seconds, monotonic) makes playback live: a
late frame catches up instead of slowing the simulation, and the engine gets a
wall-clock budget: what is left of ``FRAME_GOAL`` of a frame once drawing (the
widgets' sync, the screen's render and the engine's overshoot past its budget,
measured each frame by ``drawn()``) has had its share, between
``MIN_BUDGET_SHARE`` and ``MAX_BUDGET_SHARE`` of a frame.
So frames keep coming when the engine is slower than the speed asked for, and the
engine gets every bit of a frame that drawing leaves. Without a clock each frame
is exactly ``1 / fps`` of wall time and the engine always reaches its target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SPEEDS: tuple[float, ...] = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
FPS = 30
MAX_CATCH_UP_FRAMES = 4
# engine + drawing fill at most this share of a frame period: the rest is room for
# jitter, because a frame that spills past its timer slot costs a whole slot (Textual's
# interval timer skips the ticks it missed)
FRAME_GOAL = 0.85
MAX_BUDGET_SHARE = 0.75  # of a frame, for the engine at most
MIN_BUDGET_SHARE = 0.15  # when drawing alone overruns the frame, the engine still moves
START_DRAW_SHARE = 0.45  # drawing's share of a frame until one has been measured
DRAW_DECAY = 0.1  # the estimate of drawing follows a dearer frame at once, a cheaper slowly
ON_TIME_FRAMES = 15  # frames on time before the header stops showing the engine's rate
RATE_SMOOTHING = 0.2


@dataclass
class Playback:
    """Speed and play state; ``speed`` is simulated seconds per wall second."""

    speed: float = 1.0
    playing: bool = False
    fps: int = FPS
    clock: Callable[[], float] | None = None
    engine_rate: float | None = None  # simulated s per wall s the engine kept, while it lags
    _last_wall_s: float | None = field(default=None, repr=False)
    _last_dt_s: float = field(default=0.0, repr=False)
    _on_time: int = field(default=0, repr=False)
    _draw_s: float | None = field(default=None, repr=False)  # what drawing a frame takes

    @property
    def frame_dt_s(self) -> float:
        return 1.0 / self.fps

    @property
    def budget_s(self) -> float | None:
        """Wall seconds the engine may take per frame; None (no limit) without a clock."""
        if self.clock is None:
            return None
        dt = self.frame_dt_s
        draw_s = START_DRAW_SHARE * dt if self._draw_s is None else self._draw_s
        return min(MAX_BUDGET_SHARE * dt, max(MIN_BUDGET_SHARE * dt, FRAME_GOAL * dt - draw_s))

    def drawn(self, draw_s: float) -> None:
        """The last frame took ``draw_s`` beyond its engine budget (widget sync, the
        screen's render, and whatever the engine ran past its budget)."""
        known = self._draw_s
        if known is None or draw_s > known:
            self._draw_s = draw_s
        else:
            self._draw_s = known + DRAW_DECAY * (draw_s - known)

    def faster(self) -> float:
        self.speed = next((s for s in SPEEDS if s > self.speed), SPEEDS[-1])
        self.engine_rate = None
        return self.speed

    def slower(self) -> float:
        self.speed = next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0])
        self.engine_rate = None
        return self.speed

    def toggle(self) -> bool:
        self.playing = not self.playing
        self._last_wall_s = None
        self.engine_rate = None
        return self.playing

    def frame_step_s(self) -> float:
        """Simulated seconds to advance in this frame: a frame's worth, or with a clock the
        wall time since the last frame (a late frame catches up, a few frames at most)."""
        dt = self.frame_dt_s
        if self.clock is not None:
            now = self.clock()
            if self._last_wall_s is not None:
                took = now - self._last_wall_s
                dt = min(max(took, 0.0), MAX_CATCH_UP_FRAMES * self.frame_dt_s)
            self._last_wall_s = now
        self._last_dt_s = dt
        return self.speed * dt

    def reached(self, wanted_s: float, got_s: float) -> None:
        """After a frame: the engine moved ``got_s`` of the ``wanted_s`` simulated seconds."""
        if got_s < wanted_s * (1 - 1e-9) and self._last_dt_s > 0:
            rate = got_s / self._last_dt_s
            smooth = self.engine_rate
            self.engine_rate = rate if smooth is None else smooth + RATE_SMOOTHING * (rate - smooth)
            self._on_time = 0
            return
        self._on_time += 1
        if self._on_time >= ON_TIME_FRAMES:
            self.engine_rate = None
