"""Playback: the engine's share of a frame shrinks when frames run late and grows back."""

from __future__ import annotations

import pytest

from tui.playback import BUDGET_SHARE, MIN_BUDGET_SHARE, Playback


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def run_frames(playback: Playback, clock: FakeClock, frames: int, frame_s: float) -> None:
    for _ in range(frames):
        playback.frame_step_s()
        clock.now_s += frame_s


def test_late_frames_shrink_the_engine_budget_to_its_floor_and_on_time_frames_restore_it():
    clock = FakeClock()
    playback = Playback(speed=1000, playing=True, clock=clock)
    assert playback.budget_s == pytest.approx(BUDGET_SHARE / 30)
    run_frames(playback, clock, 30, 0.060)  # drawing alone takes 60 ms a frame
    assert playback.budget_s == pytest.approx(MIN_BUDGET_SHARE / 30)
    run_frames(playback, clock, 30, 0.020)  # frames back on time
    assert playback.budget_s == pytest.approx(BUDGET_SHARE / 30)


def test_without_a_clock_there_is_no_budget_and_each_frame_is_exactly_a_thirtieth():
    playback = Playback(speed=10)
    assert playback.budget_s is None
    assert playback.frame_step_s() == pytest.approx(10 / 30)
