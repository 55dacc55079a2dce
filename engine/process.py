"""The type of a SimPy process body: a generator that yields events and returns nothing."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

# SimPy's events are untyped (simpy ships no stubs): what a process yields and is sent is Any
Process = Generator[Any, Any, None]
