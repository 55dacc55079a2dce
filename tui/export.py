"""Names for TUI exports; the files are written by ``engine.output_file.write_fresh_file``."""

from __future__ import annotations


def stem_for(strategy: str, now_s: float, what: str) -> str:
    """``kdump-storm-fdt-hole-t12.500s-fdt``: what, which run and when, in the name."""
    return f"kdump-storm-{strategy}-t{now_s:.3f}s-{what}"
