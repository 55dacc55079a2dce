"""Number formatting shared by the panels (sizes, addresses, simulated times)."""

from __future__ import annotations

from tui.engine_link import format_size


def size(n_bytes: int) -> str:
    """``1536`` -> ``"1.5 KiB"``: the engine's one formatter (``engine.units.format_size``)."""
    return format_size(n_bytes)


def addr(address: int) -> str:
    """A physical address the way kexec prints it."""
    return f"{address:#x}"


def sim_time(t_s: float) -> str:
    """Simulated time with millisecond resolution."""
    return f"{t_s:.3f} s"


def speed(factor: float) -> str:
    """Playback speed factor: ``x0.1`` .. ``x1000``."""
    return f"x{factor:g}"


def rate(factor: float) -> str:
    """A measured rate: ``x230``, ``x4.2``, ``x0.35`` (three significant digits at most)."""
    return f"x{factor:.0f}" if factor >= 100 else f"x{factor:.3g}"
