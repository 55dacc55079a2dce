"""Any scenario text gives a Scenario or one InputError line: never another exception."""

from __future__ import annotations

import json

import libfdt
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.run.session import Session
from engine.scenario.events import CHURN_KEYS, STORM_KEYS
from engine.scenario.kdump import KDUMP_KEYS
from engine.scenario.load import parse_scenario
from engine.scenario.machine import MACHINE_KEYS
from engine.scenario.udev import UDEV_KEYS
from engine.strategies import STRATEGY_NAMES as STRATEGIES

# these need a file or a table
SUBTABLES = ("from_dtb", "from_capture", "reload", "throttler", "kernel_update")
TABLES = {
    "scenario": ["name", "seed", "duration", "description"],
    "machine": [k for k in MACHINE_KEYS if k not in SUBTABLES],
    "kdump": [k for k in KDUMP_KEYS if k not in SUBTABLES],
    "udev": list(UDEV_KEYS),
    "crash": ["monte_carlo"],
    "compare": ["strategies"],
}
ARRAYS = {"storm": [k for k in STORM_KEYS if k not in SUBTABLES], "churn": list(CHURN_KEYS)}

scalars = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(
        [
            "0",
            "1s",
            "-5ms",
            "512MiB",
            "1e400s",
            "auto",
            "uniform(1s, 0s)",
            "lognormal(0s, 9)",
            "POWER9",
            "cpu-add",
            "memory-remove",
            "2/s",
            "x",
            "kexec_load",
            "udev-reload",
            "",
            "inf",
            "nan",
            "0x10",
            "1.5GiB",
        ]
    ),
    st.text(max_size=12),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3))


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v) if abs(v) < 2**63 else json.dumps(str(v))
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v)  # a TOML basic string is a JSON string


@st.composite
def scenario_texts(draw) -> str:
    lines = []
    for table, keys in TABLES.items():
        if draw(st.booleans()):
            lines.append(f"[{table}]")
            for key in draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys))):
                lines.append(f"{key} = {toml_value(draw(values))}")
    for table, keys in ARRAYS.items():
        for _ in range(draw(st.integers(0, 2))):
            lines.append(f"[[{table}]]")
            for key in draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys))):
                lines.append(f"{key} = {toml_value(draw(values))}")
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=scenario_texts())
def test_random_scenarios_parse_or_fail_with_one_line_naming_the_file(text):
    try:
        parse_scenario(text, "fuzz.toml")
    except InputError as err:
        message = str(err)
        assert message.startswith("fuzz.toml")
        assert "\n" not in message


BASE = {
    "scenario": {"name": '"base"', "seed": "1", "duration": '"60s"'},
    "machine": {
        "smt": "8",
        "cores_present": "4",
        "cores_possible": "16",
        "memory": '"8GiB"',
        "memory_max": '"16GiB"',
    },
    "kdump": {"crashkernel": '"512MiB"', "fdt_hole": '"1MiB"'},
    "crash": {"monte_carlo": "100"},
}
BASE_STORMS = [
    {"at": '"1s"', "action": '"cpu-add"', "cores": "4", "every": '"250ms"'},
    {"at": '"5s"', "action": '"memory-add"', "size": '"1GiB"', "every": '"20ms"'},
]


def render(tables: dict[str, dict[str, str]], storms: list[dict[str, str]]) -> str:
    """TOML text from tables of already-TOML values, then the [[storm]] entries."""
    lines = []
    for table, kv in tables.items():
        lines.append(f"[{table}]")
        lines.extend(f"{k} = {v}" for k, v in kv.items())
    for storm in storms:
        lines.append("[[storm]]")
        lines.extend(f"{k} = {v}" for k, v in storm.items())
    return "\n".join(lines) + "\n"


@st.composite
def mutated_scenarios(draw) -> str:
    tables: dict[str, dict[str, str]] = {"udev": {}} | {t: dict(kv) for t, kv in BASE.items()}
    storms = [dict(s) for s in BASE_STORMS]
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            table = draw(st.sampled_from(sorted(TABLES)))
            key = draw(st.sampled_from(TABLES[table]))
            tables.setdefault(table, {})[key] = toml_value(draw(values))
        else:
            storm = draw(st.sampled_from(storms))
            storm[draw(st.sampled_from(ARRAYS["storm"]))] = toml_value(draw(values))
    return render(tables, storms)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated_scenarios())
def test_a_valid_scenario_with_a_few_bad_values_still_fails_cleanly(text):
    try:
        parse_scenario(text, "fuzz.toml")
    except InputError as err:
        assert str(err).startswith("fuzz.toml") and "\n" not in str(err)


PLAUSIBLE = {
    ("scenario", "duration"): st.sampled_from(['"20s"', '"60s"', '"90s"']),
    ("scenario", "seed"): st.integers(0, 10**6).map(str),
    ("machine", "smt"): st.sampled_from(["1", "2", "4", "8"]),
    ("machine", "cores_present"): st.integers(1, 8).map(str),
    ("machine", "cores_possible"): st.integers(8, 40).map(str),
    ("machine", "thread_online"): st.sampled_from(['"0s"', '"1ms"', '"20ms"']),
    ("kdump", "fdt_hole"): st.sampled_from(['"auto"', '"24KiB"', '"40KiB"', '"1MiB"']),
    ("kdump", "syscall"): st.sampled_from(['"kexec_load"', '"kexec_file_load"']),
    ("udev", "event"): st.sampled_from(['"0s"', '"3ms"', '"300ms"']),
    ("udev", "pid1"): st.sampled_from(['"0s"', '"22ms"', '"100ms"']),
    ("udev", "children_max"): st.sampled_from(['"auto"', "1", "2", "80"]),
    ("udev", "reload_rule"): st.sampled_from(['"systemd-run"', '"try-restart"']),
    ("storm", "at"): st.sampled_from(['"0s"', '"1s"', '"3.3s"', '"10s"']),
    ("storm", "every"): st.sampled_from(['"1ms"', '"50ms"', '"1s"']),
    ("storm", "jitter"): st.sampled_from(['"0s"', '"10ms"', '"2s"']),
    ("storm", "cores"): st.integers(1, 6).map(str),
    ("storm", "action"): st.sampled_from(
        ['"cpu-add"', '"cpu-remove"', '"memory-add"', '"memory-remove"']
    ),
}


@st.composite
def plausible_scenarios(draw) -> str:
    tables: dict[str, dict[str, str]] = {"udev": {}} | {t: dict(kv) for t, kv in BASE.items()}
    storms = [dict(s) for s in BASE_STORMS]
    for _ in range(draw(st.integers(1, 4))):
        table, key = draw(st.sampled_from(sorted(PLAUSIBLE)))
        value = draw(PLAUSIBLE[(table, key)])
        if table == "storm":
            storm = storms[0]  # the CPU storm; memory storms keep their size
            storm[key] = value
        else:
            tables[table][key] = value
    return render(tables, storms)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(text=plausible_scenarios(), strategy=st.sampled_from(STRATEGIES))
def test_a_scenario_that_validates_also_runs_to_its_end(text, strategy):
    try:
        sc = parse_scenario(text, "fuzz.toml")
    except InputError:
        reject()
    session = Session(sc, strategy)
    session.run_to_end()
    assert session.now_s == sc.duration_s
    metrics = session.metrics(monte_carlo_runs=100)
    assert metrics.uevents == sum(r.kind == "uevent" for r in session.records)
    # whatever the storm did, the FDT left in its segment is one libfdt opens
    assert libfdt.Fdt(session.fdt_blob()).path_offset("/cpus") >= 0
