"""Every private Textual API the TUI uses, in one place, reviewed against Textual 8.2.8.

The widgets draw line by line for speed and sometimes need what Textual keeps
private: a reactive set without its watchers or a layout (``set_reactive``),
the scrollbar update that follows a virtual size (``_scroll_update``), the
render cache, dirty regions and line cache of ``Widget`` (``_render_cache``,
``_dirty_regions``, ``_styles_cache``), the markup flag a ``Static`` renders with
(``_render_markup``), the end of each screen update (``_compositor_refresh``: playback
measures a frame to it), and, for tests and the benchmark, the compositor's strips
and one screen update without the pilot's idle sleep.

REVIEWED_TEXTUAL_VERSION is the version these were read against (textual/widget.py,
textual/scroll_view.py, textual/screen.py, textual/pilot.py of 8.2.8). When the
pin in pyproject.toml changes, tests/test_textual_internals.py fails until this
module has been read against the new version and the constant moved with it.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

REVIEWED_TEXTUAL_VERSION = "8.2.8"

# name -> (class it lives on, what we use it for); the version test checks each exists
USED: dict[str, tuple[str, str]] = {
    "set_reactive": ("textual.dom.DOMNode", "a virtual size without a screen layout"),
    "_scroll_update": ("textual.widget.Widget", "the scrollbars after a virtual size"),
    "_render_cache": ("textual.widget.Widget", "the whole render, for selected text"),
    "_dirty_regions": ("textual.widget.Widget", "forget a region we redraw ourselves"),
    "_render_markup": ("textual.widget.Widget", "render a line as Widget.render would"),
    "_styles_cache": ("textual.widget.Widget", "empty a removed widget's line cache"),
    "_compositor": ("textual.screen.Screen", "the screen's strips (tests)"),
    "_wait_for_screen": ("textual.pilot.Pilot", "one frame without the idle sleep (bench)"),
    "_on_timer_update": ("textual.screen.Screen", "one frame without the idle sleep (bench)"),
    "_compositor_refresh": ("textual.screen.Screen", "the end of each screen update (playback)"),
}


class RenderedScreen(Screen[None]):
    """A screen told when each of its updates has reached the display: ``screen_rendered()``.

    Textual offers no public hook there. ``call_after_refresh`` is not one while
    playing: its callback runs when the screen next goes idle, and the screen goes
    idle before the widgets refreshed in a frame have posted their updates to it, so
    the callback comes before the render it was meant to follow.
    """

    def _compositor_refresh(self) -> None:
        super()._compositor_refresh()
        self.screen_rendered()

    def screen_rendered(self) -> None:
        """Called at the end of every update of this screen (it is the current one)."""


def set_virtual_size_quietly(widget: Any, size: Size) -> None:
    """``virtual_size`` without the layout Textual does on its watcher."""
    widget.set_reactive(type(widget).virtual_size, size)


def set_scrollbar_virtual_size_quietly(widget: Any, lines: int) -> None:
    from textual.scrollbar import ScrollBar

    widget.vertical_scrollbar.set_reactive(ScrollBar.window_virtual_size, lines)


def update_scrollbars(widget: Any) -> None:
    """Scrollbar length and visibility for the widget's current virtual size."""
    widget._scroll_update(widget.virtual_size)


def whole_render_lines(widget: Widget) -> list[Strip]:
    """The widget's full render as strips (as ``Widget.render_line`` would serve them)."""
    widget._render_content()
    return list(widget._render_cache.lines)


def forget_dirty_regions(widget: Widget) -> None:
    """We draw this line ourselves: Widget need not re-render the whole content."""
    widget._dirty_regions.clear()


def render_markup(widget: Widget) -> bool:
    return bool(widget._render_markup)


def drop_line_caches(widget: Widget) -> None:
    """Empty the line cache of a widget and its children before they leave the DOM.

    ``StylesCache.get_inner_outer`` is an ``lru_cache(1024)`` on a method, so it keys on
    the StylesCache itself and keeps the last 1024 widgets' caches alive, every strip
    they drew included, long after the widgets are gone: ~1 MB per compare pane removed.
    Emptied, what it keeps is a few hundred bytes each.
    """
    for node in widget.walk_children(with_self=True):
        if isinstance(node, Widget):
            node._styles_cache.clear()


def screen_strips(screen: Any) -> list[Strip]:
    """What the screen shows now, line by line (before the app's line filters)."""
    return list(screen._compositor.render_strips())


async def one_frame(pilot: Any) -> None:
    """Process pending messages, then lay out and render the screen once."""
    await pilot._wait_for_screen()
    pilot.app.screen._on_timer_update()
