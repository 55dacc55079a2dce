"""One or two Sessions on the same storm, in lock step (``engine.run.lockstep``) on one clock."""

from __future__ import annotations

from pathlib import Path

from tui import engine_link
from tui.engine_link import Record, Scenario, Session


class Runs:
    """The sessions on screen; ``sessions[0]`` is the primary strategy."""

    def __init__(
        self,
        scenario: Scenario,
        path: str | Path | None,
        strategies: list[str],
        seed: int | None = None,
    ) -> None:
        self.seed = seed
        self.open(scenario, path, strategies)

    def open(self, scenario: Scenario, path: str | Path | None, strategies: list[str]) -> None:
        """Another scenario, fresh sessions at t = 0, in place: every holder sees it."""
        self.scenario = scenario
        self.path = path
        self.sessions = [engine_link.new_session(scenario, s, self.seed) for s in strategies]

    @property
    def strategies(self) -> list[str]:
        return [s.strategy for s in self.sessions]

    @property
    def now_s(self) -> float:
        return self.sessions[0].now_s

    @property
    def duration_s(self) -> float:
        return self.sessions[0].duration_s

    @property
    def finished(self) -> bool:
        return self.now_s >= self.duration_s

    def restart(self, index: int | None = None, strategy: str | None = None) -> None:
        """Fresh sessions at t = 0 (one of them, with another strategy if given)."""
        for i, old in enumerate(self.sessions):
            if index is None or i == index:
                name = strategy if strategy is not None and i == index else old.strategy
                self.sessions[i] = engine_link.new_session(self.scenario, name, self.seed)

    def add(self, strategy: str) -> Session:
        """A second session, brought to the same simulated time."""
        session = engine_link.new_session(self.scenario, strategy, self.seed)
        session.advance_to(self.now_s)
        self.sessions.append(session)
        return session

    def drop_second(self) -> None:
        del self.sessions[1:]

    def advance_to(self, t_s: float, *, budget_s: float | None = None) -> bool:
        """Every session to ``t_s``; going back restarts them. True when anything restarted.

        With ``budget_s`` (wall seconds) the engine may stop short of ``t_s``: ``now_s``
        is then where it got to, the same instant for every session.
        """
        t_s = min(max(t_s, 0.0), self.duration_s)
        restarted = t_s < self.now_s
        if restarted:
            self.restart()
        if len(self.sessions) == 1:
            self.sessions[0].advance_to(t_s, budget_s=budget_s)
        else:
            engine_link.lockstep(self.sessions).advance_to(t_s, budget_s=budget_s)
        return restarted

    def step(self) -> list[tuple[int, Record]]:
        """The next record(s) as (session index, record) pairs; [] at the end.

        One session: its next record, one per call. Compare mode: the engine's lock
        step, every record of every session at the earliest next instant.
        """
        if len(self.sessions) == 1:
            record = self.sessions[0].step()
            return [] if record is None else [(0, record)]
        return engine_link.lockstep(self.sessions).step()
