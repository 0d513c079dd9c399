"""Running batches in parallel: warm worker processes on this machine (`--jobs`) or a Dask
cluster (`--dask`), behind one loop that retries failures message by message.

A batch that fails (its worker died or hung) is cut into one batch per message and run
again, so that one hostile file does not cost its neighbours their results; a single
message that still fails is recorded as an error, never dropped.
"""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TYPE_CHECKING, Protocol

from .jobs import Done, Entry, scan_batch
from .plan import Unit

if TYPE_CHECKING:
    from ..catalog import Lang
    from ..config import Config
    from ..limits import Limits

Batch = tuple[Unit, ...]


class Backend(Protocol):
    capacity: int  # batches worth keeping in flight

    def submit(self, batch: Batch, timeout: float) -> Future[tuple[Done, ...]]: ...

    def close(self) -> None: ...


class LocalBackend:
    """`jobs` warm worker processes (`engine.Pool`), each kept busy by a thread of this
    process."""

    def __init__(self, jobs: int, limits: Limits, config: Config, lang: Lang) -> None:
        from ..engine import Pool

        self.capacity = jobs * 2
        self._args = (limits, config, lang)
        self._work: queue.Queue[tuple[Batch, float, Future[tuple[Done, ...]]] | None]
        self._work = queue.Queue()
        self._pool = Pool(jobs)
        self._closed = False
        self._threads = [threading.Thread(target=self._drive, daemon=True) for _ in range(jobs)]
        for thread in self._threads:
            thread.start()

    def _drive(self) -> None:
        # No warm-up: a worker imports the pipeline with its first batch and starts its
        # Office worker with the first Office file (plain mail never needs one). It then
        # stays up for the rest of the audit. One thread per worker: the pool never waits.
        while True:
            item = self._work.get()
            if item is None:
                return
            batch, timeout, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._pool.call(scan_batch, batch, *self._args, timeout=timeout))
            except BaseException as exc:  # the loop decides: retry alone or record an error
                future.set_exception(exc)

    def submit(self, batch: Batch, timeout: float) -> Future[tuple[Done, ...]]:
        future: Future[tuple[Done, ...]] = Future()
        self._work.put((batch, timeout, future))
        return future

    def close(self) -> None:
        """End every worker now; batches in flight are abandoned (their futures fail)."""
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._work.put(None)
        self._pool.close()


def _failed(unit: Unit, reason: str) -> Done:
    count = len(unit.offsets)
    if count <= 1:
        index = unit.first_index if unit.offsets else None
        return Done(unit=unit, entries=(Entry(index=index, error=reason),))
    entries = tuple(Entry(index=unit.first_index + n, error=reason) for n in range(count))
    return Done(unit=unit, entries=entries)


def _reason(exc: BaseException) -> str:
    from ..engine import WorkerFailed, WorkerTimeout

    if isinstance(exc, WorkerTimeout | TimeoutError):
        return f"scan failed: {exc or 'no answer in time'}"
    if isinstance(exc, WorkerFailed):
        return f"scan failed: {exc}"[:300]
    return f"scan failed: {type(exc).__name__}: {exc}"[:300]


def run(
    batches: Iterator[Batch],
    backend: Backend,
    *,
    timeout: float,
    stopped: Callable[[], bool],
    clock: Callable[[], float],
) -> Iterator[Done]:
    """Each finished unit, as it finishes. `timeout` is per message; `stopped()` is asked
    between batches (Ctrl-C): what is in flight then is abandoned, not reported."""
    pending: dict[Future[tuple[Done, ...]], tuple[Batch, float, float]] = {}
    retry: collections.deque[Batch] = collections.deque()
    grace = 30.0  # the backstop past a local worker's own kill at `timeout`

    def submit(batch: Batch) -> None:
        limit = timeout * sum(unit.messages for unit in batch)
        pending[backend.submit(batch, limit)] = (batch, clock() + limit + grace, limit)

    source = iter(batches)
    exhausted = False
    while True:
        if stopped():
            return
        while len(pending) < backend.capacity and (retry or not exhausted):
            if retry:
                submit(retry.popleft())
                continue
            batch = next(source, None)
            if batch is None:
                exhausted = True
                break
            submit(batch)
        if not pending:
            return
        finished, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
        now = clock()
        for future in list(pending):
            batch, deadline, limit = pending[future]
            if future not in finished and now < deadline:
                continue
            del pending[future]
            if future in finished and future.exception() is None:
                yield from future.result()
                continue
            if future in finished:
                problem: BaseException = future.exception() or RuntimeError("failed")
            else:
                future.cancel()
                problem = TimeoutError(f"no answer within {limit:g} s")
            alone = [single for unit in batch for single in unit.alone()]
            if len(alone) > 1:
                retry.extend((single,) for single in alone)
                continue
            yield _failed(alone[0], _reason(problem))
