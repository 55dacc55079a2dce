"""A scenario key and its table, as the schema declares them (``engine.scenario.schema``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    """One key: how its value is read, what it is when absent, its unit and meaning."""

    name: str
    convert: Callable[[Any], Any]
    default: object
    unit: str  # "bytes", "s", "bytes/s", "per s", "" (a plain value)
    doc: str


@dataclass(frozen=True)
class Table:
    """A TOML table (or array of tables, ``[[name]]``) and its keys, in documentation order."""

    name: str
    doc: str
    keys: tuple[Key, ...]
    subtables: tuple[str, ...] = ()
    array: bool = False

    @property
    def known(self) -> tuple[str, ...]:
        """The names a table of this kind may hold: its keys, then its subtables."""
        return (*(k.name for k in self.keys), *self.subtables)

    def key(self, name: str) -> Key:
        for k in self.keys:
            if k.name == name:
                return k
        raise KeyError(f"{self.name}.{name} is not in the scenario schema")
