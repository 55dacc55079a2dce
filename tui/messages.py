"""Typed messages between the panels and the screen."""

from __future__ import annotations

from textual.message import Message


class SeekRequested(Message):
    """The user clicked the race timeline: move simulated time to ``t_s``."""

    def __init__(self, t_s: float) -> None:
        self.t_s = t_s
        super().__init__()
