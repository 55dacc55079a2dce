"""SimPy process bodies: their type, and cheaper ways to run them in SimPy's order.

``Process`` is the type of a body (a generator that yields events). ``start``,
``run_now`` and ``soon`` run bodies and callbacks nobody waits on without a
``simpy.Process`` (no Process object, no end event), each where ``env.process``
would have run it; ``Mutex`` is ``simpy.Resource(capacity=1)`` with the same
events. A 64k-block memory storm starts over 100k bodies: these keep its trace
byte for byte (tests/test_process_helpers.py holds each to the SimPy original).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import simpy

# SimPy's events are untyped (simpy ships no stubs): what a process yields and is sent is Any
Process = Generator[Any, Any, None]
T = TypeVar("T")


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


class _Resumer:
    """Resumes one process body from its events' callbacks: ``simpy.Process._resume``
    without the Process event. Nothing waits on these bodies (their starters keep no
    handle), so the event a Process schedules when its body ends (one heap push and
    one step each, with no callback on it) is left out; every other event is the same
    event at the same place in the schedule."""

    __slots__ = ("_send", "_throw", "_done")

    def __init__(self, body: Generator[Any, Any, Any], done: Callable[[Any], None] | None) -> None:
        self._send = body.send
        self._throw = body.throw
        self._done = done

    def resume(self, event: simpy.Event | None) -> None:
        try:
            if event is None:
                target = self._send(None)
            elif event._ok:
                target = self._send(event._value)
            else:
                event._defused = True  # the body handles the failure, or raises it here
                target = self._throw(event._value)
            while target.callbacks is None:  # already processed: go on at once, as simpy does
                if target._ok:
                    target = self._send(target._value)
                else:
                    target._defused = True
                    target = self._throw(target._value)
        except StopIteration as end:
            if self._done is not None:
                self._done(end.value)
            return
        target.callbacks.append(self.resume)


def run_now(body: Generator[Any, Any, T], done: Callable[[T], None] | None = None) -> None:
    """Run ``body`` from here, in the caller's step, then ``done(what it returned)``.

    Only where ``env.process(body)`` would have been the step's last act: its
    Initialize event (urgent, at this instant) would then be the very next one
    processed, so running the body's first part now changes no order."""
    _Resumer(body, done).resume(None)


def soon(env: simpy.Environment, then: Callable[[simpy.Event], None]) -> None:
    """``then(event)`` at this instant, where ``env.process`` would start a body: after the
    urgent events already due now, before any normal one (an Initialize-like event)."""
    kick = simpy.Event(env)
    kick._ok = True
    kick._value = None
    kick.callbacks.append(then)
    env.schedule(kick, simpy.core.URGENT)


def start(env: simpy.Environment, body: Process) -> None:
    """``env.process(body)`` for a body nobody waits on: the same Initialize-like urgent
    event at this instant (the body's first part runs exactly when it would have), no
    Process object and no end event."""
    soon(env, _Resumer(body, None).resume)


class Mutex:
    """A FIFO lock with the events of ``simpy.Resource(env, capacity=1)``, cheaper.

    ``lock()`` returns the grant: triggered at once when free (processed at this
    instant, after the events already due), else queued. ``unlock()`` frees it; when
    someone waits, the next is granted when the event a ``Release`` would be is
    processed (SimPy's order); when nobody waits that event would do nothing, and is
    left out.
    """

    __slots__ = ("env", "held", "_queue")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.held = False
        self._queue: deque[simpy.Event] = deque()

    def lock(self) -> simpy.Event:
        turn = simpy.Event(self.env)
        self._queue.append(turn)
        self._grant()
        return turn

    def unlock(self) -> None:
        self.held = False
        if self._queue:
            release = simpy.Event(self.env)
            release.callbacks.append(lambda _release: self._grant())
            release.succeed()

    def _grant(self) -> None:
        if not self.held and self._queue:
            self.held = True
            self._queue.popleft().succeed()
