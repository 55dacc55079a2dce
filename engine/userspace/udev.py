"""systemd-udevd as a queue of events, PID 1 serving D-Bus calls, and ``udevadm settle``.

Follows systemd ``src/udev/udev-manager.c`` (``udevd.c`` before v256):

- ``event_queue_insert()`` appends every uevent to the event list and creates
  ``/run/udev/queue``; ``manager_unlink_queue_file()`` removes it only when
  the list is empty. An event stays on the list while queued, running (rules
  and the synchronous part of ``RUN``) or waiting on a dependency.
- ``event_queue_start()`` walks the list in sequence order and starts every
  event no earlier event blocks, while ``manager_can_process_event()`` finds
  room (at most ``children_max`` workers).
- ``event_build_dependencies()`` blocks an event behind any earlier one on
  the same device path (or a parent or child path: hotplug uevents of
  memory blocks and CPU threads have no such relatives, so only the same
  path matters here).
- ``udev_config_set_default_children_max()``: ``min(2 x CPUs + 16,
  max(RAM / 128 MiB, 10), WORKER_NUM_MAX = 2048)``.
- ``udevadm settle`` (``udevadm-settle.c``) returns when ``/run/udev/queue``
  is gone, or at its timeout.

PID 1 (``systemctl``, ``systemd-run`` over D-Bus) is one thread: it serves
calls one at a time, in the order they come; a worker waits for its call.

Simplifications: a worker's cost is one fixed time per event (``[udev]
event``) plus whatever its RUN program waits for; workers are not forked or
reaped (an idle one is always at hand below ``children_max``); the two PID 1
calls of a rule are served as one of ``[udev] pid1``.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import simpy

from engine.process import run_now
from engine.userspace.uevent import Uevent

# a rule's program; what it returns, if anything, runs once its worker is free
RuleProgram = Generator[Any, Any, Callable[[], None] | None]

WORKER_NUM_MAX = 2048
MIB = 1 << 20


def default_children_max(cpus: int, memory_bytes: int) -> int:
    """systemd ``udev_config_set_default_children_max()``."""
    cpu_limit = cpus * 2 + 16
    mem_limit = max(memory_bytes // (128 * MIB), 10)
    return min(cpu_limit, mem_limit, WORKER_NUM_MAX)


class SettleReturn(StrEnum):
    EMPTY = "queue-empty"  # /run/udev/queue was removed
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class Settled:
    returned: SettleReturn
    waited_s: float


class Pid1:
    """systemd's PID 1: D-Bus calls served one at a time, first come first served.

    FIFO with known service times needs no queue object: a call that arrives
    at ``t`` ends at ``max(t, free_at) + service``. O(1) per call.
    """

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.free_at_s = 0.0
        self.calls = 0

    def call(self, service_s: float) -> simpy.Timeout:
        """Queue a call: the event at which PID 1 has served it (the caller yields it)."""
        now = self.env.now
        start = now if now > self.free_at_s else self.free_at_s
        self.free_at_s = start + service_s
        self.calls += 1
        return self.env.timeout(self.free_at_s - now)


class UdevQueue:
    """udevd's event list: workers, ``children_max``, per-device-path serialisation.

    ``program(uevent)`` is the matching rule's RUN/PROGRAM work for a uevent
    (a SimPy generator run inside the worker) or None when no kdump rule
    matches; the worker holds the event until it returns. It may return what
    happens once its worker is free (``RuleProgram``): PID 1 starting the unit a
    ``systemd-run --no-block`` asked for, at that instant, after the queue moved
    on. Every operation is O(log n) in the events waiting (a heap of ready
    sequence numbers).
    """

    def __init__(
        self,
        env: simpy.Environment,
        *,
        children_max: int,
        event_s: float,
        program: Callable[[Uevent], RuleProgram | None],
        on_idle: Callable[[int], None] | None = None,
    ) -> None:
        self.env = env
        self.children_max = children_max
        self.event_s = event_s
        self.program = program
        self.on_idle = on_idle
        self._seq = 0
        self._in_flight = 0  # queued, waiting on a dependency, or running
        self._running = 0
        self._ready: list[tuple[int, Uevent]] = []  # heap by sequence number
        # device -> events behind the one in flight on it (None: nothing behind it yet;
        # a deque only once a second event on the device comes while the first is in flight)
        self._on_path: dict[tuple[object, int], deque[tuple[int, Uevent]] | None] = {}
        self._empty: simpy.Event | None = None
        self.first_event_s: float | None = None
        self.drained_s: float | None = None  # when the list last became empty
        self.peak_in_flight = 0

    # ------------------------------------------------------------ the queue
    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def running(self) -> int:
        return self._running

    def busy(self) -> bool:
        """``/run/udev/queue`` exists."""
        return self._in_flight > 0

    def insert(self, uevent: Uevent) -> None:
        """``event_queue_insert()`` then ``event_queue_start()``."""
        if self.first_event_s is None:
            self.first_event_s = self.env.now
        self._seq += 1
        in_flight = self._in_flight = self._in_flight + 1
        if in_flight > self.peak_in_flight:
            self.peak_in_flight = in_flight
        device = (uevent.subsystem, uevent.ident)
        on_path = self._on_path
        if device in on_path:  # blocked by an earlier event on the same device
            behind = on_path[device]
            if behind is None:
                behind = on_path[device] = deque()
            behind.append((self._seq, uevent))
        elif not self._ready and self._running < self.children_max:
            on_path[device] = None
            self._run(uevent)  # the one ready event: the heap would hand it straight back
        else:
            on_path[device] = None
            heapq.heappush(self._ready, (self._seq, uevent))
            self._start()

    def _start(self) -> None:
        ready = self._ready
        while ready and self._running < self.children_max:
            self._run(heapq.heappop(ready)[1])

    def _run(self, uevent: Uevent) -> None:
        """A worker takes the event: its rules take event_s, a plain timeout (no process)
        for the many events whose rules run no program."""
        self._running += 1
        rules = self.env.timeout(self.event_s, uevent)
        rules.callbacks.append(self._rules_done)

    def _rules_done(self, rules: simpy.Event) -> None:
        uevent: Uevent = rules._value  # the timeout's value (``.value`` is a property call)
        program = self.program(uevent)
        if program is None:
            self._finish(uevent)
        else:
            # the worker runs the program; this callback is its step's last act
            run_now(program, lambda then: self._worker_free(uevent, then))

    def _worker_free(self, uevent: Uevent, then: Callable[[], None] | None) -> None:
        self._finish(uevent)
        if then is not None:
            then()

    def _finish(self, uevent: Uevent) -> None:
        self._running -= 1
        self._in_flight -= 1
        device = (uevent.subsystem, uevent.ident)
        behind = self._on_path[device]
        if behind:
            heapq.heappush(self._ready, behind.popleft())
        else:
            del self._on_path[device]
        if self._in_flight == 0:
            self.drained_s = self.env.now
            if self._empty is not None:
                self._empty.succeed()
                self._empty = None
            if self.on_idle is not None:
                self.on_idle(self._seq)
        if self._ready:
            self._start()

    # --------------------------------------------------------------- settle
    def settle(self, timeout_s: float) -> Generator[Any, Any, Settled]:
        """``udevadm settle --timeout``: until the queue file is gone, or the timeout."""
        start = self.env.now
        if self._in_flight == 0:
            return Settled(SettleReturn.EMPTY, 0.0)
        if self._empty is None:
            self._empty = self.env.event()
        empty = self._empty
        yield empty | self.env.timeout(timeout_s)
        returned = SettleReturn.EMPTY if empty.triggered else SettleReturn.TIMEOUT
        return Settled(returned, self.env.now - start)
