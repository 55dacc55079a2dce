"""udevd as a queue: workers, children_max, per-device serialisation, PID 1, settle."""

from __future__ import annotations

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.run.trace import RecordKind
from engine.scenario.load import parse_scenario
from engine.userspace.udev import Pid1, SettleReturn, UdevQueue, default_children_max
from engine.userspace.uevent import Action, Subsystem, Uevent
from tests.strategy_scenarios import scenario, session

GIB = 1 << 30


def mem(action: Action, block: int) -> Uevent:
    return Uevent(Subsystem.MEMORY, action, block)


def test_children_max_is_udevds_formula_capped_at_2048():
    # min(2 x CPUs + 16, max(RAM / 128 MiB, 10), 2048): udev_config_set_default_children_max()
    assert default_children_max(32, 32 * GIB) == 80  # CPU bound: 2 * 32 + 16
    assert default_children_max(64, 1 * GIB) == 10  # RAM bound: 8 blocks, floor 10
    assert default_children_max(4096, 1 << 50) == 2048


def test_a_simulation_takes_children_max_from_the_boot_machine():
    # 2 SMT1 cores, 4 GiB: min(2 * 2 + 16, 4 GiB / 128 MiB) = min(20, 32) = 20
    s = session(scenario('[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 1'), "udev-reload")
    assert s.sim.udev.children_max == 20
    given = session(scenario("", udev="children_max = 3"), "udev-reload")
    assert given.sim.udev.children_max == 3


def test_no_more_than_children_max_events_run_at_once():
    env = simpy.Environment()
    running = []

    def slow(_uevent):
        running.append(q.running)
        yield env.timeout(1.0)

    q = UdevQueue(env, children_max=2, event_s=0.0, program=slow)
    for block in range(5):
        q.insert(mem(Action.ONLINE, block))
    env.run()
    # 5 one-second programs, 2 at a time: 3 rounds
    assert max(running) == 2
    assert env.now == pytest.approx(3.0)
    assert q.drained_s == pytest.approx(3.0) and not q.busy()


def test_events_on_the_same_device_run_one_after_another_others_in_parallel():
    env = simpy.Environment()
    spans: dict[str, list[tuple[float, float]]] = {}

    def record(uevent):
        start = env.now
        yield env.timeout(0.5)
        spans.setdefault(uevent.devpath, []).append((start - 0.1, env.now))

    q = UdevQueue(env, children_max=10, event_s=0.1, program=record)
    q.insert(mem(Action.ADD, 7))
    q.insert(mem(Action.ONLINE, 7))
    q.insert(mem(Action.ADD, 8))
    env.run()
    # memory7's online waits for its add (0 .. 0.6), then runs 0.6 .. 1.2; memory8 runs at once
    assert spans["/devices/system/memory/memory7"] == pytest.approx([(0.0, 0.6), (0.6, 1.2)])
    assert spans["/devices/system/memory/memory8"] == pytest.approx([(0.0, 0.6)])


@settings(max_examples=40, deadline=None)
@given(
    devices=st.lists(st.integers(0, 4), min_size=1, max_size=30),
    children_max=st.integers(1, 6),
)
def test_no_two_events_of_one_device_overlap_and_the_queue_always_drains(devices, children_max):
    env = simpy.Environment()
    busy: set[int] = set()
    peak = [0]
    done = []

    def run(uevent):
        assert uevent.ident not in busy  # serialised per device path
        busy.add(uevent.ident)
        peak[0] = max(peak[0], q.running)
        yield env.timeout(0.01 * (1 + uevent.ident))
        busy.discard(uevent.ident)
        done.append(uevent.ident)

    q = UdevQueue(env, children_max=children_max, event_s=0.001, program=run)
    for dev in devices:
        q.insert(Uevent(Subsystem.CPU, Action.ONLINE, dev))
    env.run()
    assert sorted(done) == sorted(devices)
    assert peak[0] <= children_max
    assert not q.busy() and q.in_flight == 0 and q.running == 0


def test_pid1_serves_one_call_at_a_time_in_arrival_order():
    env = simpy.Environment()
    pid1 = Pid1(env)
    ends = []

    def caller():
        yield pid1.call(0.25)
        ends.append(env.now)

    for _ in range(4):
        env.process(caller())
    env.run()
    assert ends == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_settle_returns_when_the_queue_empties_and_says_how_long_it_waited():
    env = simpy.Environment()
    q = UdevQueue(env, children_max=4, event_s=1.5, program=lambda u: None)
    got = []

    def settle(timeout_s):
        got.append((yield from q.settle(timeout_s)))

    q.insert(mem(Action.ADD, 1))
    env.process(settle(3.0))
    env.process(settle(1.0))
    env.run()
    by_return = {s.returned: s.waited_s for s in got}
    assert by_return[SettleReturn.EMPTY] == pytest.approx(1.5)
    assert by_return[SettleReturn.TIMEOUT] == pytest.approx(1.0)


def test_settle_on_an_empty_queue_returns_at_once():
    env = simpy.Environment()
    q = UdevQueue(env, children_max=4, event_s=1.0, program=lambda u: None)
    gen = q.settle(3.0)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value.returned is SettleReturn.EMPTY and stop.value.value.waited_s == 0


def test_a_memory_block_add_is_an_add_then_an_online_uevent_and_removal_offline_then_remove():
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "memory-add"\nblocks = 1\n'
        '[[storm]]\nat = "5s"\naction = "memory-remove"\nblocks = 1'
    )
    s = session(sc, "udev-reload")
    s.run_to_end()
    actions = [r.detail["action"] for r in s.records if r.kind == RecordKind.UEVENT.value]
    assert actions == ["add", "online", "offline", "remove"]
    assert s.metrics().udev_drained_s is not None


def test_udev_drained_runs_from_the_first_uevent_to_the_queue_last_empty():
    # 4 blocks at 1 s: 8 events; each online waits for its block's add (10 ms), runs its
    # rules (10 ms), then PID 1 serves the 4 of them 0.1 s each: 1 + 0.02 + 4 * 0.1 = 1.42 s
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "memory-add"\nblocks = 4\nevery = "1us"',
        udev='event = "10ms"\npid1 = "100ms"\nthrottler_exec = "0s"',
    )
    s = session(sc, "udev-reload")
    s.run_to_end()
    assert s.metrics().udev_drained_s == pytest.approx(0.42, abs=1e-4)


def test_the_old_udev_latency_key_fails_on_one_line_naming_its_replacement():
    bad = '[scenario]\nduration = "5s"\n[machine]\ncores_present = 1\ncores_possible = 2\n'
    bad += 'memory = "1GiB"\n[kdump]\nudev_latency = "5ms"\n'
    with pytest.raises(InputError) as err:
        parse_scenario(bad, "old.toml")
    line = str(err.value)
    assert line.startswith("old.toml:8: kdump.udev_latency: removed") and "\n" not in line
    assert "[udev] event" in line and "[udev] pid1" in line


def test_children_max_above_udevds_ceiling_is_refused():
    bad = '[scenario]\nduration = "5s"\n[machine]\ncores_present = 1\ncores_possible = 2\n'
    bad += 'memory = "1GiB"\n[udev]\nchildren_max = 4096\n'
    with pytest.raises(InputError, match="WORKER_NUM_MAX"):
        parse_scenario(bad, "big.toml")
