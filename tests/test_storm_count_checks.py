"""The scenario's storm count check: one phase alone needs no sweep.

``_check_counts`` bounds every jitter outcome with two sweeps over all events of
the phases of a kind. A phase alone moves the count one way, so its extremes are
``start + step`` and ``start + step * count``: the closed form must report the
same errors, in the same order, and the same peak as the sweep.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.scenario.checks import _check_one_phase, _sweep_counts
from engine.scenario.model import StormPhase
from engine.scenario.reader import Reader


def _errors(r: Reader) -> list[tuple[str | None, str]]:
    return [(e.where, str(e)) for e in r.errors]


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(["cpu", "memory"]),
    adds=st.booleans(),
    count=st.integers(1, 40),
    start=st.integers(1, 40),
    room=st.one_of(st.none(), st.integers(0, 40)),
    every_s=st.sampled_from([0.0, 0.01, 1.0]),
    jitter_s=st.sampled_from([0.0, 0.5, 30.0]),
)
def test_one_phase_closed_form_equals_the_two_sweeps(
    kind, adds, count, start, room, every_s, jitter_s
):
    action = f"{kind}-{'add' if adds else 'remove'}"
    phase = StormPhase(
        index=0, at_s=1.0, action=action, count=count, every_s=every_s, jitter_s=jitter_s
    )
    hi = None if room is None else start + room  # e.g. start 8, room 2: hi 10
    block = 256 << 20 if kind == "memory" else None
    swept, closed = Reader("s.toml", ""), Reader("s.toml", "")
    peak_swept = _sweep_counts(swept, [phase], kind, start, hi, block)
    peak_closed = _check_one_phase(closed, phase, kind, start, hi, block)
    assert peak_closed == peak_swept
    assert _errors(closed) == _errors(swept)
