"""The published 3840-block resize, rebuilt from published figures only; and `reproduce`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.run.session import Session
from engine.run.trace import RecordKind
from engine.scenario.load import load_scenario

CASES = Path(__file__).resolve().parent.parent / "scenarios" / "reproduce"


def run(name: str, strategy: str) -> Session:
    s = Session(load_scenario(CASES / f"{name}.toml"), strategy)
    s.run_to_end()
    return s


@pytest.mark.slow
def test_one_480_gib_dimm_under_the_throttler_drains_in_86_s_with_about_21_reloads():
    # pid1 = 86 s / 3840: PID 1 paces the 3840 matching online events
    s = run("rhel8_one_dimm", "udev-throttled")
    m = s.metrics(monte_carlo_runs=0)
    assert m.udev_drained_s == pytest.approx(86, rel=0.25)
    assert m.reloads == pytest.approx(21, rel=0.25)  # the mail's 86/4 estimate
    drained_at = s.sim.udev.drained_s
    settles = [r for r in s.records if r.kind == RecordKind.THROTTLER_SETTLE.value]
    before = [r for r in settles if r.t_s < drained_at]
    after = [r for r in settles if r.t_s >= drained_at]
    # every cycle while udev is busy runs to settle's 3 s timeout: 1 + 3 s windows
    assert before and all(r.detail["returned"] == "timeout" for r in before)
    assert all(r.detail["waited_s"] == pytest.approx(3.0) for r in before)
    # the end: the cycle settling when the queue empties, then the last event's own
    # throttler (systemd starts it after its worker finished), which finds it empty
    assert [r.detail["returned"] for r in after] == ["queue-empty", "queue-empty"]


@pytest.mark.slow
def test_the_same_storm_per_event_gives_3840_serialised_reloads_settling_in_about_181_s():
    s = run("rhel7_one_dimm", "udev-reload")  # reload = 181 s / 3840 = 47 ms
    m = s.metrics(monte_carlo_runs=0)
    assert m.reloads == 3840
    assert m.settle_s == pytest.approx(181, rel=0.25)
    starts = [r.t_s for r in s.records if r.kind == RecordKind.UNLOAD_START.value]
    ends = [r.t_s for r in s.records if r.kind == RecordKind.LOAD_END.value]
    assert len(starts) == len(ends) == 3840
    # serialised: each reload starts no earlier than the one before it ended
    assert all(b >= a - 1e-9 for a, b in zip(ends, starts[1:], strict=False))


@pytest.mark.slow
def test_reproduce_passes_and_its_json_lists_every_case_with_its_numbers():
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "reproduce", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    body = json.loads(out.stdout)
    assert body["ok"] is True
    files = {c["file"] for c in body["cases"]}
    assert files == {p.name for p in CASES.glob("*.toml")}
    published = {(c["file"], k["quantity"]): k for c in body["cases"] for k in c["checks"]}
    for check in published.values():
        assert {"published", "model", "tolerance", "verdict", "source", "kind"} <= set(check)
        assert check["verdict"] in ("pass", "conflict")
    assert published[("rhel8_one_dimm.toml", "udev_drained_s")]["published"] == 86
    assert published[("rhel7_one_dimm.toml", "processing_s")]["published"] == 181
    assert published[("rhel7_480_dimms.toml", "processing_s")]["published"] == 389
    assert published[("rhel8_480_dimms.toml", "udev_drained_s")]["published"] == 419
    # a figure that cannot hold with the others says so, with its reason
    conflict = published[("rhel8_480_dimms.toml", "reloads")]
    assert conflict["verdict"] == "conflict" and "no source gives" in conflict["reason"]


def test_a_case_that_misses_is_printed_with_its_reason_and_exits_1(tmp_path):
    case = (CASES / "rhel8_one_dimm.toml").read_text()
    # a tiny storm: udev drains in well under 86 s, so the published figure misses
    case = case.replace("blocks = 3840", "blocks = 8")
    case = case.replace('duration = "150s"', 'duration = "60s"')
    path = tmp_path / "small.toml"
    path.write_text(case)
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "reproduce", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "udev_drained_s" in out.stdout and "MISS" in out.stdout
    assert "miss: model" in out.stdout and "vs published 86" in out.stdout


def test_a_case_file_with_a_bad_check_is_one_line_exit_2(tmp_path):
    case = (
        (CASES / "rhel8_one_dimm.toml")
        .read_text()
        .replace('quantity = "udev_drained_s"', 'quantity = "udev_drain"')
    )
    path = tmp_path / "bad.toml"
    path.write_text(case)
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "reproduce", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert "reproduce.check[0].quantity" in line and "udev_drain" in line
