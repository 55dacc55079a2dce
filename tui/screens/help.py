"""The help screen, generated from the command table."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import engine_link, legend
from tui.commands import help_rows
from tui.widgets.cpus_tree import CpusTree

INTRO = (
    "A CPU comes online; with udev reloads the kdump image disappears for up to a second "
    "while kdumpctl unloads and loads it again, and a panic in that second is lost. With "
    "the FDT hole the image stays and the new CPU's node appears in place."
)


class HelpScreen(ModalScreen[None]):
    """Every command with its key; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", key_display="esc"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%; border: round $accent;
        background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "kdump-storm help"
            scroll.border_subtitle = "esc to close"
            for section in sections():
                yield Static(section)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)


def sections() -> list[RenderableType]:
    """What the help screen shows, in order: intro, keys, tree keys, legend, definitions."""
    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("command", style="bold", no_wrap=True)
    table.add_column("what it does", ratio=1)
    for key, title, text in help_rows():
        table.add_row(key, title, text)
    tree = Table(box=None, expand=True, show_header=True, header_style="bold")
    tree.add_column("key", style="bold", no_wrap=True)
    tree.add_column("in the /cpus tree (click a core to select it, again to expand it)")
    for key, what in tree_key_rows():
        tree.add_row(key, what)
    glyphs = Table(box=None, expand=True, show_header=True, header_style="bold")
    glyphs.add_column("lane", style="bold", no_wrap=True)
    glyphs.add_column("legend: what each glyph of the race timeline means", ratio=1)
    for label, entries in legend.entries():
        line = Text()
        for i, g in enumerate(entries):
            if i:
                line.append("\n")
            line.append(g.char, style=g.style)
            line.append(f" {g.meaning}")
        glyphs.add_row(label, line)
    words = Text()
    words.append("What the figures mean\n", style="bold")
    for term, text in engine_link.definitions():
        words.append(f"{term}: ", style="bold")
        words.append(f"{text}.\n")
    return [Text(INTRO + "\n"), table, Text(""), tree, Text(""), glyphs, Text(""), words]


def tree_key_rows() -> list[tuple[str, str]]:
    """(keys, description) of the /cpus tree's own bindings."""
    return [
        (b.key_display or b.key.replace(",", " / "), b.description)
        for b in CpusTree.BINDINGS
        if isinstance(b, Binding)
    ]
