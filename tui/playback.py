"""Playback of simulated time: speed, play/pause, the frame step and the engine's budget.

The frame timer calls ``Playback.frame_step_s()``; tests never start the
timer and call the screen's ``advance_frames()`` instead, so nothing depends on
wall time. An injected ``clock`` (seconds, monotonic) makes playback live: a
late frame catches up instead of slowing the simulation, and the engine gets a
wall-clock budget of at most ``BUDGET_SHARE`` of a frame (less while frames run
late, down to ``MIN_BUDGET_SHARE``), so frames keep coming when
the engine is slower than the speed asked for. Without a clock each frame is
exactly ``1 / fps`` of wall time and the engine always reaches its target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SPEEDS: tuple[float, ...] = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
FPS = 30
MAX_CATCH_UP_FRAMES = 4
BUDGET_SHARE = 0.4  # of a frame, for the engine at most; the rest is for drawing
MIN_BUDGET_SHARE = 0.15  # when drawing alone overruns the frame, the engine still moves
FRAME_GOAL = 0.9  # of a frame period: a late frame is one over this, leaving room for spikes
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
    _budget_share: float = field(default=BUDGET_SHARE, repr=False)

    @property
    def frame_dt_s(self) -> float:
        return 1.0 / self.fps

    @property
    def budget_s(self) -> float | None:
        """Wall seconds the engine may take per frame; None (no limit) without a clock."""
        return None if self.clock is None else self._budget_share * self.frame_dt_s

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
        """Simulated seconds to advance in this frame."""
        dt = self.frame_dt_s
        if self.clock is not None:
            now = self.clock()
            if self._last_wall_s is not None:
                took = now - self._last_wall_s
                # a late frame gives the engine less of the next one, an early one more
                share = self._budget_share * (0.8 if took > FRAME_GOAL * self.frame_dt_s else 1.1)
                self._budget_share = min(BUDGET_SHARE, max(MIN_BUDGET_SHARE, share))
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
