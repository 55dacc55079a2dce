"""The tool's version, read once from the installed package's metadata (pyproject.toml)."""

from __future__ import annotations

from importlib import metadata


def _version() -> str:
    try:
        return metadata.version("kdump-storm")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


TOOL_VERSION = _version()
