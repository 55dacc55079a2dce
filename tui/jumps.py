"""Jumps: to the next or previous no-dump window, probe, reload, kernel update or NOSPACE.

Navigation only: which records count as "a reload" is a choice of record kinds; the
windows are the engine's (``Session.no_dump_windows``). A jump forward runs the primary
session instant by instant until the next one appears (``Session.run_until``); a jump
back replays to it. Either way it lands once that instant is complete, and the other
session of a comparison is brought to the same instant.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine_link import Record
from tui.runs import Runs

EPS_S = 1e-9


@dataclass(frozen=True, slots=True)
class Jump:
    name: str  # what the user jumps to, for messages
    kinds: tuple[str, ...]  # record kinds; () for no-dump windows


JUMPS: dict[str, Jump] = {
    "window": Jump("no-dump window", ()),
    "probe": Jump("crash probe", ("crash-probe",)),
    "reload": Jump("reload", ("unload-start",)),
    "update": Jump("kernel update", ("update-start",)),
    "nospace": Jump("NOSPACE", ("update-nospace",)),
}


@dataclass(frozen=True, slots=True)
class Landed:
    t_s: float
    record: Record | None  # the record landed on (None for a window)


def jump(runs: Runs, what: str, forward: bool, from_seq: int | None = None) -> Landed | None:
    """Move every session to the next (or previous) ``what``; None when there is none.

    ``from_seq`` (the record selected now, e.g. a probe) makes a record of the same
    instant after (before) it the next (previous) one: two probes at one instant are
    two stops.
    """
    spec = JUMPS[what]
    same = _same_instant(runs, spec, forward, from_seq)
    if same is not None:
        return same
    landed = _forward(runs, spec) if forward else _back(runs, spec)
    if landed is not None:
        _align(runs)
    return landed


def _same_instant(runs: Runs, spec: Jump, forward: bool, from_seq: int | None) -> Landed | None:
    primary = runs.sessions[0]
    records = primary.records
    if from_seq is None or not spec.kinds or from_seq >= len(records):
        return None
    now = records[from_seq].t_s
    if now != primary.now_s:
        return None
    order = range(from_seq + 1, len(records)) if forward else range(from_seq - 1, -1, -1)
    for i in order:
        if records[i].t_s != now:
            return None
        if records[i].kind in spec.kinds:
            return Landed(now, records[i])
    return None


def _forward(runs: Runs, spec: Jump) -> Landed | None:
    primary = runs.sessions[0]
    start_s = primary.now_s
    seen = len(primary.records)
    found: list[Record] = []

    was_open = [primary.readiness().p_no_dump > 0]

    def window_opened() -> bool:
        """A window opens: no dump now, after an instant with a dump for every CPU."""
        r = primary.readiness()
        opened = r.p_no_dump > 0 and not was_open[0] and r.t0_s > start_s + EPS_S
        was_open[0] = r.p_no_dump > 0
        return opened

    def record_made() -> bool:
        nonlocal seen
        records = primary.records
        for i in range(seen, len(records)):
            if records[i].kind in spec.kinds and records[i].t_s > start_s + EPS_S:
                found.append(records[i])
                return True
        seen = len(records)
        return False

    if not spec.kinds:
        return Landed(primary.readiness().t0_s, None) if primary.run_until(window_opened) else None
    return Landed(found[0].t_s, found[0]) if primary.run_until(record_made) else None


def _back(runs: Runs, spec: Jump) -> Landed | None:
    primary = runs.sessions[0]
    now = primary.now_s
    if not spec.kinds:
        starts = [w.t0_s for w in primary.no_dump_windows() if w.t0_s < now - EPS_S]
        if not starts:
            return None
        runs.restart(0)
        primary = runs.sessions[0]
        primary.advance_to(starts[-1])
        primary.finish_instant()
        return Landed(starts[-1], None)
    before = [r for r in primary.records if r.kind in spec.kinds and r.t_s < now - EPS_S]
    if not before:
        return None
    target = before[-1]
    runs.restart(0)
    primary = runs.sessions[0]
    primary.advance_to(target.t_s)
    primary.finish_instant()
    return Landed(target.t_s, primary.records[target.seq])


def _align(runs: Runs) -> None:
    """The other sessions to the primary's instant, that instant complete."""
    t_s = runs.sessions[0].now_s
    for i, session in enumerate(runs.sessions[1:], start=1):
        if session.now_s > t_s:
            runs.restart(i)
            session = runs.sessions[i]
        session.advance_to(t_s)
        session.finish_instant()
