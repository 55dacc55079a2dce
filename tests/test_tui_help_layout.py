"""Pilot tests of the TUI's help, bindings and layout on the real engine."""

from __future__ import annotations

from tests.test_tui_app import DEFAULT, IN_WINDOW_S, drive, screen_text
from tui.commands import COMMANDS
from tui.factory import make_app
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen


def test_help_lists_every_command() -> None:
    app = make_app(DEFAULT, "udev-reload")

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert COMMANDS[0].title in text  # the top of the list is on screen; it scrolls
        help_text = rendered_help()
        for command in COMMANDS:  # a jump back shares its row with the jump forward
            assert (command.title if command.help else f"/ {command.key_display}") in help_text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

    drive(app, body)


def rendered_help() -> str:
    import io

    from rich.console import Console

    from tui.screens.help import sections

    console = Console(width=400, record=True, file=io.StringIO())
    for section in sections():
        console.print(section)
    return console.export_text()


def test_bindings_come_from_the_command_table() -> None:
    actions = {b.action for b in MainScreen.BINDINGS}
    assert actions == {c.action for c in COMMANDS}
    for command in COMMANDS:
        assert hasattr(MainScreen, f"action_{command.action}")


def test_survives_resize_to_40x12_and_back() -> None:
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        screen_text(app)
        await pilot.press("n", "z", "x")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert "kdump-storm" in screen_text(app)
        assert screen.panes[0].timeline.plot_width > 40

    drive(app, body)


def test_region_bar_lines_drawn_one_by_one_equal_the_whole_panel_after_each_frame() -> None:
    app = make_app(DEFAULT, "fdt-hole", speed=100)

    async def body(pilot, screen: MainScreen) -> None:
        bar = screen.panes[0].region_bar
        fills = set()
        screen.playback.playing = True
        for _ in range(40):  # 100 x 1/30 s a frame: 13 s, through the first core adds
            screen.advance_frames(1)
            await pilot.pause()
            whole = bar.render().plain.split("\n")
            drawn = [bar.render_line(y).text.rstrip() for y in range(len(whole))]
            assert drawn == [line.rstrip() for line in whole]
            fills.add(next(line for line in whole if "FDT fill" in line))
        assert len(fills) > 1  # the fill line did change on the way

    drive(app, body)
