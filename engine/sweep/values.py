"""``--vary`` values: ``64KiB,128KiB,1MiB`` lists and ``100ms..1s/100ms`` ranges.

A value is written as in a TOML file, without quotes: ``24`` is an integer, ``0.5``
a float, ``true`` a boolean, anything else a string (``"250ms"``, ``"kexec_load"``).
A range ``START..STOP/STEP`` counts from START by STEP up to STOP (included when a
step lands on it), in the key's own units, which the step's unit names: sizes
(``16KiB..64KiB/4KiB``; a bare START or STOP is bytes), durations (``100ms..1s/100ms``),
else plain numbers. A unit both could mean (``m``) is read as a size.
Range values are written in the step's unit (``100ms..1s/100ms`` gives ``100ms``,
``200ms``, ... ``1000ms``), so each stays the text a user would have typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from engine.units import parse_duration, parse_size

MAX_VALUES = 10_000  # per --vary: a range that big is a typo, not a sweep
TomlScalar = bool | int | float | str

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_UNIT = re.compile(r"^\s*[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?\s*([a-zA-Zµ]*)\s*$")


@dataclass(frozen=True)
class Value:
    """One value a key takes: the TOML scalar, and how it was (or would be) written."""

    toml: TomlScalar
    text: str


def parse_scalar(text: str) -> TomlScalar:
    """The TOML scalar a bare word stands for (also how sweep files are read back)."""
    word = text.strip()
    if word in ("true", "false"):
        return word == "true"
    if _INT.match(word):
        return int(word)
    if _FLOAT.match(word):
        return float(word)
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def split_items(text: str) -> list[str]:
    """Split on commas outside parentheses: ``uniform(0.5s, 1s),fixed(1s)`` is two items."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item.strip() for item in items]


def parse_values(text: str) -> tuple[Value, ...]:
    """Every value of one ``--vary`` (ValueError naming the bad item)."""
    out: list[Value] = []
    for item in split_items(text):
        if not item:
            raise ValueError(f"empty value in {text!r}")
        if ".." in item and "(" not in item:
            out.extend(_expand_range(item))
        else:
            out.append(Value(parse_scalar(item), item))
        if len(out) > MAX_VALUES:
            raise ValueError(f"more than {MAX_VALUES} values")
    if len({repr(v.toml) for v in out}) != len(out):
        raise ValueError(f"a value is listed twice in {text!r}")
    return tuple(out)


def _expand_range(item: str) -> list[Value]:
    start_text, _, rest = item.partition("..")
    stop_text, slash, step_text = rest.partition("/")
    if not slash or not start_text.strip() or not stop_text.strip() or not step_text.strip():
        raise ValueError(f"bad range {item!r}: write START..STOP/STEP, e.g. 100ms..1s/100ms")
    parts = (start_text.strip(), stop_text.strip(), step_text.strip())
    for kind, parse, exact in (("size", parse_size, True), ("duration", parse_duration, False)):
        if _unit(parts[2]) and _all_parse(parse, parts):
            start, stop, step = (parse(p) for p in parts)
            return _count(item, start, stop, step, _unit(parts[2]), parse, exact, kind)
    numbers = [parse_scalar(p) for p in parts]
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        raise ValueError(
            f"bad range {item!r}: START, STOP and STEP must all be numbers, "
            "all sizes (16KiB) or all durations (100ms)"
        )
    a, b, c = (float(n) for n in numbers)
    exact = all(isinstance(n, int) for n in numbers)
    return _count(item, a, b, c, "", lambda v: float(v), exact, "number")  # type: ignore[arg-type]


def _unit(text: str) -> str:
    match = _UNIT.match(text)
    return match.group(1) if match else ""


def _all_parse(parse: Callable[[object], float | int], parts: tuple[str, ...]) -> bool:
    try:
        for part in parts:
            parse(part)
    except ValueError:
        return False
    return True


def _count(
    item: str,
    start: float,
    stop: float,
    step: float,
    unit: str,
    parse: Callable[[object], float | int],
    exact: bool,
    kind: str,
) -> list[Value]:
    if step <= 0:
        raise ValueError(f"bad range {item!r}: the step must be above zero")
    if stop < start:
        raise ValueError(f"bad range {item!r}: STOP is below START")
    n = int((stop - start) / step + 1e-9) + 1
    if n > MAX_VALUES:
        raise ValueError(f"range {item!r} has {n} values, more than {MAX_VALUES}")
    factor = parse(f"1{unit}") if unit else 1
    out = []
    for i in range(n):
        if exact:
            x: float = start + i * step  # integers: sizes, counts
        else:
            x = round(start + i * step, 12)
        if kind == "number":
            out.append(Value(int(x) if exact else x, f"{x:g}" if not exact else str(int(x))))
        elif exact and int(x) % int(factor):
            out.append(Value(int(x), str(int(x))))  # not whole in the step's unit: bytes
        else:
            shown = f"{int(x) // int(factor)}" if exact else f"{round(x / factor, 9):g}"
            out.append(Value(f"{shown}{unit}", f"{shown}{unit}"))
    return out
