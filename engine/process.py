"""The type of a SimPy process body: a generator that yields events and returns nothing."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

# SimPy's events are untyped (simpy ships no stubs): what a process yields and is sent is Any
Process = Generator[Any, Any, None]


class UrgentTimeout(simpy.events.Timeout):
    """A timeout that, at its instant, comes before every normal event of that instant.

    ``simpy.events.Timeout`` with ``URGENT`` instead of ``NORMAL`` priority (its
    ``__init__`` inlined the same way). The storm's one dispatcher wakes with it, so a
    request still precedes every event later scheduled for its instant, as it did when
    each request had its own timeout scheduled at t = 0.
    """

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self.env = env
        self.callbacks = []
        self._value = None
        self._delay = delay
        self._ok = True
        env.schedule(self, simpy.core.URGENT, delay)
