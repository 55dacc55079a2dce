"""engine.process: the cheaper ways to run SimPy bodies keep SimPy's order of events.

The memory path starts bodies with ``start`` and ``run_now`` and locks with
``Mutex`` instead of ``env.process`` and ``simpy.Resource(capacity=1)``. The trace
is the same only if every event comes at the same time and in the same order
among the events of its instant, so each helper is run against the SimPy
original on random schedules full of ties (integer times, zero delays), and the
logs (who did what, when, in which order) must be equal.
"""

from __future__ import annotations

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.process import Mutex, run_now, start

Log = list[tuple[str, int, float]]

jobs = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=10)


def _locking(jobs: list[tuple[int, int]], mutex: bool) -> Log:
    env, log = simpy.Environment(), []
    res = simpy.Resource(env, capacity=1)
    lock = Mutex(env)

    def job(i: int, at: int, hold: int):
        yield env.timeout(at)
        log.append(("ask", i, env.now))
        if mutex:
            yield lock.lock()
        else:
            req = res.request()
            yield req
        log.append(("got", i, env.now))
        yield env.timeout(hold)
        if mutex:
            lock.unlock()
        else:
            res.release(req)
        log.append(("left", i, env.now))
        yield env.timeout(0)
        log.append(("after", i, env.now))

    for i, (at, hold) in enumerate(jobs):
        env.process(job(i, at, hold))
    env.run()
    return log


@settings(max_examples=300, deadline=None)
@given(jobs)
def test_mutex_grants_when_and_in_the_order_a_simpy_resource_does(jobs):
    # e.g. jobs [(0, 0), (0, 0)]: both ask at 0; the second is granted only when the
    # first's Release event is processed, after the first's own zero timeout was queued
    assert _locking(jobs, mutex=True) == _locking(jobs, mutex=False)


def _body(env: simpy.Environment, log: Log, i: int, delays: list[int]):
    log.append(("start", i, env.now))
    for d in delays:
        yield env.timeout(d)
        log.append(("step", i, env.now))


bodies = st.lists(
    st.tuples(st.integers(0, 3), st.lists(st.integers(0, 2), max_size=3)), min_size=1, max_size=8
)


def _starting(bodies: list[tuple[int, list[int]]], how: str) -> Log:
    """Each body is started at its time by a timeout's callback, beside a clock process
    logging every instant, so same-instant order shows."""
    env, log = simpy.Environment(), []

    def clock():
        for _ in range(8):
            log.append(("tick", -1, env.now))
            yield env.timeout(1)

    env.process(clock())
    for i, (at, delays) in enumerate(bodies):

        def begin(_event: simpy.Event, i: int = i, delays: list[int] = delays) -> None:
            body = _body(env, log, i, delays)
            if how == "run_now":  # the callback's last act, as run_now requires
                run_now(body)
                return
            if how == "process, last act":
                env.process(body)
                return
            if how == "process":
                env.process(body)
            else:
                start(env, body)
            # more of this step after the start: the body must not have run yet
            log.append(("begun", i, env.now))
            env.timeout(0).callbacks.append(lambda _e, i=i: log.append(("zero", i, env.now)))

        env.timeout(at).callbacks.append(begin)
    env.run()
    return log


@settings(max_examples=300, deadline=None)
@given(bodies)
def test_start_runs_a_body_when_env_process_would(bodies):
    assert _starting(bodies, "start") == _starting(bodies, "process")


@settings(max_examples=300, deadline=None)
@given(bodies)
def test_run_now_as_a_callbacks_last_act_runs_a_body_when_env_process_would(bodies):
    assert _starting(bodies, "run_now") == _starting(bodies, "process, last act")


def test_run_now_hands_the_bodys_return_value_to_done():
    env, got = simpy.Environment(), []

    def body():
        yield env.timeout(1)
        return "freed"

    run_now(body(), got.append)
    env.run()
    assert got == ["freed"] and env.now == 1
