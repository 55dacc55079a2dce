"""Reading TOML values into checked fields, each error located at its FILE:LINE."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from typing import Any

from engine.errors import InputError, quote
from engine.units import parse_duration, parse_size

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]#]+?)\s*\]")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")
_INDEXED = re.compile(r"^(.*)\[(\d+)\]$")


class _Lines:
    """Finds the line of a dotted field by scanning for table headers and ``key =``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for match in re.finditer("\n", text):
            self.starts.append(match.end())
        self.tables: dict[tuple[str, ...], tuple[int | None, dict[str, int]]] = {(): (None, {})}
        arrays: dict[tuple[str, ...], int] = {}
        keys = self.tables[()][1]
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                parts = tuple(p.strip().strip("\"'") for p in header.group(2).split("."))
                if header.group(1) == "[[":
                    n = arrays.get(parts, 0)
                    arrays[parts] = n + 1
                    parts = (*parts[:-1], f"{parts[-1]}[{n}]")
                keys = {}
                self.tables.setdefault(parts, (number, keys))
                continue
            key = _KEY.match(line)
            if key:
                keys.setdefault(key.group(1).strip("\"'"), number)

    def find(self, where: str) -> int | None:
        parts = where.split(".") if where else []
        for cut in range(len(parts), -1, -1):
            table = self.tables.get(tuple(parts[:cut]))
            if table is None:
                continue
            header_line, keys = table
            if cut == len(parts):
                return header_line
            indexed = _INDEXED.match(parts[cut])
            name = indexed.group(1) if indexed else parts[cut]
            line = keys.get(name)
            if line is None:
                return header_line
            if indexed:  # an element of an inline array: count '{' from the key
                return self._nth_brace(line, int(indexed.group(2))) or line
            return line
        return None

    def _nth_brace(self, line: int, n: int) -> int | None:
        pos = self.starts[line - 1] - 1
        for _ in range(n + 1):
            pos = self.text.find("{", pos + 1)
            if pos < 0:
                return None
        return self.text.count("\n", 0, pos) + 1


REQUIRED: Any = object()  # a default meaning: the key must be given
COMPUTED: Any = object()  # a default meaning: the reader works it out when absent (None)
_SCHEMA: Any = object()  # "the schema's default" (Reader.field's own)


class Reader:
    """Reads one scenario's tables, collecting every error with its FILE:LINE."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = _Lines(text)
        self.errors: list[InputError] = []
        self.failed: set[str] = set()

    # the schema imports this module's converters, so these two import it when called
    def section(self, value: object, where: str) -> dict[str, Any]:
        """``value`` as the table ``where`` (e.g. ``storm[1]``), its known keys the schema's."""
        from engine.scenario.schema import REMOVED, table_of

        table = table_of(where)
        if isinstance(value, dict):
            gone = [k for k in value if f"{table.name}.{k}" in REMOVED]
            for key in gone:  # a removed key says what replaced it, not "unknown key"
                self.error(join(where, key), REMOVED[f"{table.name}.{key}"])
            value = {k: v for k, v in value.items() if k not in gone}
        return self.table(value, where, table.known)

    def field(self, tbl: dict[str, Any], where: str, key: str, default: Any = _SCHEMA) -> Any:
        """Key ``key`` of table ``where``, read with the schema's converter and default.

        ``default`` overrides the schema's (a key required only in some cases); a
        ``COMPUTED`` default reads as ``None`` when absent, for the reader to fill in.
        """
        from engine.scenario.schema import table_of

        spec = table_of(where).key(key)
        chosen = spec.default if default is _SCHEMA else default
        if chosen is REQUIRED and key not in tbl:
            self.error(join(where, key), f"required key is missing ({spec.doc})")
            return None
        return self.get(tbl, where, key, spec.convert, None if chosen is COMPUTED else chosen)

    def error(self, where: str, reason: str) -> None:
        self.failed.add(where)
        self.errors.append(
            InputError(self.source, reason, where=where, line=self.lines.find(where))
        )

    def table(self, value: object, where: str, known: tuple[str, ...]) -> dict[str, Any]:
        """``value`` as a table, after reporting its unknown keys."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(where, f"expected a table, got {quote(value)}")
            return {}
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f"did you mean {quote(close[0])}?" if close else f"known: {', '.join(known)}"
                kind = "table" if isinstance(value[key], dict | list) and not where else "key"
                self.error(join(where, key), f"unknown {kind}; {hint}")
        return value

    def get(
        self,
        tbl: dict[str, Any],
        where: str,
        key: str,
        convert: Callable[[Any], Any],
        default: Any = REQUIRED,
    ) -> Any:
        """The converted value, the default when absent, ``None`` after reporting an error.

        Typed ``Any``: a ``None`` from an error never reaches a ``Scenario``, since any
        error stops the build.
        """
        path = join(where, key)
        if key not in tbl:
            if default is REQUIRED:
                self.error(path, "required key is missing")
                return None
            return default
        try:
            return convert(tbl[key])
        except (ValueError, OverflowError) as err:
            self.error(path, str(err))
            return None


def join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def to_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {quote(value)}")
    return value


def to_str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {quote(value)}")
    return value


def to_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {quote(value)}")
    return value


def to_choice(choices: tuple[str, ...]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}; got {quote(value)}")
        return str(value)

    return convert


def to_fraction(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"expected a number from 0 to 1, got {quote(value)}")
    return float(value)


def to_positive_size(value: object) -> int:
    size = parse_size(value)
    if size <= 0:
        raise ValueError("must be above zero")
    return size


def to_positive_duration(value: object) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError("must be above zero")
    return seconds


def to_hole(value: object) -> int | None:
    return None if value == "auto" else to_positive_size(value)


_PER = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}


def to_rate(value: object) -> float:
    """Events per second from ``2``, ``"2/s"``, ``"30/min"``."""
    if isinstance(value, str) and "/" in value:
        number, _, unit = value.partition("/")
        if unit.strip() not in _PER:
            raise ValueError(f"bad rate {quote(value)}: use a number per s, min or h, e.g. '2/s'")
        try:
            per_s = float(number) / _PER[unit.strip()]
        except ValueError:
            raise ValueError(f"bad rate {quote(value)}: use e.g. '2/s'") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        per_s = float(value) if abs(value) < 1e308 else math.inf
    else:
        raise ValueError(f"bad rate {quote(value)}: use e.g. '2/s'")
    if not math.isfinite(per_s) or per_s <= 0:
        raise ValueError(f"rate must be finite and above zero, got {quote(value)}")
    return per_s


def to_bandwidth(value: object) -> float:
    """Bytes per second from ``"2GiB/s"`` or a plain number of bytes per second."""
    text = value[:-2] if isinstance(value, str) and value.endswith("/s") else value
    per_s = parse_size(text)
    if per_s <= 0:
        raise ValueError(f"bandwidth must be above zero, e.g. '1GiB/s', got {quote(value)}")
    return float(per_s)


def to_int_choice(choices: tuple[int, ...]) -> Callable[[object], int]:
    def convert(value: object) -> int:
        if to_int(value) not in choices:
            raise ValueError(f"expected one of {', '.join(map(str, choices))}; got {quote(value)}")
        return int(value)  # type: ignore[call-overload]

    return convert


def to_positive_int(value: object) -> int:
    if to_int(value) < 1:
        raise ValueError(f"must be at least 1, got {quote(value)}")
    return int(value)  # type: ignore[call-overload]
