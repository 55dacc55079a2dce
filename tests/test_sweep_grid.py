"""--vary values, keys and the grid; overrides land in the TOML the scenario reader judges."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import InputError
from engine.sweep.grid import apply_point, grid, parse_key, parse_vary
from engine.sweep.values import parse_scalar, parse_values

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "default.toml"


def texts(spec: str) -> list[str]:
    return [v.text for v in parse_values(spec)]


def test_a_list_keeps_each_value_as_written_and_typed_as_toml():
    values = parse_values("64KiB,128KiB,24,0.5,true,kexec_load")
    assert [v.toml for v in values] == ["64KiB", "128KiB", 24, 0.5, True, "kexec_load"]


def test_a_duration_range_counts_in_the_steps_unit_and_includes_the_stop():
    # 100 ms .. 1 s by 100 ms: 10 values, 100ms ... 1000ms
    assert texts("100ms..1s/100ms") == [f"{n}ms" for n in range(100, 1001, 100)]


def test_a_size_range_counts_in_the_steps_unit():
    # 16 KiB .. 64 KiB by 4 KiB: (64 - 16) / 4 + 1 = 13 values
    assert texts("16KiB..64KiB/4KiB") == [f"{n}KiB" for n in range(16, 65, 4)]


def test_an_integer_range_stays_integers_and_stops_below_an_unreached_stop():
    values = parse_values("8..20/5")  # 8, 13, 18 (23 is past 20)
    assert [v.toml for v in values] == [8, 13, 18]


def test_commas_inside_a_distribution_do_not_split_it():
    assert texts("uniform(0.5s, 1s),fixed(1s)") == ["uniform(0.5s, 1s)", "fixed(1s)"]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("1..5/0", "step must be above zero"),
        ("5..1/1", "STOP is below START"),
        ("1s..2s", "START..STOP/STEP"),
        ("1s..2KiB/1s", "must all be numbers"),
        ("1,1", "listed twice"),
        ("1,,2", "empty value"),
        ("0..1000000/1", "more than 10000"),
    ],
)
def test_bad_values_say_what_is_wrong(spec, reason):
    with pytest.raises(ValueError, match=reason):
        parse_values(spec)


@given(st.integers(0, 500), st.integers(0, 500), st.integers(1, 64))
def test_an_integer_range_is_every_step_from_start_to_stop(start, span, step):
    values = [v.toml for v in parse_values(f"{start}..{start + span}/{step}")]
    assert values == list(range(start, start + span + 1, step))


@given(st.integers(0, 10_000))
def test_a_written_integer_reads_back_as_itself(n):
    assert parse_scalar(str(n)) == n


def test_keys_take_storm_phases_by_index_in_either_spelling():
    assert parse_key("storm.0.every") == ("storm", 0, "every")
    assert parse_key("storm[1].cores") == ("storm", 1, "cores")
    with pytest.raises(ValueError):
        parse_key("storm.0")


def test_the_grid_is_the_product_first_key_slowest():
    points = grid([parse_vary("a.x=1,2,3"), parse_vary("b.y=p,q")])
    assert len(points) == 6  # 3 x 2
    assert [p.label() for p in points[:3]] == ["a.x=1, b.y=p", "a.x=1, b.y=q", "a.x=2, b.y=p"]


def test_a_key_varied_twice_is_refused():
    with pytest.raises(InputError, match="varied twice"):
        grid([parse_vary("a.x=1"), parse_vary("a.x=2")])


def test_overrides_change_only_their_keys_and_keep_the_files_lines():
    text = DEFAULT.read_text()
    point = grid([parse_vary("storm.0.every=100ms"), parse_vary("kdump.reload.load=fixed(1s)")])[0]
    out = apply_point(text, point)
    data, before = tomllib.loads(out), tomllib.loads(text)
    assert data["storm"][0]["every"] == "100ms" and before["storm"][0]["every"] == "250ms"
    assert data["kdump"]["reload"] == {"unload": "50ms", "load": "fixed(1s)"}
    assert data["storm"][1] == before["storm"][1] and data["machine"] == before["machine"]
    assert len(out.splitlines()) == len(text.splitlines())  # set in place: no line moves


def test_a_new_table_is_added_for_a_key_the_file_does_not_have():
    out = apply_point(DEFAULT.read_text(), grid([parse_vary("udev.children_max=4")])[0])
    assert tomllib.loads(out)["udev"] == {"children_max": 4}


def test_a_storm_index_past_the_end_names_how_many_there_are():
    with pytest.raises(ValueError, match="index 2 is past the end; the scenario has 2"):
        apply_point(DEFAULT.read_text(), grid([parse_vary("storm.2.every=1s")])[0])


@given(
    st.integers(0, 64),
    st.integers(0, 64),
    st.integers(1, 16),
    st.sampled_from(["B", "KiB", "MiB", "ms", "s", "us", ""]),
)
def test_every_range_value_reads_back_from_its_text_as_itself(start, span, step, unit):
    # sweep files store a value's text; reading it back must give the same TOML value
    spec = f"{start}{unit}..{start + span}{unit}/{step}{unit}"
    for value in parse_values(spec):
        assert parse_scalar(value.text) == value.toml
