"""The /cpus tree's keys and look: its bindings (cursor, expand, collapse) and its CSS."""

from __future__ import annotations

from textual.binding import Binding, BindingType

CPUS_TREE_BINDINGS: list[BindingType] = [
    Binding("up", "cursor_up", "Cursor up", show=False),
    Binding("down", "cursor_down", "Cursor down", show=False),
    Binding("pageup", "cursor_page(-1)", "Cursor a page up", show=False),
    Binding("pagedown", "cursor_page(1)", "Cursor a page down", show=False),
    Binding("home", "cursor_to(0)", "Cursor to /cpus", show=False),
    Binding("end", "cursor_to(-1)", "Cursor to the last line", show=False),
    Binding(
        "enter,space",
        "toggle_core",
        "Expand or collapse the core (on /cpus: every core)",
        show=False,
        key_display="enter / space",
    ),
    Binding("right", "expand", "Expand the core, or go to its first line", show=False),
    Binding("left", "collapse", "Collapse the core, or go up to it", show=False),
    Binding("a", "expand_all", "Expand every core, and each new one", show=False),
    Binding("A", "collapse_all", "Collapse every core", show=False, key_display="A"),
]
CPUS_TREE_CSS = """
CpusTree {
    width: 1fr; height: 1fr; overflow-x: hidden; overflow-y: auto;
    background: $surface; color: $foreground;
    & > .cpus-tree--guides { color: $surface-lighten-2; }
    & > .cpus-tree--cursor {
        text-style: $block-cursor-blurred-text-style;
        background: $block-cursor-blurred-background;
    }
    &:focus > .cpus-tree--guides { color: $surface-lighten-3; }
    &:focus > .cpus-tree--cursor {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
}
"""
