"""The verdict at the end of a replay: per strategy, what the run means (``V`` recalls it).

The numbers are the engine's metrics with their Monte Carlo estimate (the scenario's
sample count) and the probes with the engine's causes; nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import engine_link
from tui.engine_link import Metrics, ProbeExplanation
from tui.widgets.compare_table import VERDICT_ROWS, numbers_table
from tui.widgets.probe_detail import detail_text


class VerdictScreen(ModalScreen[None]):
    """A summary per strategy; escape, q or V closes it."""

    BINDINGS = [Binding("escape,q,V,enter", "dismiss", "Close", key_display="esc")]
    DEFAULT_CSS = """
    VerdictScreen { align: center middle; }
    VerdictScreen > VerticalScroll {
        width: 95%; max-width: 150; height: auto; max-height: 95%; border: round $accent;
        background: $surface; padding: 0 1;
    }
    VerdictScreen Static { height: auto; }
    """

    def __init__(
        self,
        strategies: Sequence[str],
        metrics: Sequence[Metrics],
        probes: Sequence[Sequence[ProbeExplanation]],
        at_s: float,
    ) -> None:
        super().__init__()
        self.strategies = list(strategies)
        self.metrics = list(metrics)
        self.probes = [list(p) for p in probes]
        self.at_s = at_s

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"verdict at t = {self.at_s:.3f} s"
            scroll.border_subtitle = "esc to close, V to recall"
            yield Static(numbers_table(self.strategies, self.metrics, VERDICT_ROWS))
            for name, probes in zip(self.strategies, self.probes, strict=True):
                lost = [e for e in probes if e.lost]
                head = Text(f"\n{name}: ", style="bold")
                head.append(f"{len(lost)} of {len(probes)} probes lost")
                yield Static(head)
                for i, e in enumerate(probes):
                    if e.lost:
                        yield Static(detail_text(e, i, len(probes), self.at_s))
            terms = {"exposure", "P(captured)", "settle"}
            notes = Text("\n")
            for term, text in engine_link.definitions():
                if term in terms:
                    notes.append(f"{term}: ", style="bold")
                    notes.append(f"{text}.\n")
            yield Static(notes)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)
