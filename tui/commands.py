"""Every user command, declared once: key, footer text, palette entry and help text.

``BINDINGS`` for the app, the command-palette ``Provider`` and the help
screen are all generated from ``COMMANDS`` so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True, slots=True)
class Command:
    """One user command; ``action`` names an ``action_*`` method of the app."""

    action: str
    key: str
    key_display: str
    footer: str
    title: str
    help: str
    show: bool = True


COMMANDS: tuple[Command, ...] = (
    Command(
        "toggle_play",
        "p",
        "p",
        "Play",
        "Play / pause",
        "Start or pause playback of simulated time.",
    ),
    Command(
        "step",
        "n",
        "n",
        "Step",
        "Step to next event",
        "Advance simulated time to the next trace record.",
    ),
    Command(
        "faster",
        "plus",
        "+",
        "Faster",
        "Speed up",
        "Play faster (x0.1 .. x1000 of simulated time).",
    ),
    Command(
        "slower",
        "minus",
        "-",
        "Slower",
        "Slow down",
        "Play slower (x0.1 .. x1000 of simulated time).",
    ),
    Command("restart", "r", "r", "Restart", "Restart", "Restart the storm from t = 0 (same seed)."),
    Command(
        "next_strategy",
        "s",
        "s",
        "Strategy",
        "Switch strategy",
        "Restart the same storm with the next reload strategy.",
    ),
    Command(
        "toggle_compare",
        "v",
        "v",
        "Compare",
        "Toggle compare mode",
        "Two strategies side by side on the same storm, in lock step.",
    ),
    Command(
        "crash_newest",
        "c",
        "c",
        "Crash",
        "Inject a crash on the newest CPU",
        "Panic now on the newest online CPU; the outcome goes on the timeline.",
    ),
    Command(
        "crash_on",
        "k",
        "k",
        "Crash on…",
        "Inject a crash on a chosen CPU",
        "Panic now on a CPU (thread number) you type.",
    ),
    Command("zoom_in", "z", "z", "Zoom+", "Zoom timeline in", "Fewer seconds per column."),
    Command("zoom_out", "x", "x", "Zoom-", "Zoom timeline out", "More seconds per column."),
    Command(
        "scroll_back",
        "left_square_bracket",
        "[",
        "◀",
        "Scroll timeline back",
        "Scroll the race timeline towards t = 0.",
        show=False,
    ),
    Command(
        "scroll_forward",
        "right_square_bracket",
        "]",
        "▶",
        "Scroll timeline forward",
        "Scroll the race timeline towards the end.",
        show=False,
    ),
    Command(
        "export_fdt",
        "d",
        "d",
        "FDT",
        "Export FDT (.dtb)",
        "Write the FDT in the hole, packed, as it is now (never overwrites).",
    ),
    Command(
        "export_trace",
        "e",
        "e",
        "Trace",
        "Export trace (.jsonl)",
        "Write the trace so far as JSON Lines (never overwrites).",
    ),
    Command(
        "export_perfetto",
        "E",
        "E",
        "Perfetto",
        "Export for Perfetto (.json)",
        "Write the run so far as a Perfetto trace (ui.perfetto.dev opens it; never overwrites).",
        show=False,  # the footer is full; the help screen and the palette list it
    ),
    Command(
        "open_scenario", "o", "o", "Open", "Open scenario", "Open another scenario file (.toml)."
    ),
    Command(
        "toggle_legend",
        "l",
        "l",
        "Legend",
        "Toggle the legend",
        "Show or hide the legend strip: every glyph of every lane and what it means.",
    ),
    Command(
        "toggle_memory",
        "m",
        "m",
        "Memory",
        "Toggle the memory view",
        "The elfcorehdr's PT_LOAD ranges against the online memory blocks, in place of "
        "the crash region (what an 'incomplete' dump misses).",
    ),
    Command(
        "verdict",
        "V",
        "V",
        "Verdict",
        "Show the verdict",
        "The summary per strategy (shown by itself when a replay reaches its end).",
    ),
    Command("fit_run", "f", "f", "Fit", "Fit the whole run", "Zoom out to the whole run."),
    Command(
        "next_window",
        "w",
        "w / W",
        "Window",
        "Jump to the next no-dump window",
        "Next (W: previous) instant a no-dump window opens.",
        show=False,
    ),
    Command("prev_window", "W", "W", "", "Jump to the previous no-dump window", "", show=False),
    Command(
        "next_probe",
        "j",
        "j / J",
        "Probe",
        "Select the next crash probe",
        "Next (J: previous) crash probe: jump to it and show its CPU, outcome, cause and "
        "what would have covered it.",
        show=False,
    ),
    Command("prev_probe", "J", "J", "", "Select the previous crash probe", "", show=False),
    Command(
        "next_reload",
        "g",
        "g / G",
        "Reload",
        "Jump to the next reload",
        "Next (G: previous) kdumpctl reload (its unload).",
        show=False,
    ),
    Command("prev_reload", "G", "G", "", "Jump to the previous reload", "", show=False),
    Command(
        "next_update",
        "u",
        "u / U",
        "Update",
        "Jump to the next kernel update",
        "Next (U: previous) in-kernel update of the crash image.",
        show=False,
    ),
    Command("prev_update", "U", "U", "", "Jump to the previous kernel update", "", show=False),
    Command(
        "next_nospace",
        "h",
        "h / H",
        "NOSPACE",
        "Jump to the next NOSPACE",
        "Next (H: previous) update that failed for want of room in the FDT hole.",
        show=False,
    ),
    Command("prev_nospace", "H", "H", "", "Jump to the previous NOSPACE", "", show=False),
    Command(
        "next_second_strategy",
        "t",
        "t",
        "Other",
        "Switch the compared strategy",
        "In compare mode: restart with the next strategy on the right-hand side (s: left).",
        show=False,
    ),
    Command("help", "question_mark,f1", "?", "Help", "Help", "Show every command and its key."),
    Command("quit", "q", "q", "Quit", "Quit", "Leave kdump-storm.", show=False),
)


def bindings() -> list[BindingType]:
    """The app's ``BINDINGS``, one per command."""
    return [
        Binding(c.key, c.action, c.footer, show=c.show, key_display=c.key_display) for c in COMMANDS
    ]


class StormCommands(Provider):
    """Command palette entries, one per ``Command``."""

    async def discover(self) -> Hits:
        for command in COMMANDS:
            yield DiscoveryHit(command.title, self._runner(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in COMMANDS:
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    self._runner(command),
                    help=command.help,
                )

    def _runner(self, command: Command):
        return partial(self.screen.run_action, command.action)


def help_rows() -> list[tuple[str, str, str]]:
    """(key, title, help) rows for the help screen (a pair of jumps is one row)."""
    return [(c.key_display, c.title, c.help) for c in COMMANDS if c.help]
