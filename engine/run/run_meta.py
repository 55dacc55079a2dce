"""What every exported file says about the run it came from: scenario, seed, strategy, tool.

One definition for the CLI's JSON, CSV and trace files and the TUI's exports, so a
file found later on a disk names what produced it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from engine.version import TOOL_VERSION

TOOL = "kdump-storm"


@dataclass(frozen=True, slots=True)
class RunMeta:
    scenario: str  # the scenario's name
    file: str  # where it was read from
    seed: int
    strategies: tuple[str, ...]
    tool_version: str = TOOL_VERSION

    def as_dict(self) -> dict[str, object]:
        return {
            "scenario": self.scenario,
            "file": self.file,
            "seed": self.seed,
            "strategies": list(self.strategies),
            "tool": TOOL,
            "tool_version": self.tool_version,
        }

    def for_strategy(self, strategy: str) -> dict[str, object]:
        """The flat form one strategy's row or document carries."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "strategy": strategy,
            "tool_version": self.tool_version,
        }

    def jsonl_line(self) -> str:
        """The first line of a trace export: ``{"meta": {...}}``, records follow."""
        return json.dumps({"meta": self.as_dict()}, sort_keys=True, separators=(",", ":"))


def run_meta(scenario_name: str, source: str, seed: int, strategies: Sequence[str]) -> RunMeta:
    return RunMeta(scenario_name, source, seed, tuple(strategies))
