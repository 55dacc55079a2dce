"""Playback: the engine gets what drawing leaves of a frame, between a floor and a cap."""

from __future__ import annotations

import pytest

from tui.playback import (
    DRAW_DECAY,
    FRAME_GOAL,
    MAX_BUDGET_SHARE,
    MIN_BUDGET_SHARE,
    START_DRAW_SHARE,
    Playback,
)


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def test_the_engine_gets_what_drawing_leaves_of_a_frame_between_its_floor_and_its_cap():
    playback = Playback(speed=1000, playing=True, clock=FakeClock())
    frame = 1 / 30
    # nothing measured yet: drawing assumed to take 45% of a frame, 85% - 45% = 40% left
    assert playback.budget_s == pytest.approx((FRAME_GOAL - START_DRAW_SHARE) * frame)
    playback.drawn(0.060)  # drawing alone overruns the frame: the engine keeps its floor
    assert playback.budget_s == pytest.approx(MIN_BUDGET_SHARE * frame)
    playback.drawn(0.0)  # a cheap frame counts slowly: 60 ms - 10% of 60 ms = 54 ms
    assert playback._draw_s == pytest.approx(0.060 * (1 - DRAW_DECAY))
    for _ in range(100):
        playback.drawn(0.005)  # 5 ms of drawing: 28.3 - 5 = 23.3 ms, under the 25 ms cap
    assert playback.budget_s == pytest.approx(FRAME_GOAL * frame - 0.005, abs=1e-5)
    playback.drawn(0.015)  # a dearer frame counts at once: 28.3 - 15 = 13.3 ms
    assert playback.budget_s == pytest.approx(FRAME_GOAL * frame - 0.015)
    for _ in range(200):
        playback.drawn(0.0)
    assert playback.budget_s == pytest.approx(MAX_BUDGET_SHARE * frame)


def test_a_late_frame_catches_up_simulated_time_by_at_most_four_frames():
    clock = FakeClock()
    playback = Playback(speed=100, playing=True, clock=clock)
    playback.frame_step_s()
    clock.now_s += 0.050  # 50 ms since the last frame: x100 of it
    assert playback.frame_step_s() == pytest.approx(5.0)
    clock.now_s += 1.0  # a stall: at most 4 frames (4 / 30 s x 100)
    assert playback.frame_step_s() == pytest.approx(400 / 30)


def test_without_a_clock_there_is_no_budget_and_each_frame_is_exactly_a_thirtieth():
    playback = Playback(speed=10)
    assert playback.budget_s is None
    assert playback.frame_step_s() == pytest.approx(10 / 30)
