"""Every glyph of the race timeline, declared once: the lanes draw from it, the legend
strip (``l``) and the help screen print it, and a test fails for a record kind, an
outcome or a cause that has no entry. One glyph per meaning: no two entries share one.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui import palette


@dataclass(frozen=True, slots=True)
class Glyph:
    """How one thing is drawn and what it means; ``rank`` wins a shared column."""

    char: str
    style: str
    rank: int
    meaning: str


# (lane id, gutter label), top to bottom
LANES: tuple[tuple[str, str], ...] = (
    ("hotplug", "hotplug"),
    ("uevent", "uevents"),
    ("udev", "udev/throttler"),
    ("reload", "kdumpctl"),
    ("kernel", "kernel update"),
    ("readiness", "readiness"),
    ("crash", "crashes"),
)

# point records: kind -> (lane, glyph)
MARKS: dict[str, tuple[str, Glyph]] = {
    "core-add": ("hotplug", Glyph("+", palette.GOOD, 3, "core added (DLPAR)")),
    "core-remove": ("hotplug", Glyph("−", "bold #ff87ff", 2, "core removed")),
    "block-add": ("hotplug", Glyph("▪", palette.INFO, 1, "memory block added")),
    "block-remove": ("hotplug", Glyph("▫", palette.INFO, 1, "memory block removed")),
    "uevent": ("uevent", Glyph("•", "#87ffff", 1, "uevent sent to udev")),
    "throttler-drop": ("udev", Glyph("⊘", palette.BAD, 5, "uevent dropped by the throttler")),
    "reload-queued": ("reload", Glyph("◦", palette.WARN, 1, "reload queued behind another")),
    "update-skip": ("kernel", Glyph("!", palette.BAD, 5, "in-kernel update skipped")),
    "update-nospace": (
        "kernel",
        Glyph("N", palette.ALARM, 6, "update failed: NOSPACE in the hole"),
    ),
    "fdt-overlap": (
        "kernel",
        Glyph("≠", palette.ALARM, 6, "a load's FDT copy landed on the RFC's lock-free update"),
    ),
    "crash-hotplug-read": (
        "udev",
        Glyph("0", palette.WARN, 2, "crash_hotplug read 0: the event falls through to a reload"),
    ),
}
# spans: start kind -> (lane, glyph); the engine pairs each start with its end
# (``engine.run.trace.SPAN_ENDS``, by span id). An unload and the load after it are
# one meaning, one glyph: no image is loaded from the unload to the load's end.
NO_IMAGE = Glyph("━", palette.BAD, 3, "kdumpctl reload: unload, then load (no image)")
SPANS: dict[str, tuple[str, Glyph]] = {
    "throttler-start": (
        "udev",
        Glyph("~", palette.WARN, 2, "throttler waiting for udev to settle"),
    ),
    "unload-start": ("reload", NO_IMAGE),
    "load-start": ("reload", NO_IMAGE),
    "lock-taken": ("reload", Glyph("▓", palette.ALARM, 4, "kexec lock held (panics cannot kexec)")),
    "update-start": ("kernel", Glyph("═", palette.WARN, 3, "in-kernel update of the crash image")),
}
# kinds with no glyph of their own, and why (span ends are drawn as their span's end)
NOT_DRAWN: dict[str, str] = {
    "load-build": "inside the load's bar; the kexec lock bar shows whether it is locked",
    "smt-switch": "its per-thread uevents are drawn, one each",
}

# crash probes: by outcome, and for a lost dump by cause (None: a cause with no entry)
PROBE_RESULTS: dict[str, Glyph] = {
    "captured": Glyph("✓", palette.GOOD, 1, "probe: dump captured"),
    "incomplete": Glyph("◐", palette.WARN, 2, "probe: dump taken, some memory missing"),
}
PROBE_CAUSES: dict[str | None, Glyph] = {
    "unloaded": Glyph("✗", palette.ALARM, 3, "probe lost: no image loaded"),
    "kexec-locked": Glyph("L", palette.ALARM, 3, "probe lost: kexec lock held"),
    "image-null": Glyph("∅", palette.ALARM, 3, "probe lost: image NULL (in-kernel update)"),
    "cpu-missing-in-fdt": Glyph("M", palette.ALARM, 3, "probe lost: its CPU is not in the FDT"),
    "fdt-torn": Glyph("T", palette.ALARM, 3, "probe lost: its CPU's node not yet re-added"),
    "stale-memory": Glyph("S", palette.WARN, 2, "dump risky: elfcorehdr lists removed memory"),
    None: Glyph("?", palette.ALARM, 3, "probe lost: a cause with no legend entry"),
}

# readiness: the state of the image for a panic on a random online CPU; at any zoom a
# column's height is the fraction of its time with no dump (exposure / column time)
READY = Glyph("─", palette.OK, 1, "every online CPU would get a complete dump")
INCOMPLETE = Glyph("▒", palette.WARN, 2, "a dump, but missing online memory")
NO_DUMP_LEVELS = "▁▂▃▄▅▆▇█"  # 1/8 .. 8/8 of the column's time without a dump
NO_DUMP = Glyph(NO_DUMP_LEVELS, palette.BAD, 3, "height: share of the column's time with no dump")


def probe_glyph(result: str, cause: str | None) -> Glyph:
    if result in PROBE_RESULTS:
        return PROBE_RESULTS[result]
    return PROBE_CAUSES.get(cause, PROBE_CAUSES[None])


def no_dump_level(fraction: float) -> str:
    """The height glyph for ``fraction`` (0 < fraction <= 1) of a column with no dump."""
    n = len(NO_DUMP_LEVELS)
    return NO_DUMP_LEVELS[min(max(round(fraction * n + 0.49999), 1), n) - 1]


def entries() -> list[tuple[str, list[Glyph]]]:
    """(lane label, its glyphs) for the legend strip and the help screen, lane by lane."""
    by_lane: dict[str, list[Glyph]] = {lane: [] for lane, _ in LANES}
    for lane, glyph in MARKS.values():
        by_lane[lane].append(glyph)
    for lane, glyph in SPANS.values():
        if glyph not in by_lane[lane]:
            by_lane[lane].append(glyph)
    by_lane["readiness"] += [READY, INCOMPLETE, NO_DUMP]
    by_lane["crash"] += [*PROBE_RESULTS.values(), *PROBE_CAUSES.values()]
    return [(label, sorted(by_lane[lane], key=lambda g: -g.rank)) for lane, label in LANES]


def drawn_chars() -> list[str]:
    """Every glyph's characters, one entry per meaning (for the one-glyph-per-meaning test)."""
    return [g.char for _label, glyphs in entries() for g in glyphs]
