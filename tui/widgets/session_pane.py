"""One strategy's column: crash region, /cpus tree, stats and race timeline of one Session."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from tui import engine_link
from tui.widgets.cpus_tree import CpusTree
from tui.widgets.memory_bar import MemoryBar
from tui.widgets.probe_detail import ProbeDetail
from tui.widgets.race_timeline import RaceTimeline
from tui.widgets.region_bar import RegionBar, RegionView
from tui.widgets.stats_panel import StatsPanel

TREE_PROVENANCE = {  # Session.fdt_provenance() -> the tree's title, short
    "last-load": "the last load's FDT (unloaded)",
    "being-written": "the FDT being written",
}


class SessionPane(Vertical):
    """Shows one ``Session``; ``sync()`` pulls its state, each widget redraws only on change."""

    DEFAULT_CSS = """
    SessionPane { width: 1fr; height: 1fr; }
    SessionPane > #middle { height: 1fr; }
    """

    def __init__(self, session: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self._fit: tuple[int | None, int | None] = (None, None)  # (hole generation, nodes)
        self.comparing = False
        # kept, not queried: sync() reads them every frame and a query walks the DOM
        self.region_bar = RegionBar(classes="panel")
        self.memory_bar = MemoryBar(classes="panel")
        self.cpus_tree = CpusTree(classes="panel")
        self.stats = StatsPanel(classes="panel")
        self.timeline = RaceTimeline(classes="panel")
        self.probe_detail = ProbeDetail()

    def compose(self) -> ComposeResult:
        yield self.region_bar
        yield self.memory_bar
        with Horizontal(id="middle"):
            yield self.cpus_tree
            yield self.stats
        yield self.timeline
        yield self.probe_detail

    def toggle_memory(self) -> None:
        """The memory view in place of the crash region, or back."""
        shown = not self.memory_bar.has_class("-shown")
        self.memory_bar.set_class(shown, "-shown")
        self.region_bar.display = not shown

    def on_mount(self) -> None:
        self._titles()
        self.sync(metrics=True, chart=True)

    def _titles(self) -> None:
        region = self.session.region
        self.border_title = self.session.strategy
        self.region_bar.border_title = (
            f"crash region · {self.session.strategy}"
            if region.hole is not None
            else f"crash region · {self.session.strategy} (no FDT hole: FDT is a plain segment)"
        )
        self._tree_title()
        self.stats.border_title = "stats"
        self.memory_bar.border_title = f"memory · {self.session.strategy} (m: crash region)"
        self.timeline.border_title = "race timeline"

    def _tree_title(self) -> None:
        """The tree shows the FDT in the hole; say so when it is not the live image's."""
        provenance = self.session.fdt_provenance()
        title = "/cpus in the kdump FDT"
        if provenance != "live":
            title = f"/cpus · NOT LIVE: {TREE_PROVENANCE.get(provenance, provenance)}"
        if self.cpus_tree.border_title != title:
            self.cpus_tree.border_title = title

    def replace_session(self, session: Any) -> None:
        """A restarted (or re-strategied) run: clear what belonged to the old one."""
        self.session = session
        self._fit = (None, None)
        self.timeline.reset()
        self.cpus_tree.reset()
        self._titles()

    def nodes_fit(self) -> int | None:
        """How many more core nodes fit in the hole: the engine's figure, asked once per write."""
        generation = self.session.hole.generation
        if self._fit[0] != generation:
            self._fit = (generation, self.session.cpu_nodes_that_fit)
        return self._fit[1]

    def sync(
        self,
        *,
        metrics: bool = False,
        chart: bool = False,
        follow: bool = False,
        y_max: float | None = None,
        probe: int | None = -1,
        tree: bool = True,
        lanes: bool = True,
    ) -> None:
        """Pull the session's state into the widgets; ``metrics`` and ``chart`` redraw those,
        ``tree`` and ``lanes`` the /cpus tree and the timeline (its cursor included).

        Every read is incremental: the tree compares generations, the timeline reads
        the records and readiness segments it has not seen yet.
        """
        s = self.session
        if self.memory_bar.has_class("-shown"):
            self.memory_bar.show(s.memory_coverage())
        else:
            self.region_bar.show(RegionView.of(s, self.nodes_fit()))
        if tree:
            self._tree_title()
            self.cpus_tree.sync(s)
        timeline = self.timeline
        if lanes:
            start = timeline.readiness_resume
            timeline.feed(
                s.records,
                s.readiness_since(start),
                s.now_s,
                s.duration_s,
                start,
                exposure_between=s.exposure_between,
            )
        if follow:
            timeline.follow_cursor()
        if metrics:
            self.stats.show_metrics(engine_link.metrics_of(s))
        if chart:
            self.stats.show_chart(s.exposure_series(), s.duration_s, y_max=y_max)
        if probe != -1:  # -1: leave the detail line as it is
            self.probe_detail.show_probe(s.probe_explanations(), probe, s.now_s)
