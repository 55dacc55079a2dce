"""Sizes and durations written with units ("512MiB", "250ms"), and drawn durations."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from engine.errors import quote

# as written in help and errors; parsing ignores case. K/M/G/T are binary, as the
# kernel's memparse() reads crashkernel=; the SI "KB"/"MB"... are decimal
_SIZE_UNIT_NAMES: dict[str, int] = {
    "B": 1,
    "K": 1024,
    "KiB": 1024,
    "M": 1024**2,
    "MiB": 1024**2,
    "G": 1024**3,
    "GiB": 1024**3,
    "T": 1024**4,
    "TiB": 1024**4,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
}
_SIZE_UNITS = {"": 1, **{name.lower(): factor for name, factor in _SIZE_UNIT_NAMES.items()}}
SIZE_UNITS_HELP = (
    "use a number of bytes, or a number with "
    + ", ".join(n for n, f in _SIZE_UNIT_NAMES.items() if f == 1 or f % 1000)
    + " (powers of 1024) or "
    + ", ".join(n for n, f in _SIZE_UNIT_NAMES.items() if f > 1 and not f % 1000)
    + " (powers of 1000); case does not matter"
)
_DURATION_UNITS = {
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "min": 60.0,
    "m": 60.0,
    "h": 3600.0,
}
MAX_SIZE_BYTES = (1 << 64) - 1  # a 64-bit address space: no size of a machine is larger
_NUMBER_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Zµ]*)\s*$")


def parse_size(value: object) -> int:
    """Bytes from ``4096``, ``"1MiB"``, ``"64GiB"``, ``"0x100000"``. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as '512MiB', got {quote(value)}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"size must not be negative, got {quote(value)}")
        return _at_most_64_bits(value, value)
    if not isinstance(value, str):
        raise ValueError(f"expected a size such as '512MiB', got {quote(value)}")
    text = value.strip()
    if text.lower().startswith("0x"):
        try:
            size = int(text, 16)
        except ValueError:
            raise ValueError(f"bad hexadecimal size {quote(value)}") from None
        return _at_most_64_bits(size, value)
    match = _NUMBER_UNIT.match(text)
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise ValueError(f"bad size {quote(value)}: {SIZE_UNITS_HELP}")
    digits, factor = match.group(1), _SIZE_UNITS[match.group(2).lower()]
    if digits.isdigit():  # exact: a float would round 2^64 - 1 up past the limit
        if len(digits.lstrip("0")) > 20:  # 2^64 has 20 digits; int() refuses 4,300
            raise ValueError(f"size {quote(value)} is past 16 EiB (2^64 bytes)")
        return _at_most_64_bits(int(digits) * factor, value)
    number = float(digits) * factor
    if not math.isfinite(number) or number > MAX_SIZE_BYTES:  # "1e400GiB" is inf
        raise ValueError(f"size {quote(value)} is past 16 EiB (2^64 bytes)")
    if number != int(number):
        raise ValueError(f"size {quote(value)} is not a whole number of bytes")
    return int(number)


def _at_most_64_bits(size: int, value: object) -> int:
    if size > MAX_SIZE_BYTES:
        raise ValueError(f"size {quote(value)} is past 16 EiB (2^64 bytes)")
    return size


def parse_duration(value: object) -> float:
    """Seconds from ``1.5``, ``"250ms"``, ``"5s"``, ``"2min"``. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '250ms', got {quote(value)}")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an integer past 1.8e308
            seconds = math.inf
    elif isinstance(value, str):
        match = _NUMBER_UNIT.match(value)
        if not match or match.group(2) not in _DURATION_UNITS:
            raise ValueError(f"bad duration {quote(value)}: use a number with us, ms, s, min or h")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    else:
        raise ValueError(f"expected a duration such as '250ms', got {quote(value)}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be finite and not negative, got {quote(value)}")
    return seconds


def format_size(n_bytes: int) -> str:
    """``1048576`` -> ``"1 MiB"``; exact binary units where they divide, else one decimal.

    The one size formatter: the CLI's tables, error messages and the TUI's panels.
    """
    if n_bytes < 0:
        return "-" + format_size(-n_bytes)
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n_bytes >= factor:
            if n_bytes % factor == 0:
                return f"{n_bytes // factor} {unit}"
            return f"{n_bytes / factor:.1f} {unit}"
    return f"{n_bytes} B"


def format_duration(seconds: float) -> str:
    """``0.25`` -> ``"250ms"``, ``12.5`` -> ``"12.500s"``."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f}us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f}ms"
    return f"{seconds:.3f}s"


@dataclass(frozen=True)
class Duration:
    """A duration, fixed or drawn: ``fixed``, ``uniform(a, b)``, ``lognormal(median, sigma)``."""

    kind: str  # "fixed" | "uniform" | "lognormal"
    a_s: float
    b_s: float = 0.0  # uniform: upper bound; lognormal: sigma (no unit)

    def draw(self, rng: random.Random) -> float:
        """One sample in seconds; a fixed duration draws nothing from ``rng``."""
        if self.kind == "fixed":
            return self.a_s
        if self.kind == "uniform":
            return rng.uniform(self.a_s, self.b_s)
        return rng.lognormvariate(math.log(self.a_s), self.b_s)

    @property
    def mean_s(self) -> float:
        if self.kind == "fixed":
            return self.a_s
        if self.kind == "uniform":
            return (self.a_s + self.b_s) / 2
        return self.a_s * math.exp(self.b_s**2 / 2)

    @property
    def max_s(self) -> float:
        """Upper bound (lognormal: the 99.9th percentile)."""
        if self.kind == "fixed":
            return self.a_s
        if self.kind == "uniform":
            return self.b_s
        return self.a_s * math.exp(3.09 * self.b_s)

    def __str__(self) -> str:
        if self.kind == "fixed":
            return format_duration(self.a_s)
        if self.kind == "uniform":
            return f"uniform({format_duration(self.a_s)}, {format_duration(self.b_s)})"
        return f"lognormal({format_duration(self.a_s)}, {self.b_s:g})"


_DIST = re.compile(r"^\s*(uniform|lognormal)\s*\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)\s*$")


def parse_distribution(value: object) -> Duration:
    """A duration from ``"50ms"``, ``"uniform(0.5s, 1s)"`` or ``"lognormal(700ms, 0.3)"``."""
    if isinstance(value, str):
        match = _DIST.match(value)
        if match:
            kind, first, second = match.groups()
            if kind == "uniform":
                low, high = parse_duration(first), parse_duration(second)
                if high < low:
                    raise ValueError(f"uniform({first}, {second}): upper bound below lower bound")
                return Duration("uniform", low, high)
            median = parse_duration(first)
            if median <= 0:
                raise ValueError("lognormal median must be above zero")
            try:
                sigma = float(second)
            except ValueError:
                raise ValueError(
                    f"lognormal sigma must be a plain number, got {quote(second)}"
                ) from None
            if not (0 <= sigma <= 5):
                raise ValueError(f"lognormal sigma must be between 0 and 5, got {sigma}")
            return Duration("lognormal", median, sigma)
        if "(" in value:
            raise ValueError(
                f"bad distribution {quote(value)}: "
                "use 'uniform(a, b)' or 'lognormal(median, sigma)'"
            )
    return Duration("fixed", parse_duration(value))


def delay_until(now_s: float, at_s: float) -> float:
    """The delay whose sum with ``now_s`` is exactly ``at_s`` (SimPy adds it to now).

    ``now + (at - now)`` can miss ``at`` by one ulp; an event meant for an instant of
    the scenario (a storm's request) must land on it exactly, as a timeout from 0 does.
    """
    delay = at_s - now_s
    while now_s + delay < at_s:
        delay = math.nextafter(delay, math.inf)
    while now_s + delay > at_s:
        delay = math.nextafter(delay, -math.inf)
    return delay
