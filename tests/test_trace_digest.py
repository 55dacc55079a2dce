"""The digest hashes the JSON Lines export: lines written from the columns are to_json's."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.run.session import Session
from engine.run.trace import SPAN_ENDS, RecordKind, Trace
from engine.scenario.load import load_scenario
from engine.strategies import STRATEGY_NAMES

ROOT = Path(__file__).resolve().parent.parent
SPAN_KINDS = set(SPAN_ENDS).union(*SPAN_ENDS.values())
POINT_KINDS = [k for k in RecordKind if k not in SPAN_KINDS]


def export_digest(trace: Trace) -> str:
    """sha256 of the JSON Lines export as Record.to_json writes it, line by line."""
    lines = "".join(trace.record(seq).to_json() + "\n" for seq in range(len(trace)))
    return hashlib.sha256(lines.encode()).hexdigest()


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),  # quotes, backslashes, control and non-ASCII characters
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)
# any key but add()'s own parameter names
keys = st.text(min_size=1, max_size=6).filter(lambda k: k not in ("t_s", "kind"))
details = st.dictionaries(keys, values, max_size=5)


@given(
    st.lists(
        st.tuples(st.floats(0, 1e6, allow_nan=False), st.sampled_from(POINT_KINDS), details),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
)
def test_each_line_is_the_records_to_json_and_the_digest_is_the_exports(records, span_first):
    trace = Trace()
    if span_first:  # span records carry "span" between "seq" and "t_s"
        span = trace.begin(0.5, RecordKind.UNLOAD_START, why="x")
        trace.end(0.75, RecordKind.UNLOAD_END, span)
    for t_s, kind, detail in records:
        trace.add(t_s, kind, **detail)
    for seq in range(len(trace)):
        assert trace._json_line(seq) == trace.record(seq).to_json()
    assert trace.digest() == export_digest(trace)


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_digest_asked_for_in_pieces_equals_the_digest_of_the_whole_export(strategy):
    s = Session(load_scenario(ROOT / "scenarios" / "mixed_churn.toml"), strategy)
    for t in (15.0, 15.0, 40.0, 90.0):  # twice at one instant: nothing new to hash
        s.advance_to(t)
        s.sim.trace.digest()
    s.run_to_end()
    assert s.sim.trace.digest() == export_digest(s.sim.trace)
    export = io.StringIO()
    s.sim.trace.write_jsonl(export)  # the --trace file: the same lines
    assert hashlib.sha256(export.getvalue().encode()).hexdigest() == export_digest(s.sim.trace)


@pytest.mark.parametrize("strategy", ["udev-reload", "crash-hotplug"])
def test_seqs_of_a_kind_are_the_records_of_that_kind(strategy):
    s = Session(load_scenario(ROOT / "scenarios" / "large_lpar.toml"), strategy)
    s.run_to_end()
    records = s.sim.trace.records
    for kinds in ([RecordKind.CRASH_PROBE], ["load-end", "update-end"], []):
        want = [r.seq for r in records if r.kind in kinds]
        assert s.sim.trace.seqs_of(kinds) == want
    assert len(s.sim.trace.seqs_of([RecordKind.CRASH_PROBE])) == len(s.sim.probes) > 0


def prefix_digest(trace: Trace, records: int) -> str:
    """sha256 of the export's first ``records`` lines, as Record.to_json writes them."""
    lines = "".join(trace.record(seq).to_json() + "\n" for seq in range(records))
    return hashlib.sha256(lines.encode()).hexdigest()


def test_metrics_hash_no_record_until_their_digest_is_read():
    """The TUI's metrics (several a second) never read the digest: nothing is hashed for
    them; reading it hashes the records up to the metrics' instant, not the later ones."""
    s = Session(load_scenario(ROOT / "scenarios" / "mixed_churn.toml"), "udev-reload")
    s.advance_to(40.0)
    m = s.metrics(monte_carlo_runs=0)
    assert s.sim.trace._hashed == 0
    s.advance_to(90.0)  # more records after the metrics were taken
    assert len(s.sim.trace) > m.trace.records > 0
    assert m.trace_digest == prefix_digest(s.sim.trace, m.trace.records)
    assert s.sim.trace._hashed == m.trace.records


def test_an_older_metrics_read_after_a_newer_one_gives_its_own_instants_digest():
    s = Session(load_scenario(ROOT / "scenarios" / "mixed_churn.toml"), "fdt-hole")
    s.advance_to(15.0)
    early = s.metrics(monte_carlo_runs=0)
    s.run_to_end()
    late = s.metrics(monte_carlo_runs=0)
    assert late.trace_digest == export_digest(s.sim.trace)  # hashed to the end first
    assert early.trace.records < late.trace.records
    assert early.trace_digest == prefix_digest(s.sim.trace, early.trace.records)
    assert early.trace_digest != late.trace_digest
