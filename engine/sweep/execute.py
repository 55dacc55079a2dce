"""Running a sweep's tasks: in this process, or on Dask (the only module that imports it).

``run_local`` is the plain loop (``--workers 0``, and the benchmark's baseline).
``run_dask`` submits every task to a cluster: a ``LocalCluster`` of single-threaded
worker processes on the loopback that it starts and closes, or a running scheduler
at an address. Rows come back in completion order and are sorted by task index, so
the rows are the same whatever the workers. Ctrl-C (KeyboardInterrupt, raised here
or by ``on_row``) cancels the tasks not yet done and returns the rows that are.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.errors import InputError
from engine.sweep.task import Row, Task, run_task

OnRow = Callable[[Row], None]
CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class Outcome:
    rows: tuple[Row, ...]  # sorted by task index
    interrupted: bool


def run_local(tasks: Sequence[Task], on_row: OnRow | None = None) -> Outcome:
    rows: list[Row] = []
    try:
        for task in tasks:
            rows.append(run_task(task))
            if on_row:
                on_row(rows[-1])
    except KeyboardInterrupt:
        return Outcome(tuple(sorted(rows, key=lambda r: r.index)), True)
    return Outcome(tuple(rows), False)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Worker processes started in here ignore SIGINT (an ignored signal survives exec).

    Ctrl-C goes to the whole foreground process group; the workers must not die of
    it before the client has cancelled their tasks and closed the cluster.
    """
    try:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to protect
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: to ``scheduler``, else to a LocalCluster it starts and then closes."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError("--scheduler", f"cannot reach {scheduler}: {err}") from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # the worker's sampling profiler walks the task thread's stack every 10 ms: deep
    # SimPy stacks make that a tax on every run, and nobody reads its output here
    with _sigint_ignored(), dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # loopback, any free port: never a clash on 8787
            silence_logs=logging.ERROR,
        )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def run_on(
    client: Any,
    tasks: Sequence[Task],
    on_row: OnRow | None = None,
    *,
    timeout_s: float | None = None,
) -> Outcome:
    """Every task on the client's cluster; an interrupted sweep keeps the rows done.

    ``timeout_s`` bounds the whole wait (TimeoutError past it, pending tasks cancelled).
    """
    from distributed import as_completed

    futures = [client.submit(run_task, task, pure=False) for task in tasks]
    task_of = {f.key: t for f, t in zip(futures, tasks, strict=True)}
    rows: list[Row] = []
    try:
        for future in as_completed(futures, timeout=timeout_s):
            if future.status == "error":
                rows.append(_lost(task_of[future.key], future))
            else:
                rows.append(future.result())
            if on_row:
                on_row(rows[-1])
    except KeyboardInterrupt:
        client.cancel([f for f in futures if not f.done()])
        return Outcome(tuple(sorted(rows, key=lambda r: r.index)), True)
    except BaseException:
        client.cancel([f for f in futures if not f.done()])
        raise
    return Outcome(tuple(sorted(rows, key=lambda r: r.index)), False)


def _lost(task: Task, future: Any) -> Row:
    """A task Dask itself could not run (a worker died, the project is not installed)."""
    err = future.exception()
    message = " ".join(str(err).split()) or type(err).__name__
    return Row(
        task.index, task.point, task.strategy, task.seed, (), f"{type(err).__name__}: {message}"
    )


def run_dask(
    tasks: Sequence[Task],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_row: OnRow | None = None,
) -> Outcome:
    with dask_client(workers, scheduler) as client:
        return run_on(client, tasks, on_row)
