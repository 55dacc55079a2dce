"""The exposure chart's plot: textual-plotext's ``PlotextPlot`` that lets go when removed.

textual-plotext 1.0.1 subscribes each plot to ``App.theme_changed_signal`` in
``on_mount`` with a lambda holding ``self`` and never unsubscribes. The signal keeps
subscribers in a ``WeakKeyDictionary`` whose value (the lambda, and the signal's own
callback closing over the node) refers back to the key, so a removed plot, its
plotext figure and the whole pane's styles stay alive: ~0.9 MB per compare toggle.
Unsubscribing on unmount breaks that cycle (tests/test_tui_soak.py measures it).
"""

from __future__ import annotations

from textual_plotext import PlotextPlot


class ExposurePlot(PlotextPlot):
    """A PlotextPlot that unsubscribes from the theme signal when it leaves the DOM."""

    def on_unmount(self) -> None:
        self.app.theme_changed_signal.unsubscribe(self)
