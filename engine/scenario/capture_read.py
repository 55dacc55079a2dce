"""A captured storm as the machine saw it: ``udevadm monitor`` output or ``journalctl -o json``.

``udevadm monitor`` (systemd ``src/udev/udevadm-monitor.c``, ``monitor_handler()``)
prints one line per event, ``printf("%-6s[%"PRI_TIME".%06"PRI_NSEC"] %-8s %s (%s)\\n",
source, sec, usec, action, devpath, subsystem)``, e.g.::

    KERNEL[12345.678901] online   /devices/system/cpu/cpu8 (cpu)
    UDEV  [12345.680112] online   /devices/system/cpu/cpu8 (cpu)

with ``--property`` each line is followed by the event's ``KEY=value`` lines
(``ACTION=``, ``DEVPATH=``, ``SUBSYSTEM=``, ``SEQNUM=``...) and a blank line. The
timestamp is CLOCK_MONOTONIC when the monitor received the event. KERNEL lines
are the kernel's uevents and are what we replay; UDEV lines (after rule
processing) are only cross-checked, unless the capture has no KERNEL line at all
(``udevadm monitor --udev``), when they are the events.

``journalctl -o json`` prints one JSON object per line; an entry is an event when
it carries ``ACTION`` and ``DEVPATH`` (as a uevent's environment does);
``SUBSYSTEM`` (or the kernel's ``_KERNEL_SUBSYSTEM``) names the subsystem, else
the DEVPATH does; the time is ``__MONOTONIC_TIMESTAMP`` (microseconds), else
``__REALTIME_TIMESTAMP``; entries repeating a ``SEQNUM`` already seen are the same
event logged twice and are skipped. Every other entry is ignored.

This module only reads; ``engine.scenario.capture`` checks the events against the
machine and turns them into storm steps.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from engine.errors import InputError

_EVENT = re.compile(r"(KERNEL|UDEV) *\[(\d+)\.(\d{6})\] +(\S+) +(\S+) +\(([^)]*)\)\s*$")
_TIME = re.compile(r"^(\d+)\.(\d{6})$")
_HEADER = (
    "monitor will print the received events for:",
    "UDEV - the event which udev sends out after rule processing",
    "KERNEL - the kernel uevent",
)


@dataclass(frozen=True, slots=True)
class CapturedUevent:
    """One event line: when (microseconds, as captured), what, which device."""

    line: int
    t_us: int
    action: str
    devpath: str
    subsystem: str
    seqnum: int | None = None


@dataclass(frozen=True)
class CaptureText:
    """The events of a capture file, in file order, and what else it held."""

    source: str
    form: str  # "udevadm monitor" | "journal"
    events: tuple[CapturedUevent, ...]
    other_lines: int = 0  # UDEV lines beside KERNEL ones, journal entries that are no event


def read_capture(text: str, source: str) -> CaptureText:
    """Events from a capture's text; ``InputError`` (FILE:LINE: reason) for a bad line."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return _read_journal(text, source)
    return _read_monitor(text, source)


def _us(text: str, source: str, line: int) -> int:
    found = _TIME.match(text.strip())
    if not found:
        raise InputError(
            source,
            f"bad time [{text}]: expected [SECONDS.MICROSECONDS], e.g. [12345.678901]",
            line=line,
        )
    return int(found.group(1)) * 1_000_000 + int(found.group(2))


def _read_monitor(text: str, source: str) -> CaptureText:
    # KERNEL lines are the events; a --udev-only capture has nothing else
    origin = "KERNEL" if "KERNEL[" in text else "UDEV"
    events: list[CapturedUevent] = []
    others = 0
    block = ""  # after an event line until a blank line: "keep" or "skip" its --property lines
    props: dict[str, str] = {}
    prop_line = 0
    match_event = _EVENT.match

    def close() -> None:
        nonlocal props
        if props and events:
            events[-1] = _cross_check(events[-1], props, source, prop_line)
        props = {}

    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(("KERNEL", "UDEV ")):
            found = match_event(line)
            if found is None:
                if line.strip() in _HEADER:
                    continue
                _garbled(line.strip(), source, number)
            close()
            where, sec, usec, action, devpath, subsystem = found.groups()  # type: ignore[union-attr]
            if where != origin:
                others += 1  # a UDEV line beside KERNEL ones: udevd's copy, after the rules
                block = "skip"
                continue
            t_us = int(sec) * 1_000_000 + int(usec)
            events.append(CapturedUevent(number, t_us, action, devpath, subsystem))
            block = "keep"
            continue
        if block:
            key, eq, value = line.partition("=")
            if eq and key.isidentifier():
                if block == "keep":
                    if not props:
                        prop_line = number
                    props[key] = value
                continue
        stripped = line.strip()
        if not stripped:
            close()
            block = ""
            continue
        if stripped in _HEADER:
            continue
        raise InputError(
            source,
            "not a udevadm monitor line (an event line, a KEY=value property after one, "
            f"or blank): {_shown(stripped)}",
            line=number,
        )
    close()
    return CaptureText(source, "udevadm monitor", tuple(events), others)


def _garbled(line: str, source: str, number: int) -> None:
    """Raise the reason a KERNEL/UDEV line does not parse: its time, or its shape."""
    stamp = re.search(r"\[([^\]]*)\]", line)
    if stamp is not None:
        _us(stamp.group(1), source, number)  # a bad time is named as such
    raise InputError(
        source,
        "garbled event line: expected 'KERNEL[SECONDS.MICROSECONDS] ACTION DEVPATH "
        f"(SUBSYSTEM)', got {_shown(line)}",
        line=number,
    )


def _cross_check(
    event: CapturedUevent, props: dict[str, str], source: str, line: int
) -> CapturedUevent:
    """A ``--property`` block must describe its event line; SEQNUM is taken from it."""
    for key, value in (
        ("ACTION", event.action),
        ("DEVPATH", event.devpath),
        ("SUBSYSTEM", event.subsystem),
    ):
        if key in props and props[key] != value:
            raise InputError(
                source,
                f"{key}={props[key]} contradicts its event line ({key.lower()} {value!r}, "
                f"line {event.line})",
                line=line,
            )
    seqnum = props.get("SEQNUM")
    if seqnum is None:
        return event
    if not seqnum.isdigit():
        raise InputError(source, f"SEQNUM={seqnum}: expected a number", line=line)
    return CapturedUevent(
        event.line, event.t_us, event.action, event.devpath, event.subsystem, int(seqnum)
    )


def _read_journal(text: str, source: str) -> CaptureText:
    events: list[CapturedUevent] = []
    seen: set[int] = set()
    other = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError as err:
            raise InputError(source, f"not a JSON object: {err.msg}", line=number) from None
        if not isinstance(entry, dict):
            raise InputError(source, "not a JSON object (journalctl -o json)", line=number)
        action, devpath = entry.get("ACTION"), entry.get("DEVPATH")
        if not isinstance(action, str) or not isinstance(devpath, str):
            other += 1
            continue
        stamp = entry.get("__MONOTONIC_TIMESTAMP", entry.get("__REALTIME_TIMESTAMP"))
        if not isinstance(stamp, str | int) or not str(stamp).isdigit():
            raise InputError(
                source,
                f"bad time {stamp!r}: expected __MONOTONIC_TIMESTAMP in microseconds",
                line=number,
            )
        subsystem = entry.get("SUBSYSTEM", entry.get("_KERNEL_SUBSYSTEM"))
        if not isinstance(subsystem, str):
            subsystem = devpath.split("/")[3] if devpath.startswith("/devices/system/") else ""
        seqnum = entry.get("SEQNUM")
        if seqnum is not None and not str(seqnum).isdigit():
            raise InputError(source, f"SEQNUM {seqnum!r}: expected a number", line=number)
        if seqnum is not None:
            if int(seqnum) in seen:
                other += 1  # the same uevent, logged again (kernel and udevd)
                continue
            seen.add(int(seqnum))
        events.append(
            CapturedUevent(
                number,
                int(stamp),
                action,
                devpath,
                subsystem,
                None if seqnum is None else int(seqnum),
            )
        )
    return CaptureText(source, "journal", tuple(events), other)


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
