"""The isolated worker (killed at its timeout, reused between calls) and the cache."""

from __future__ import annotations

import time

import pytest
import worker_funcs

from mailcheck.engine import Engine, WorkerFailed, WorkerTimeout


@pytest.fixture(scope="module")
def engine() -> Engine:
    with Engine() as eng:
        yield eng  # type: ignore[misc]


def test_worker_runs_calls_and_stays_alive(engine: Engine) -> None:
    assert engine.worker.call(worker_funcs.add, 2, 3, timeout=60) == 5
    first = engine.worker.call(worker_funcs.pid, timeout=60)
    assert engine.worker.call(worker_funcs.pid, timeout=60) == first


def test_hang_is_killed_at_the_timeout_and_the_worker_restarts(engine: Engine) -> None:
    engine.worker.call(worker_funcs.add, 1, 1, timeout=60)  # warm: startup is not the test
    before = engine.worker.call(worker_funcs.pid, timeout=60)
    started = time.monotonic()
    with pytest.raises(WorkerTimeout):
        engine.worker.call(worker_funcs.hang, timeout=1.0)
    assert time.monotonic() - started < 30  # generous guard against a real hang
    assert engine.worker.call(worker_funcs.pid, timeout=60) != before


def test_errors_and_deaths_are_reported(engine: Engine) -> None:
    with pytest.raises(WorkerFailed, match="ValueError: bad input"):
        engine.worker.call(worker_funcs.fail, timeout=60)
    with pytest.raises(WorkerFailed, match="died"):
        engine.worker.call(worker_funcs.die, timeout=60)
    assert engine.worker.call(worker_funcs.add, 1, 2, timeout=60) == 3


def test_cache_computes_once_per_key() -> None:
    calls: list[int] = []
    eng = Engine()
    for _ in range(3):
        assert eng.cached(("x", "abc"), lambda: calls.append(1) or 7) == 7
    assert calls == [1] and eng.cache_hits == 2
    off = Engine(cache=False)
    for _ in range(3):
        off.cached(("x", "abc"), lambda: calls.append(1) or 7)
    assert len(calls) == 4


def test_worker_memory_is_capped() -> None:
    with Engine(memory_bytes=512 * 1024 * 1024) as eng:
        assert eng.worker.call(worker_funcs.allocate, 16, timeout=60) == 16 * 1024 * 1024
        with pytest.raises(WorkerFailed, match="MemoryError"):
            eng.worker.call(worker_funcs.allocate, 1024, timeout=60)
        assert eng.worker.call(worker_funcs.add, 2, 2, timeout=60) == 4
