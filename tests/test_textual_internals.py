"""Textual's private APIs are used from tui/textual_internals.py only, read against the pin."""

from __future__ import annotations

import importlib
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import textual

from tui import textual_internals

ROOT = Path(__file__).resolve().parent.parent
PRIVATE = tuple(textual_internals.USED)


def pinned_textual() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [d for d in deps if re.match(r"textual==", d)]
    return pin.split("==")[1]


def test_the_internals_module_was_reviewed_for_the_pinned_textual() -> None:
    """Moving the pin in pyproject.toml fails here until textual_internals.py is re-read
    and REVIEWED_TEXTUAL_VERSION moved with it."""
    assert pinned_textual() == textual_internals.REVIEWED_TEXTUAL_VERSION
    assert version("textual") == textual_internals.REVIEWED_TEXTUAL_VERSION


def test_every_internal_used_exists_on_the_class_named() -> None:
    for name, (where, _why) in textual_internals.USED.items():
        module, cls = where.rsplit(".", 1)
        owner = getattr(importlib.import_module(module), cls)
        has = hasattr(owner, name) or name in getattr(owner, "__slots__", ())
        init = owner.__init__.__code__
        assert has or name in init.co_names, f"{where}.{name} gone in {textual.__version__}"


def test_no_other_module_uses_textual_internals() -> None:
    """A private name of USED appears in no tui/, benchmarks/ or tests/ file but the one."""
    pattern = re.compile(r"\.(" + "|".join(re.escape(n) for n in PRIVATE) + r")\b")
    offenders = []
    for folder in ("tui", "benchmarks", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name in ("textual_internals.py", "test_textual_internals.py"):
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
