"""The live /cpus tree: the engine's core coverage, with node properties from the FDT hole.

A Line-API ``ScrollView``: the tree is a sorted list of line keys ``(first
thread, line in the core's block)``, ``(-1, 0)`` being the ``/cpus`` line.
``sync()`` does nothing while ``Session.core_coverage()`` hands out the same
dict, and then replaces only the lines of the cores whose coverage or node
properties changed. Strips are built when a row is
shown, from a per-line cache, so properties are decoded only when their core
is expanded and on screen.
"""

from __future__ import annotations

import bisect
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui import textual_internals as internals
from tui.cpus_lines import (
    HEADER,
    CoreEntry,
    Piece,
    child_pieces,
    core_changes,
    core_pieces,
    header_pieces,
    node_props,
    plain,
)
from tui.widgets.cpus_tree_keys import CPUS_TREE_BINDINGS, CPUS_TREE_CSS

Key = tuple[int, int]
HEADER_KEY: Key = (HEADER, 0)
PLAIN = Style()
MARKER_COLUMNS = range(4, 6)  # "▶ " after the "├── " guide: a click there toggles


class CpusTree(ScrollView, can_focus=True):
    """``/cpus`` as the capture kernel would read it from the hole right now."""

    BINDINGS = CPUS_TREE_BINDINGS
    COMPONENT_CLASSES = {"cpus-tree--cursor", "cpus-tree--guides"}
    DEFAULT_CSS = CPUS_TREE_CSS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._coverage: Any = None  # the session's core_coverage() dict last read
        self._hole_nodes: Any = None  # the hole's cpu_nodes() list last read
        self._node_props: dict[str, Any] = {}  # its node properties by node name
        self._entries: dict[int, CoreEntry] = {}
        self._order: list[int] = []  # first threads, sorted: the cores' order on screen
        self._lines: list[Key] = [HEADER_KEY]
        self._expanded: set[int] = set()
        self._children: dict[int, list[list[Piece]]] = {}  # decoded lines of expanded cores
        self._cache: dict[Key, tuple[int, bool, Strip]] = {}  # key -> (width, last core, strip)
        self._cursor: Key = HEADER_KEY
        self._drawn_thumb: tuple[int, int] | None = None
        self.expand_new_cores = False  # expand every core as it appears (expand-all)

    # ---- data in -------------------------------------------------------------------------
    def sync(self, session: Any) -> bool:
        """Bring the tree up to date with the session; False when nothing changed."""
        coverage = session.core_coverage()
        if coverage is self._coverage:
            return False
        self._coverage = coverage
        nodes = session.hole.cpu_nodes()
        if nodes is not self._hole_nodes:
            self._hole_nodes, self._node_props = nodes, node_props(nodes)
        changes, rebased = core_changes(self._entries, coverage, self._node_props)
        self._entries.update(rebased)  # equal properties, new dicts: the lines stay
        old_last = self._order[-1] if self._order else None
        first_changed = len(self._lines)
        dirty: list[tuple[int, int]] = []  # (first line, count) redrawn in place
        for first in sorted(changes):
            entry, old = changes[first], self._entries.get(first)
            self._children.pop(first, None)
            start, end = self._block(first)
            if entry is None:
                self._replace(start, end, [])
                del self._entries[first]
                del self._order[bisect.bisect_left(self._order, first)]
                self._expanded.discard(first)
                first_changed = min(first_changed, start)
                continue
            self._entries[first] = entry
            if old is None:
                bisect.insort(self._order, first)
                if self.expand_new_cores:
                    self._expanded.add(first)
            keys = self._block_keys(first)
            self._replace(start, end, keys)
            if end - start != len(keys):
                first_changed = min(first_changed, start)
            dirty.append((start, len(keys)))
        if not changes:
            return True
        new_last = self._order[-1] if self._order else None
        if old_last != new_last and old_last in self._entries:
            dirty.append(self._span(old_last))  # its guides turn from └ to ├
        self._cache.pop(HEADER_KEY, None)
        dirty.append((0, 1))
        self._after_change(first_changed, dirty)
        return True

    def reset(self) -> None:
        """Another session: compare its state afresh (the lines stay until they differ)."""
        self._coverage = None
        self._hole_nodes = None
        self._node_props = {}

    def _block(self, first: int) -> tuple[int, int]:
        """Line indexes [start, end) of a core's block (empty at its place when absent)."""
        start = bisect.bisect_left(self._lines, (first, 0))
        return start, bisect.bisect_left(self._lines, (first + 1, 0), start)

    def _span(self, first: int) -> tuple[int, int]:
        start, end = self._block(first)
        return start, end - start

    def _block_keys(self, first: int) -> list[Key]:
        if first not in self._expanded:
            return [(first, 0)]
        return [(first, i) for i in range(1 + self._entries[first].child_count)]

    def _replace(self, start: int, end: int, keys: list[Key]) -> None:
        for old in self._lines[start:end]:
            self._cache.pop(old, None)
        self._lines[start:end] = keys

    def _after_change(self, first_changed: int, dirty: list[tuple[int, int]]) -> None:
        """Virtual size, cursor, and a redraw of only the rows that changed on screen."""
        self._set_virtual_height(len(self._lines))
        top = self.scroll_offset.y
        bottom = top + max(self.size.height, 1)
        if first_changed < bottom:  # lines moved on screen
            self.refresh()
            return
        for start, count in dirty:
            if start < bottom and start + count > top:
                self.refresh_lines(start, count)

    def _set_virtual_height(self, lines: int) -> None:
        """A new line count without a screen layout: Textual lays out (and so repaints the
        whole screen) on every ``virtual_size`` change; only the scrollbar depends on it."""
        if self.virtual_size.height == lines:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = Size(0, lines)
            return
        thumb = self._thumb(lines)
        internals.set_virtual_size_quietly(self, Size(0, lines))
        if thumb != self._drawn_thumb or not self.show_vertical_scrollbar:
            self._drawn_thumb = thumb
            internals.update_scrollbars(self)  # scrollbar: length, and shown or not
        else:  # the thumb looks the same: tell the scrollbar without redrawing it
            internals.set_scrollbar_virtual_size_quietly(self, lines)

    def _thumb(self, lines: int) -> tuple[int, int]:
        """The scrollbar thumb's size and place in eighths of a cell (what it draws)."""
        height = max(self.scrollable_content_region.height, 1)
        return (
            8 * height * height // max(lines, 1),
            8 * height * self.scroll_offset.y // max(lines, 1),
        )

    # ---- expand / collapse ---------------------------------------------------------------
    def is_expanded(self, first_thread: int) -> bool:
        return first_thread in self._expanded

    def expand_core(self, first_thread: int) -> int:
        """Expand one core now; its line index (its children follow it)."""
        self._set_expanded(first_thread, True)
        return self._block(first_thread)[0]

    def collapse_core(self, first_thread: int) -> None:
        self._set_expanded(first_thread, False)

    def _set_expanded(self, first: int, expanded: bool) -> None:
        if first not in self._entries or (first in self._expanded) == expanded:
            return
        if expanded:
            self._expanded.add(first)
        else:
            self._expanded.discard(first)
            if self._cursor[0] == first:
                self._cursor = (first, 0)
        start, end = self._block(first)
        keys = self._block_keys(first)
        self._replace(start, end, keys)
        self._after_change(start, [])

    def expand_all_cores(self) -> None:
        """Expand every core node, now and as new ones appear."""
        self.expand_new_cores = True
        self._expanded = set(self._order)
        self._rebuild()

    def collapse_all_cores(self) -> None:
        self.expand_new_cores = False
        self._expanded.clear()
        if self._cursor != HEADER_KEY:
            self._cursor = (self._cursor[0], 0)
        self._rebuild()

    def _rebuild(self) -> None:
        self._lines = [HEADER_KEY]
        for first in self._order:
            self._lines.extend(self._block_keys(first))
        self._cache.clear()
        self._after_change(0, [])

    # ---- reading the tree (tests, clicks) ------------------------------------------------
    def entry(self, first_thread: int) -> CoreEntry:
        return self._entries[first_thread]

    @property
    def entries(self) -> list[CoreEntry]:
        return [self._entries[f] for f in self._order]

    @property
    def first_threads(self) -> list[int]:
        """The cores on screen by first thread, in the order of ``entries``."""
        return list(self._order)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def line_key(self, row: int) -> Key:
        return self._lines[row]

    def line_pieces(self, key: Key) -> list[Piece]:
        """A line's text without guides or marker."""
        first, sub = key
        if key == HEADER_KEY:
            return header_pieces(self._entries, self._order)
        entry = self._entries[first]
        if sub == 0:
            return core_pieces(entry)
        children = self._children.get(first)
        if children is None:
            children = self._children[first] = child_pieces(entry)
        return children[sub - 1]

    def lines_of(self, first_thread: int) -> list[str]:
        """The plain text of a core's lines: its own, then its children when expanded."""
        start, end = self._block(first_thread)
        return [plain(self.line_pieces(k)) for k in self._lines[start:end]]

    # ---- cursor --------------------------------------------------------------------------
    @property
    def cursor_line(self) -> int:
        row = bisect.bisect_left(self._lines, self._cursor)
        return min(row, len(self._lines) - 1)

    @property
    def cursor_key(self) -> Key:
        return self._lines[self.cursor_line]

    def move_cursor(self, row: int) -> None:
        """Put the cursor on line ``row`` (negative: from the end) and scroll it into view."""
        if row < 0:
            row += len(self._lines)
        row = min(max(row, 0), len(self._lines) - 1)
        old = self.cursor_line
        self._cursor = self._lines[row]
        self.refresh_lines(old)
        self.refresh_lines(row)
        top, height = self.scroll_offset.y, max(self.scrollable_content_region.height, 1)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(max(self.cursor_line - 1, 0))

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_line + 1)

    def action_cursor_page(self, direction: int) -> None:
        page = max(self.scrollable_content_region.height - 1, 1)
        self.move_cursor(max(self.cursor_line + direction * page, 0))

    def action_cursor_to(self, row: int) -> None:
        self.move_cursor(row)

    def action_toggle_core(self) -> None:
        first, sub = self.cursor_key
        if first == HEADER:
            if len(self._expanded) < len(self._order):
                self.expand_all_cores()
            else:
                self.collapse_all_cores()
        elif sub:
            self.collapse_core(first)
        else:
            self._set_expanded(first, first not in self._expanded)

    def action_expand(self) -> None:
        first, sub = self.cursor_key
        if first == HEADER or sub:
            return
        if first in self._expanded:
            self.move_cursor(self.cursor_line + 1)
        else:
            self.expand_core(first)

    def action_collapse(self) -> None:
        first, sub = self.cursor_key
        if first == HEADER:
            return
        if sub:
            self.move_cursor(self._block(first)[0])
        else:
            self.collapse_core(first)

    def action_expand_all(self) -> None:
        self.expand_all_cores()

    def action_collapse_all(self) -> None:
        self.collapse_all_cores()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + self.scroll_offset.y
        if row >= len(self._lines):
            return
        was = self.cursor_line
        self.move_cursor(row)
        first, sub = self._lines[row]
        if first != HEADER and sub == 0 and (was == row or offset.x in MARKER_COLUMNS):
            self.action_toggle_core()

    # ---- rendering -----------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self.refresh()

    def notify_style_update(self) -> None:
        self._cache.clear()  # guides and cursor change colour with focus and theme
        super().notify_style_update()

    def line_strip(self, key: Key, width: int) -> Strip:
        """One line, guides included, cut to ``width``; from the cache when unchanged."""
        first, sub = key
        last = bool(self._order) and first == self._order[-1]
        cached = self._cache.get(key)
        if cached is not None and cached[0] == width and cached[1] == last:
            return cached[2]
        guides = self.get_component_rich_style("cpus-tree--guides", partial=True)
        if key == HEADER_KEY:
            prefix = [Segment("▼ ", guides)]
        elif sub == 0:
            marker = "▼ " if first in self._expanded else "▶ "
            prefix = [Segment("└── " if last else "├── ", guides), Segment(marker, guides)]
        else:
            final = sub == self._entries[first].child_count
            prefix = [Segment(("    " if last else "│   ") + ("└── " if final else "├── "), guides)]
        segments = prefix + [Segment(text, style) for text, style in self.line_pieces(key)]
        strip = Strip(segments)
        if strip.cell_length > width:
            strip = Strip.join([strip.crop(0, max(width - 1, 0)), Strip([Segment("…", PLAIN)], 1)])
        strip = strip.adjust_cell_length(width, PLAIN)
        self._cache[key] = (width, last, strip)
        return strip

    def render_line(self, y: int) -> Strip:
        row = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if width <= 0 or row >= len(self._lines):
            return Strip.blank(max(width, 0), PLAIN)
        strip = self.line_strip(self._lines[row], width)
        if row == self.cursor_line:
            cursor = self.get_component_rich_style("cpus-tree--cursor")
            strip = Strip(list(Segment.apply_style(strip, post_style=cursor)), strip.cell_length)
        return strip
