"""Storm phases and churn -> timed hotplug actions: times, counts, determinism, bounds."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.rng import RandomStreams
from engine.run.storm import HotplugAction, expand_storm, uevent_count
from engine.scenario.load import parse_scenario, with_overrides

HEAD = textwrap.dedent(
    """\
    [scenario]
    seed = 42
    duration = "120s"

    [machine]
    smt = 8
    cores_present = {present}
    cores_possible = {possible}
    memory = "{memory}GiB"
    memory_block = "1GiB"
    {memory_max}
    """
)


def scenario(body: str, present: int = 8, possible: int = 64, memory: int = 64, memory_max=None):
    mm = "" if memory_max is None else f'memory_max = "{memory_max}GiB"'
    head = HEAD.format(present=present, possible=possible, memory=memory, memory_max=mm)
    return parse_scenario(head + textwrap.dedent(body), "t.toml")


EXAMPLE_STORMS = """
[[storm]]
at = "5s"
action = "cpu-add"
cores = 24
every = "250ms"

[[storm]]
at = "40s"
action = "memory-add"
size = "32GiB"
every = "20ms"
"""


def expand(s, seed=None):
    return expand_storm(s, RandomStreams(s.seed if seed is None else seed))


def replay(s, actions):
    """Counts after each action; raises if any goes out of bounds."""
    m = s.machine
    cores, blocks = m.cores_present, m.memory_bytes // m.memory_block_bytes
    max_blocks = m.memory_possible_bytes // m.memory_block_bytes
    for a in actions:
        cores += {"core-add": 1, "core-remove": -1}.get(a.action, 0)
        blocks += {"block-add": 1, "block-remove": -1}.get(a.action, 0)
        assert 1 <= cores <= m.cores_possible, (a, cores)
        assert 1 <= blocks <= max_blocks, (a, blocks)
    return cores, blocks


def test_scripted_phases_give_count_actions_at_at_plus_i_every():
    s = scenario(EXAMPLE_STORMS)
    actions = expand(s)
    cores = [a for a in actions if a.phase == "storm[0]"]
    blocks = [a for a in actions if a.phase == "storm[1]"]
    assert len(cores) == 24 and {a.action for a in cores} == {"core-add"}
    assert len(blocks) == 32 and {a.action for a in blocks} == {"block-add"}
    assert [a.t_s for a in cores] == pytest.approx([5 + 0.25 * i for i in range(24)])
    assert [a.t_s for a in blocks] == pytest.approx([40 + 0.02 * i for i in range(32)])
    assert actions == sorted(actions, key=lambda a: a.t_s)
    # was 24 * 8 + 32: a memory block emits add then online (kernel __add_memory, online_pages)
    assert uevent_count(s, actions) == 24 * 8 + 2 * 32
    assert replay(s, actions) == (32, 96)


def test_remove_actions_and_block_counts():
    s = scenario(
        """
        [[storm]]
        at = "1s"
        action = "cpu-remove"
        cores = 3
        every = "1s"
        [[storm]]
        at = "2s"
        action = "memory-remove"
        blocks = 2
        every = "1s"
        """
    )
    assert [(a.t_s, a.action, a.phase) for a in expand(s)] == [
        (1.0, "core-remove", "storm[0]"),
        (2.0, "core-remove", "storm[0]"),
        (2.0, "block-remove", "storm[1]"),
        (3.0, "core-remove", "storm[0]"),
        (3.0, "block-remove", "storm[1]"),
    ]


def test_jitter_stays_in_its_window_and_is_deterministic_per_seed():
    body = EXAMPLE_STORMS.replace('every = "250ms"', 'every = "250ms"\njitter = "100ms"')
    s = scenario(body)
    first, again, other = expand(s), expand(s), expand(s, seed=43)
    assert first == again
    assert first != other
    cores = [a.t_s for a in first if a.phase == "storm[0]"]
    for i, t in enumerate(sorted(cores)):
        assert 5 + 0.25 * i <= t <= 5 + 0.25 * i + 0.1
    # jitter in one phase leaves the other phase's times alone
    assert [a for a in first if a.phase == "storm[1]"] == [
        a for a in expand(scenario(EXAMPLE_STORMS)) if a.phase == "storm[1]"
    ]


def test_with_overrides_seed_changes_churn_but_not_unjittered_storms():
    s = scenario(EXAMPLE_STORMS + '[[churn]]\nrate = "1/s"\n', memory_max=128)
    t = with_overrides(s, seed=1)
    assert expand(s) != expand(t)
    assert [a for a in expand(s) if a.phase.startswith("storm")] == [
        a for a in expand(t) if a.phase.startswith("storm")
    ]


def test_churn_is_poisson_between_start_and_end():
    s = scenario('[[churn]]\nstart = "10s"\nend = "110s"\nrate = "2/s"\n', memory_max=128)
    actions = expand(s)
    assert all(10 < a.t_s < 110 and a.phase == "churn[0]" for a in actions)
    assert 140 < len(actions) <= 260  # 200 expected; skips are rare with this much room
    kinds = {a.action for a in actions}
    assert kinds == {"core-add", "core-remove", "block-add", "block-remove"}
    replay(s, actions)


def test_churn_fractions_pick_kind_and_direction():
    s = scenario('[[churn]]\nrate = "1/s"\ncpu_fraction = 1\nadd_fraction = 1\n', possible=200)
    actions = expand(s)
    assert actions and {a.action for a in actions} == {"core-add"}


def test_churn_turns_an_impossible_add_around():
    # all 8 cores present already: every "add" becomes a remove, then adds are possible again
    s = scenario(
        '[[churn]]\nrate = "1/s"\ncpu_fraction = 1\nadd_fraction = 1\n', present=8, possible=8
    )
    actions = expand(s)
    assert actions[0].action == "core-remove"
    assert [a.action for a in actions[1:4]] == ["core-add", "core-remove", "core-add"]
    replay(s, actions)


def test_churn_leaves_room_for_a_later_scripted_storm():
    # the scripted add at 100 s needs 32 absent cores: churn may never fill them before it
    body = (
        '[[churn]]\nend = "99s"\nrate = "5/s"\ncpu_fraction = 1\nadd_fraction = 0.9\n'
        '[[storm]]\nat = "100s"\naction = "cpu-add"\ncores = 32\nevery = "100ms"\n'
    )
    s = scenario(body, present=32, possible=64)
    actions = expand(s)
    replay(s, actions)
    assert sum(a.phase == "storm[0]" for a in actions) == 32


def test_ties_put_storms_before_churn():
    s = scenario(EXAMPLE_STORMS)
    a = HotplugAction(5.0, "core-add", "storm[0]")
    assert expand(s)[0] == a


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    present=st.integers(1, 8),
    extra=st.integers(0, 8),
    memory=st.integers(1, 8),
    memory_extra=st.integers(0, 8),
    rate=st.floats(0.1, 20),
    cpu_fraction=st.floats(0, 1),
    add_fraction=st.floats(0, 1),
    seed=st.integers(0, 2**32),
    scripted=st.sampled_from(["", "cpu-add", "cpu-remove", "memory-add", "memory-remove"]),
    scripted_count=st.integers(1, 8),
    scripted_at=st.floats(0, 50),
)
def test_churn_never_produces_an_impossible_action(
    present, extra, memory, memory_extra, rate, cpu_fraction, add_fraction, seed, scripted,
    scripted_count, scripted_at,
):  # fmt: skip
    body = (
        f'[[churn]]\nstart = "5s"\nend = "60s"\nrate = {rate}\n'
        f"cpu_fraction = {cpu_fraction}\nadd_fraction = {add_fraction}\n"
    )
    if scripted:
        key = "cores" if scripted.startswith("cpu") else "blocks"
        body += (
            f'[[storm]]\nat = {scripted_at}\naction = "{scripted}"\n{key} = {scripted_count}\n'
            f'every = "500ms"\njitter = "300ms"\n'
        )
    try:
        s = scenario(body, present, present + extra, memory, memory + memory_extra)
    except InputError:
        assume(False)
    s = with_overrides(s, seed=seed)
    actions = expand(s)
    assert actions == expand(s)
    replay(s, actions)
    if scripted:
        assert sum(a.phase == "storm[0]" for a in actions) == scripted_count
