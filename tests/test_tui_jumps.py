"""Jumps land on the next (previous) record of their kind; a probe's detail is the engine's;
pausing anywhere, the stats are ``Session.metrics()`` at that instant; the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.run.session import Session
from engine.scenario.load import load_scenario
from tests.test_tui_app import drive, screen_text
from tui.factory import make_app
from tui.jumps import JUMPS
from tui.screens.main import MainScreen
from tui.screens.verdict import VerdictScreen

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.toml"
HOLE_TOO_SMALL = ROOT / "scenarios" / "hole_too_small.toml"
KEYS = {"probe": "j", "reload": "g", "update": "u", "nospace": "h"}


def reference(path: Path, strategy: str) -> Session:
    session = Session(load_scenario(path), strategy)
    session.run_to_end()
    return session


@pytest.mark.parametrize(
    ("what", "path", "strategy", "start_s"),
    [
        ("probe", DEFAULT, "udev-reload", 0.0),
        ("reload", DEFAULT, "udev-reload", 5.9),
        ("update", DEFAULT, "fdt-hole", 5.1),
        ("nospace", HOLE_TOO_SMALL, "fdt-hole", 0.0),
    ],
)
def test_each_jump_key_lands_on_the_next_record_of_its_kind(what, path, strategy, start_s):
    kinds = JUMPS[what].kinds
    ahead = [r for r in reference(path, strategy).records if r.kind in kinds and r.t_s > start_s]
    assert len(ahead) >= 2
    app = make_app(path, strategy, at=start_s)
    key = KEYS[what]

    async def body(pilot, screen: MainScreen) -> None:
        landed = []
        for _ in range(2):
            await pilot.press(key)
            session = screen.runs.sessions[0]
            landed.append(session.now_s)
            assert any(r.kind in kinds and r.t_s == session.now_s for r in session.records)
        assert landed == [ahead[0].t_s, ahead[1].t_s]
        await pilot.press(key.upper())  # back to the first one
        assert screen.runs.sessions[0].now_s == ahead[0].t_s

    drive(app, body)


def test_window_jumps_land_where_the_engine_opens_each_window() -> None:
    windows = reference(DEFAULT, "fdt-hole").no_dump_windows()
    app = make_app(DEFAULT, "fdt-hole")

    async def body(pilot, screen: MainScreen) -> None:
        for w in windows[:3]:
            await pilot.press("w")
            assert screen.runs.now_s == w.t0_s
            assert screen.runs.sessions[0].readiness().p_no_dump > 0
        await pilot.press("W")
        assert screen.runs.now_s == windows[1].t0_s

    drive(app, body)


def test_a_lost_probe_shows_its_cause_and_what_would_have_covered_it() -> None:
    app = make_app(HOLE_TOO_SMALL, "fdt-hole", at=10.0)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("j")
        await pilot.pause()
        session = screen.runs.sessions[0]
        here = [e for e in session.probe_explanations() if e.t_s == session.now_s]
        assert [e.result for e in here] == ["captured", "no-dump"]  # two probes at 10.77 s
        assert f"CPU {here[0].cpu} at {here[0].t_s:.3f} s: captured" in screen_text(app)
        await pilot.press("j")  # the second probe of the same instant
        await pilot.pause()
        assert screen.runs.sessions[0].now_s == here[1].t_s
        lost = here[1]
        assert lost.cause == "cpu-missing-in-fdt" and lost.cpu == 0  # the boot core
        text = screen_text(app)
        assert f"CPU {lost.cpu} at {lost.t_s:.3f} s: no-dump" in text
        assert "its CPU was not in the FDT" in text
        assert "nothing covered it up to now" in text  # the hole stays full (NOSPACE)
        await pilot.press("J")  # back to the first of the two
        assert screen.selected_probe == here[0].seq

    drive(app, body, size=(160, 50))


def test_udev_reload_probe_detail_names_the_load_that_ended_its_window() -> None:
    ref = reference(DEFAULT, "udev-reload").probe_explanations()[0]
    assert ref.covered_by is not None and ref.covered_by.kind == "load-end"
    app = make_app(DEFAULT, "udev-reload")

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("j")
        screen.seek(ref.covered_by.t_s + 0.01)  # the cover is in the trace now
        await pilot.pause()
        text = screen_text(app)
        assert f"at {ref.covered_by.t_s:.3f} s, when the reload's load finished" in text

    drive(app, body, size=(160, 50))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(min_value=0.0, max_value=89.0), st.sampled_from(["udev-reload", "fdt-hole"]))
def test_pausing_at_any_instant_the_stats_are_the_engines(at_s: float, strategy: str) -> None:
    """Play from ``at_s`` for a few frames, pause: exposure equals Session.metrics() there."""
    app = make_app(DEFAULT, strategy, at=at_s, speed=2)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("p")
        screen.advance_frames(5)
        await pilot.press("p")
        session = screen.runs.sessions[0]
        truth = session.metrics(monte_carlo_runs=0)
        assert screen.panes[0].stats.metrics.exposure_s == truth.exposure_s
        assert screen.panes[0].stats.metrics.elapsed_s == pytest.approx(session.now_s)

    drive(app, body)


def test_the_verdict_appears_at_the_end_of_a_replay_and_can_be_recalled() -> None:
    app = make_app(DEFAULT, "udev-reload", at=89.9, speed=10)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("p")
        screen.advance_frames(3)
        await pilot.pause()
        assert isinstance(app.screen, VerdictScreen)
        verdict = app.screen
        truth = screen.runs.sessions[0].metrics()
        assert verdict.metrics[0].exposure_s == truth.exposure_s
        assert verdict.metrics[0].monte_carlo == truth.monte_carlo
        assert truth.monte_carlo.runs > 0  # the verdict's P(captured) has its samples
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("V")
        await pilot.pause()
        assert isinstance(app.screen, VerdictScreen)

    drive(app, body, size=(160, 50))
