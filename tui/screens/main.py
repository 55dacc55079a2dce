"""The storm screen: header, one pane per strategy (two in compare mode), footer; playback."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer

from tui import commands, engine_link, export
from tui import textual_internals as internals
from tui.engine_link import Outcome, Record
from tui.frame_cycle import frame_turn
from tui.messages import SeekRequested
from tui.playback import Playback
from tui.runs import Runs
from tui.screens.help import HelpScreen
from tui.screens.main_views import ViewActions
from tui.screens.prompt import PromptScreen
from tui.widgets.compare_table import CompareTable
from tui.widgets.header import SimHeader
from tui.widgets.legend_strip import LegendStrip
from tui.widgets.session_pane import SessionPane

COMPACT_BELOW_ROWS = 32  # fewer rows: region legend and exposure chart fold away


class MainScreen(ViewActions, internals.RenderedScreen):
    """Drives the sessions and pushes their state into the panes."""

    BINDINGS = commands.bindings()

    def __init__(
        self,
        runs: Runs,
        playback: Playback,
        *,
        compare_with: str | None = None,
        start_at_s: float = 0.0,
        export_dir: Path | None = None,
        live: bool = True,
    ) -> None:
        super().__init__()
        self.runs = runs
        self.playback = playback
        self.compare_with = compare_with
        self.start_at_s = start_at_s
        self.export_dir = export_dir or Path.cwd()
        self.live = live
        self.frames = 0
        self.last_step: list[tuple[int, Record]] = []  # (session index, record) pairs
        self.last_crash: list[Outcome | None] = []
        self.last_exports: list[Path] = []
        self.selected_probe: int | None = None  # the trace seq of the probe whose detail shows
        self.verdict_shown = False
        self._budget_end_s: float | None = None  # the playing frame not yet measured

    def compose(self) -> ComposeResult:
        # kept, not queried: every frame reads them, and a query walks the DOM
        self.header = SimHeader()
        self.pane_box = Horizontal(id="panes")
        self.compare_table = CompareTable(id="compare", classes="panel")
        yield self.header
        with self.pane_box:
            for i, session in enumerate(self.runs.sessions):
                yield SessionPane(session, classes="pane second" if i else "pane")
        yield LegendStrip()
        yield self.compare_table
        yield Footer()

    def on_mount(self) -> None:
        if self.start_at_s > 0:
            self.seek(self.start_at_s)
        self._update_header()
        if self.live:
            self.set_interval(self.playback.frame_dt_s, self.advance_frames)

    def on_resize(self, event: events.Resize) -> None:
        self._apply_compact()

    def _apply_compact(self) -> None:
        compact = self.size.height < COMPACT_BELOW_ROWS
        for widget in self.query("RegionBar, StatsPanel, RaceTimeline, CompareTable"):
            if widget.has_class("-compact") != compact:
                widget.set_class(compact, "-compact")
                widget.refresh(layout=True)

    # ---- state -----------------------------------------------------------------------------
    @property
    def panes(self) -> list[SessionPane]:
        return [c for c in self.pane_box.children if isinstance(c, SessionPane)]

    def _update_header(self) -> None:
        self.header.show(self.runs, self.playback)

    def _sync(
        self,
        *,
        stats: bool = False,
        metrics: bool = False,
        chart: bool = False,
        follow: bool = False,
        tree: bool = True,
        lanes: bool = True,
        region: bool = True,
        tree_pane: int | None = None,
    ) -> None:
        """Panes and header from the sessions; ``stats`` redraws metrics and chart too.

        ``tree``, ``lanes`` and ``region`` False (playback's in-between frames) leave the
        /cpus tree, the timeline's lanes and the crash region panel as they are. In
        compare mode the numbers go in one table, and both charts share a y-scale.
        ``tree_pane``: the /cpus tree of that pane only (``tui.frame_cycle``).
        """
        comparing = len(self.runs.sessions) > 1
        y_max = None
        if comparing and (stats or chart):
            y_max = max(s.exposure_series()[-1][1] for s in self.runs.sessions)
        for index, (pane, session) in enumerate(zip(self.panes, self.runs.sessions, strict=False)):
            mine = tree_pane is None or tree_pane == index
            if pane.session is not session:
                pane.replace_session(session)
            pane.comparing = comparing
            pane.sync(
                metrics=(stats or metrics) and not comparing,
                chart=stats or chart,
                follow=follow,
                y_max=y_max,
                probe=self.selected_probe if (stats or metrics) else -1,
                tree=tree and mine or stats,
                lanes=lanes or stats,
                region=region or stats,
            )
        table = self.compare_table
        table.display = comparing
        self.pane_box.set_class(comparing, "-comparing")
        if comparing and (stats or metrics):
            table.show(
                self.runs.strategies,
                [engine_link.metrics_of(s) for s in self.runs.sessions],
            )
        self._update_header()

    def compare_table_text(self) -> str:
        """The compare table as plain text (what it shows)."""
        import io

        from rich.console import Console

        console = Console(width=200, record=True, file=io.StringIO())
        console.print(self.compare_table.table)
        return console.export_text()

    def advance_frames(self, count: int = 1) -> None:
        """Play ``count`` frames (the timer calls this with 1; tests call it directly).

        Live (the playback has a clock) the engine gets a wall-clock budget per frame
        and time shown is the time the engine reached, never ahead of it.
        """
        clock = self.playback.clock
        for _ in range(count):
            if not self.playback.playing:
                return
            self.screen_rendered()  # a frame not yet rendered: it took at least until now
            before = self.runs.now_s
            target = min(before + self.playback.frame_step_s(), self.runs.duration_s)
            budget_s = self.playback.budget_s
            started_s = clock() if clock is not None else 0.0
            self.runs.advance_to(target, budget_s=budget_s)
            self.playback.reached(target - before, self.runs.now_s - before)
            if clock is not None and budget_s is not None:
                # measured at the end of its render (screen_rendered): what the frame
                # took beyond the engine's budget, drawing and the engine's overshoot
                self._budget_end_s = started_s + budget_s
            self.frames += 1
            if self.runs.finished:
                self.playback.playing = False
                self.call_later(self.maybe_verdict)
            turn = frame_turn(self.frames, len(self.panes))
            self._sync(
                stats=self.runs.finished,
                metrics=turn.metrics,
                chart=turn.chart,
                tree=turn.tree,
                lanes=turn.lanes,
                region=turn.region,
                follow=True,
                tree_pane=turn.tree_pane,
            )

    def screen_rendered(self) -> None:
        """The end of a screen update: the playing frame that asked for it is measured here
        (the widgets' sync, Textual's messages, layout and render, and the engine's
        overshoot past its budget)."""
        budget_end_s, clock = self._budget_end_s, self.playback.clock
        if budget_end_s is not None and clock is not None:
            self._budget_end_s = None
            self.playback.drawn(max(clock() - budget_end_s, 0.0))

    def seek(self, t_s: float) -> None:
        """Move every session to ``t_s`` (back = replay from 0)."""
        self.runs.advance_to(t_s)
        self._sync(stats=True)

    def on_seek_requested(self, message: SeekRequested) -> None:
        self.seek(message.t_s)

    # ---- actions (one per entry of tui.commands.COMMANDS) ----------------------------------
    def action_toggle_play(self) -> None:
        if self.runs.finished and not self.playback.playing:
            self.action_restart()
        if not self.playback.toggle():
            self._sync(stats=True)  # paused: every panel at the header's instant
        self._update_header()

    def action_step(self) -> None:
        self.last_step = self.runs.step()
        self._sync(stats=True, follow=True)
        self.maybe_verdict()

    def action_faster(self) -> None:
        self.playback.faster()
        self._update_header()

    def action_slower(self) -> None:
        self.playback.slower()
        self._update_header()

    def action_restart(self) -> None:
        self.verdict_shown = False
        self.runs.restart()
        self._sync(stats=True)
        for pane in self.panes:
            pane.timeline.scroll_to_col(0)

    def action_next_strategy(self) -> None:
        names = engine_link.strategy_names()
        current = self.runs.strategies[0]
        nxt = names[(names.index(current) + 1) % len(names)] if current in names else names[0]
        self.runs.restart(0, nxt)
        self.runs.restart()  # the other side of a comparison restarts too: same clock
        self.verdict_shown = False
        self._sync(stats=True)
        self.notify(f"strategy {nxt}: restarted on the same storm", timeout=3)

    async def action_toggle_compare(self) -> None:
        if len(self.runs.sessions) > 1:
            self.runs.drop_second()
            pane = self.panes[1]
            internals.drop_line_caches(pane)  # Textual would keep them (1024 widgets' worth)
            await pane.remove()
        else:
            other = self.compare_with or default_partner(self.runs.strategies[0])
            session = self.runs.add(other)
            await self.pane_box.mount(SessionPane(session, classes="pane second"))
            self._apply_compact()
        self._sync(stats=True)

    def action_crash_newest(self) -> None:
        self.crash("newest")

    def action_crash_on(self) -> None:
        def answer(text: str | None) -> None:
            if text is None:
                return
            try:
                self.crash("newest" if text == "newest" else int(text, 0))
            except ValueError:
                self.notify(f"not a CPU number: {text!r}", severity="error")

        self.app.push_screen(
            PromptScreen("Crash now on CPU (thread number, or newest):", "newest"), answer
        )

    def crash(self, cpu: int | str) -> list[Outcome | None]:
        """A panic now on ``cpu`` in every session; the outcomes go on the timelines.

        A CPU the engine refuses (not a possible thread, offline) records nothing.
        """
        for session in self.runs.sessions:
            problem = session.crash_target(cpu).problem
            if problem is not None and cpu != "newest":
                self.last_crash = []
                self.notify(f"no crash injected: {problem}", severity="error", timeout=6)
                return self.last_crash
        self.last_crash = [s.crash(cpu) for s in self.runs.sessions]
        self._sync(stats=True)
        for session, outcome in zip(self.runs.sessions, self.last_crash, strict=True):
            if outcome is None:
                self.notify(f"{session.strategy}: no online CPU to crash", severity="warning")
                continue
            why = f" ({outcome.cause})" if outcome.cause else ""
            self.notify(
                f"{session.strategy}: panic on CPU {outcome.cpu} at "
                f"{outcome.t_s:.3f} s -> {outcome.result}{why}",
                severity="information" if outcome.result == "captured" else "error",
            )
        return self.last_crash

    def action_export_fdt(self) -> None:
        self._export("fdt", ".dtb", lambda s: [s.hole.packed()])
        for session, path in zip(self.runs.sessions, self.last_exports, strict=False):
            provenance = session.fdt_provenance()
            if provenance != "live":
                self.notify(f"{path.name}: {engine_link.provenance_text(provenance)}", timeout=6)

    def action_export_trace(self) -> None:
        from engine.run.exports import session_trace_jsonl

        # the CLI's --trace format, metadata line first (issue 12)
        self._export("trace", ".jsonl", lambda s: [session_trace_jsonl(s)])

    def action_export_perfetto(self) -> None:
        from engine.run.exports import meta_of
        from engine.run.perfetto import perfetto_json

        self._export("perfetto", ".json", lambda s: [perfetto_json(meta_of(s), [s])])

    def _export(self, what: str, suffix: str, chunks) -> None:
        from engine.errors import InputError

        self.last_exports = []
        for s in self.runs.sessions:
            provenance = s.fdt_provenance()
            label = what if what != "fdt" or provenance == "live" else f"{what}-{provenance}"
            stem = export.stem_for(s.strategy, s.now_s, label)
            try:
                path = engine_link.write_export(self.export_dir, stem, suffix, chunks(s))
            except (ValueError, InputError) as err:  # e.g. no FDT loaded right now
                self.notify(f"{s.strategy}: nothing written: {err}", severity="error")
                continue
            self.last_exports.append(path)
            self.notify(f"wrote {path}", timeout=4)

    def action_open_scenario(self) -> None:
        def answer(text: str | None) -> None:
            if text:
                self.open_scenario(text)

        self.app.push_screen(PromptScreen("Open scenario file:", str(self.runs.path or "")), answer)

    def open_scenario(self, path: str) -> None:
        if Path(path).suffix.lower() in (".csv", ".parquet"):  # a sweep's rows (issue 13)
            self.open_sweep(path)
            return
        try:
            scenario = engine_link.load_scenario(path)
        except (engine_link.InputError, OSError) as err:
            self.notify(str(err), severity="error", timeout=8)
            return
        # in place: the app (and anything else holding these runs) sees the new scenario
        self.runs.open(scenario, path, self.runs.strategies)
        self._sync(stats=True)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_zoom_in(self) -> None:
        for pane in self.panes:
            pane.timeline.zoom_by(-1)

    def action_zoom_out(self) -> None:
        for pane in self.panes:
            pane.timeline.zoom_by(+1)

    def action_scroll_back(self) -> None:
        for pane in self.panes:
            pane.timeline.scroll_by_screens(-0.5)

    def action_scroll_forward(self) -> None:
        for pane in self.panes:
            pane.timeline.scroll_by_screens(0.5)

    def open_sweep(self, path: str) -> None:
        from tui.screens.sweep import SweepScreen

        try:
            self.app.push_screen(SweepScreen.from_file(path))
        except (engine_link.InputError, OSError) as err:
            self.notify(str(err), severity="error", timeout=8)

    def action_quit(self) -> None:
        self.app.exit()


def default_partner(strategy: str) -> str:
    """What to compare against: the RFC's hole against udev reloads, and vice versa."""
    return "udev-reload" if strategy == "fdt-hole" else "fdt-hole"
