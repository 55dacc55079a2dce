"""The schema's event tables: [[storm]], [[churn]], [crash], [compare], [reproduce].

Declared here, part of ``engine.scenario.schema.TABLES`` (the one declaration of
every key); split out only to keep each file to one screenful of tables.
"""

from __future__ import annotations

from engine.errors import quote
from engine.scenario.model import ACTIONS
from engine.scenario.names import STRATEGY_NAMES  # not engine.strategies: validate stays light
from engine.scenario.reader import (
    COMPUTED,
    REQUIRED,
    to_choice,
    to_fraction,
    to_int,
    to_positive_int,
    to_positive_size,
    to_rate,
    to_str,
)
from engine.scenario.schema_key import Key, Table
from engine.units import parse_duration


def _any(value: object) -> object:
    return value  # checked by the reader, which knows the machine (crash.probes[].cpu)


def to_strategies(value: object) -> tuple[str, ...]:
    """A non-empty list of names the strategy registry knows, each once."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of strategy names, got {quote(value)}")
    for item in value:
        if item not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy {quote(item)}; valid: {', '.join(STRATEGY_NAMES)}")
    if len(set(value)) != len(value):
        raise ValueError("a strategy is listed twice")
    return tuple(value)


FIGURE_KINDS = ("measured", "estimated", "stated")


def to_number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def to_parameters(value: object) -> tuple[tuple[str, str], ...]:
    """``[{ key = ..., figure = ... }, ...]`` as (key, figure) pairs."""
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of { key, figure } tables")
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"key", "figure"}:
            raise ValueError(f"each parameter is {{ key = ..., figure = ... }}, got {item!r}")
        out.append((to_str(item["key"]), to_str(item["figure"])))
    return tuple(out)


EVENT_TABLES: tuple[Table, ...] = (
    Table(
        "storm",
        "a scripted phase of hotplug events ([[storm]], any number)",
        (
            Key("at", parse_duration, REQUIRED, "s", "when the first event happens"),
            Key("action", to_choice(ACTIONS), REQUIRED, "", " | ".join(ACTIONS)),
            Key("cores", to_positive_int, COMPUTED, "", "how many cores (cpu storms: required)"),
            Key(
                "size",
                to_positive_size,
                COMPUTED,
                "bytes",
                "how much memory (memory storms: this or blocks is required)",
            ),
            Key(
                "blocks",
                to_positive_int,
                COMPUTED,
                "",
                "how many memory blocks (memory storms: this or size is required)",
            ),
            Key(
                "every",
                parse_duration,
                0.0,
                "s",
                "spacing, required for more than one event (smt: between per-thread steps, "
                "default machine.thread_online)",
            ),
            Key("jitter", parse_duration, 0.0, "s", "each event is delayed by uniform(0, jitter)"),
            Key(
                "threads",
                to_positive_int,
                COMPUTED,
                "",
                "smt storms: the SMT mode to switch to (ppc64_cpu --smt=N), at most machine.smt "
                "(required there)",
            ),
            Key(
                "from_capture",
                to_str,
                None,
                "",
                "instead of action: a udevadm monitor / journalctl -o json capture, relative "
                'to the scenario file, replayed from at (default "0s" then); see '
                "engine/scenario/capture.py",
            ),
        ),
        array=True,
    ),
    Table(
        "churn",
        "Poisson hotplug churn ([[churn]], any number)",
        (
            Key("start", parse_duration, 0.0, "s", "from"),
            Key("end", parse_duration, COMPUTED, "s", "until (default: the duration)"),
            Key("rate", to_rate, REQUIRED, "per s", 'events: "2/s", "30/min" or a number per s'),
            Key("cpu_fraction", to_fraction, 0.5, "", "share of CPU events, 0 to 1"),
            Key("add_fraction", to_fraction, 0.5, "", "share of adds, 0 to 1"),
        ),
        array=True,
    ),
    Table(
        "crash",
        "crash probes and the Monte Carlo estimate",
        (
            Key(
                "probes",
                _any,
                (),
                "",
                'a list of { at = "7s", cpu = 3 | "newest" | "random" }',
            ),
            Key("monte_carlo", to_int, 10000, "", "random panics sampled, 0 to 10000000"),
        ),
    ),
    Table(
        "crash.probes",
        "one crash probe (an inline table in crash.probes)",
        (
            Key("at", parse_duration, REQUIRED, "s", "when the panic happens"),
            Key("cpu", _any, "random", "", 'a thread number, "newest" or "random"'),
        ),
    ),
    Table(
        "compare",
        "which strategies a run compares",
        (
            Key(
                "strategies",
                to_strategies,
                COMPUTED,
                "",
                "a list of strategy names (default: every one, engine.strategies)",
            ),
        ),
    ),
    Table(
        "reproduce",
        "a `kdump-storm reproduce` case (scenarios/reproduce/*.toml): the strategy, which "
        "published figure set which parameter, and [[reproduce.check]] entries",
        (
            Key("strategy", to_choice(STRATEGY_NAMES), REQUIRED, "", "the strategy the case runs"),
            Key(
                "parameters",
                to_parameters,
                REQUIRED,
                "",
                'a list of { key = "...", figure = "the published figure that sets it" }',
            ),
        ),
        subtables=("check",),
    ),
    Table(
        "reproduce.check",
        "one published number the case is held to ([[reproduce.check]], one or more)",
        (
            Key("quantity", to_str, REQUIRED, "", "a model quantity (engine/run/quantities.py)"),
            Key("published", to_number, REQUIRED, "", "the published value"),
            Key("source", to_str, REQUIRED, "", "where it is published"),
            Key("kind", to_choice(FIGURE_KINDS), REQUIRED, "", " | ".join(FIGURE_KINDS)),
            Key("tolerance", to_fraction, 0.25, "", "relative; other than 0.25 needs a reason"),
            Key("low", to_number, None, "", "a published range's low end (with high)"),
            Key("high", to_number, None, "", "a published range's high end (with low)"),
            Key("reason", to_str, "", "", "why the tolerance is not 25%"),
            Key(
                "conflict",
                to_str,
                "",
                "",
                "why this figure cannot hold together with the case's others (printed)",
            ),
        ),
        array=True,
    ),
)
