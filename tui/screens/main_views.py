"""The storm screen's views and jumps: legend, memory view, verdict, fit, jumps, probes.

A mixin of ``MainScreen`` (one idea per file): each action here is one entry of
``tui.commands.COMMANDS``; the screen provides ``runs``, ``panes`` and ``_sync``.
"""

from __future__ import annotations

from textual.screen import Screen

from tui import engine_link, jumps
from tui.runs import Runs
from tui.screens.verdict import VerdictScreen
from tui.widgets.legend_strip import LegendStrip
from tui.widgets.session_pane import SessionPane


class ViewActions(Screen[None]):
    """Legend, memory view, verdict, fit, jumps and the compared strategy."""

    runs: Runs
    selected_probe: int | None = None
    verdict_shown: bool = False

    @property
    def panes(self) -> list[SessionPane]:
        raise NotImplementedError

    def _sync(
        self,
        *,
        stats: bool = False,
        metrics: bool = False,
        chart: bool = False,
        follow: bool = False,
    ) -> None:
        raise NotImplementedError

    # ---- views ---------------------------------------------------------------------------
    def action_toggle_legend(self) -> None:
        strip = self.query_one(LegendStrip)
        strip.set_class(not strip.has_class("-shown"), "-shown")

    def action_toggle_memory(self) -> None:
        for pane in self.panes:
            pane.toggle_memory()
        self._sync(stats=False)

    def action_fit_run(self) -> None:
        for pane in self.panes:
            pane.timeline.fit_run()

    def action_verdict(self) -> None:
        sessions = self.runs.sessions
        self.verdict_shown = True
        self.app.push_screen(
            VerdictScreen(
                self.runs.strategies,
                [engine_link.metrics_of(s, None) for s in sessions],
                [s.probe_explanations() for s in sessions],
                self.runs.now_s,
            )
        )

    def maybe_verdict(self) -> None:
        """At the end of a replay (played, stepped or jumped to), the verdict, once."""
        if self.runs.finished and not self.verdict_shown:
            self.action_verdict()

    # ---- jumps ---------------------------------------------------------------------------
    def _jump(self, what: str, forward: bool) -> None:
        landed = jumps.jump(
            self.runs, what, forward, self.selected_probe if what == "probe" else None
        )
        if landed is None:
            where = "after" if forward else "before"
            self.notify(
                f"no {jumps.JUMPS[what].name} {where} t = {self.runs.now_s:.3f} s", timeout=3
            )
        elif what == "probe" and landed.record is not None:
            self.selected_probe = landed.record.seq
        self._sync(stats=True, follow=True)
        for pane in self.panes:
            pane.timeline.show_instant(self.runs.now_s)
        if forward:
            self.maybe_verdict()

    def action_next_window(self) -> None:
        self._jump("window", True)

    def action_prev_window(self) -> None:
        self._jump("window", False)

    def action_next_probe(self) -> None:
        self._jump("probe", True)

    def action_prev_probe(self) -> None:
        self._jump("probe", False)

    def action_next_reload(self) -> None:
        self._jump("reload", True)

    def action_prev_reload(self) -> None:
        self._jump("reload", False)

    def action_next_update(self) -> None:
        self._jump("update", True)

    def action_prev_update(self) -> None:
        self._jump("update", False)

    def action_next_nospace(self) -> None:
        self._jump("nospace", True)

    def action_prev_nospace(self) -> None:
        self._jump("nospace", False)

    # ---- strategies ----------------------------------------------------------------------
    def action_next_second_strategy(self) -> None:
        if len(self.runs.sessions) < 2:
            self.notify("not comparing: v compares two strategies", timeout=3)
            return
        names = engine_link.strategy_names()
        current = self.runs.strategies[1]
        nxt = names[(names.index(current) + 1) % len(names)]
        if nxt == self.runs.strategies[0]:
            nxt = names[(names.index(nxt) + 1) % len(names)]
        self.runs.restart(1, nxt)
        self.runs.restart()
        self.verdict_shown = False
        self._sync(stats=True)
        self.notify(f"compared strategy {nxt}: restarted on the same storm", timeout=3)
