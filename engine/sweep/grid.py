"""Sweep keys, the grid of points, and a point's overrides applied to the TOML document.

A key is dotted, with array-of-tables elements by index: ``kdump.fdt_hole``,
``storm.0.every`` (``storm[0].every``, as the scenario reader names it, works too),
``kdump.reload.load``, ``udev.pid1``. Overrides are made on the TOML document
(tomlkit keeps the file's comments and lines), and the scenario reader then judges
the result exactly as it judges a file: there is no second list of keys here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import tomlkit
from tomlkit.items import AoT, Array, InlineTable, Table
from tomlkit.toml_document import TOMLDocument

from engine.errors import InputError
from engine.sweep.values import Value, parse_values

_PART = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Axis:
    """One ``--vary``: a key and the values it takes, in the order given."""

    key: str
    path: tuple[str | int, ...]
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Setting:
    key: str
    value: Value


@dataclass(frozen=True)
class Point:
    """One combination of values; ``index`` is its place in the grid (first key slowest)."""

    index: int
    settings: tuple[Setting, ...]

    def label(self) -> str:
        return ", ".join(f"{s.key}={s.value.text}" for s in self.settings)


def parse_key(key: str) -> tuple[str | int, ...]:
    """``storm.0.every`` or ``storm[0].every`` -> ("storm", 0, "every")."""
    parts: list[str | int] = []
    for raw in re.sub(r"\[(\d+)\]", r".\1", key.strip()).split("."):
        if not _PART.match(raw):
            raise ValueError(f"bad key {key!r}: use dotted names such as storm.0.every")
        parts.append(int(raw) if raw.isdigit() else raw)
    if isinstance(parts[0], int) or isinstance(parts[-1], int):
        raise ValueError(f"bad key {key!r}: it must start with a table and end with a key name")
    return tuple(parts)


def parse_vary(arg: str) -> Axis:
    """``KEY=VALUES`` -> an Axis; InputError naming the ``--vary`` on any problem."""
    key, eq, values = arg.partition("=")
    where = f"--vary {arg}"
    if not eq or not key.strip() or not values.strip():
        raise InputError(where, "expected KEY=VALUES, e.g. kdump.fdt_hole=64KiB,128KiB")
    try:
        return Axis(key.strip(), parse_key(key), parse_values(values))
    except ValueError as err:
        raise InputError(where, str(err)) from None


def grid(axes: Sequence[Axis]) -> tuple[Point, ...]:
    """The product of the axes (no axes: the scenario itself, one point)."""
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise InputError("--vary", "a key is varied twice; give all its values in one --vary")
    combos = itertools.product(*(a.values for a in axes))
    return tuple(
        Point(i, tuple(Setting(k, v) for k, v in zip(keys, combo, strict=True)))
        for i, combo in enumerate(combos)
    )


def apply_point(text: str, point: Point) -> str:
    """The scenario text with the point's values set (ValueError naming a bad path)."""
    doc = tomlkit.parse(text)
    for setting in point.settings:
        _set(doc, setting.key, parse_key(setting.key), setting.value)
    return tomlkit.dumps(doc)


def _set(doc: TOMLDocument, key: str, path: tuple[str | int, ...], value: Value) -> None:
    node: object = doc
    for depth, part in enumerate(path[:-1]):
        here = ".".join(str(p) for p in path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, AoT | Array | list):
                raise ValueError(f"{key}: {here[: here.rfind('.')]} is not an array of tables")
            if not 0 <= part < len(node):
                count = len(node)
                raise ValueError(
                    f"{key}: index {part} is past the end; the scenario has {count} "
                    f"[[{path[depth - 1]}]] table{'s' if count != 1 else ''}"
                )
            node = node[part]
            continue
        assert isinstance(node, TOMLDocument | Table | InlineTable | dict)
        if part not in node:
            if isinstance(path[depth + 1], int):
                raise ValueError(f"{key}: the scenario has no [[{part}]] tables")
            node[part] = tomlkit.table()
        node = node[part]
        if not isinstance(node, TOMLDocument | Table | InlineTable | dict | AoT | Array | list):
            raise ValueError(f"{key}: {here} is a value, not a table")
    last = path[-1]
    if not isinstance(node, TOMLDocument | Table | InlineTable | dict):
        raise ValueError(f"{key}: {'.'.join(str(p) for p in path[:-1])} is not a table")
    node[last] = value.toml  # type: ignore[index]
