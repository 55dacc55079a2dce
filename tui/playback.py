"""Playback of simulated time: speed, play/pause and the frame step.

The frame timer calls ``Playback.frame_step_s()``; tests never start the
timer and call the app's ``advance_frames()`` instead, so nothing depends on
wall time. An injected ``clock`` (seconds, monotonic) lets a late frame catch
up instead of slowing the simulation; without one each frame is exactly
``1 / fps`` of wall time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SPEEDS: tuple[float, ...] = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
FPS = 30
MAX_CATCH_UP_FRAMES = 4


@dataclass
class Playback:
    """Speed and play state; ``speed`` is simulated seconds per wall second."""

    speed: float = 1.0
    playing: bool = False
    fps: int = FPS
    clock: Callable[[], float] | None = None
    _last_wall_s: float | None = field(default=None, repr=False)

    @property
    def frame_dt_s(self) -> float:
        return 1.0 / self.fps

    def faster(self) -> float:
        self.speed = next((s for s in SPEEDS if s > self.speed), SPEEDS[-1])
        return self.speed

    def slower(self) -> float:
        self.speed = next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0])
        return self.speed

    def toggle(self) -> bool:
        self.playing = not self.playing
        self._last_wall_s = None
        return self.playing

    def frame_step_s(self) -> float:
        """Simulated seconds to advance in this frame."""
        dt = self.frame_dt_s
        if self.clock is not None:
            now = self.clock()
            if self._last_wall_s is not None:
                dt = min(max(now - self._last_wall_s, 0.0), MAX_CATCH_UP_FRAMES * self.frame_dt_s)
            self._last_wall_s = now
        return self.speed * dt
