"""The shipped scenarios, a package only so that a non-editable install carries them.

``DEFAULT`` is what a bare ``kdump-storm`` opens.
"""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
DEFAULT = DIRECTORY / "default.toml"
