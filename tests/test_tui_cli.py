"""``kdump-storm [tui]`` arguments, and the headless table when stdout is not a terminal."""

from __future__ import annotations

import argparse

import pytest

from cli import cmd_tui
from engine.errors import InputError
from engine.strategies import STRATEGY_NAMES


def args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(
        **{"scenario": None, "strategy": None, "compare": None, "seed": None, **kw}
    )


def test_strategy_and_compare_arguments() -> None:
    assert cmd_tui.strategies_from(args(), STRATEGY_NAMES) == ("udev-reload", None)
    assert cmd_tui.strategies_from(args(strategy="fdt-hole"), STRATEGY_NAMES) == ("fdt-hole", None)
    assert cmd_tui.strategies_from(args(compare="udev-reload,fdt-hole"), STRATEGY_NAMES) == (
        "udev-reload",
        "fdt-hole",
    )
    with pytest.raises(InputError, match="unknown strategy"):
        cmd_tui.strategies_from(args(strategy="nope"), STRATEGY_NAMES)
    with pytest.raises(InputError, match="two strategies"):
        cmd_tui.strategies_from(args(compare="fdt-hole"), STRATEGY_NAMES)


def test_not_a_terminal_prints_the_headless_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_tui.run(args()) == 0  # pytest's captured stdout is not a tty
    out = capsys.readouterr().out
    assert "exposure (s)" in out
    for name in ("udev-reload", "fdt-hole"):
        assert name in out
