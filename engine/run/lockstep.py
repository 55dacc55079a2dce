"""Several sessions on one simulated clock: compare mode, headless or in the TUI."""

from __future__ import annotations

from collections.abc import Sequence

from engine.run.session import Session
from engine.run.trace import Record


class Lockstep:
    """Sessions of different strategies on the same storm, always at the same instant."""

    def __init__(self, sessions: Sequence[Session]) -> None:
        if not sessions:
            raise ValueError("Lockstep needs at least one session")
        self.sessions = list(sessions)

    @property
    def now_s(self) -> float:
        return self.sessions[0].now_s

    def advance_to(self, t_s: float, *, budget_s: float | None = None) -> None:
        """Every session to ``t_s``; with a budget, all stop at the slowest one's instant."""
        if budget_s is None:
            for session in self.sessions:
                session.advance_to(t_s)
            return
        share = budget_s / len(self.sessions)
        for session in self.sessions:
            session.advance_to(t_s, budget_s=share)
        reached = min(s.now_s for s in self.sessions)
        for session in self.sessions:
            session.advance_to(reached)  # the others wait for the slowest: one clock

    def step(self) -> list[tuple[int, Record]]:
        """To the earliest next record of any session; the records made at that instant.

        Returns (session index, record) pairs; every session ends at that
        instant, with or without records of its own. Empty at the end of the run.
        """
        duration = self.sessions[0].duration_s
        while True:
            due = [s.next_event_s() for s in self.sessions]
            t = min(due)
            if t >= duration:
                for session in self.sessions:
                    session.run_to_end()
                return []
            pending: list[tuple[int, Record]] = []
            for i, session in enumerate(self.sessions):
                if due[i] == t:
                    before = len(session.records)
                    session.sim.env.step()
                    pending.extend((i, r) for r in session.records[before:])
            if pending:
                for session in self.sessions:
                    session.advance_to(t)
                return pending
