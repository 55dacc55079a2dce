"""kdump-storm engine: a headless model of kdump under CPU and memory hotplug.

Nothing in this package imports textual or the TUI (see the import-linter
contract in pyproject.toml and tests/test_boundaries.py).
"""
