"""Process-level resources a scan may use: an isolated worker and a result cache.

Some third-party analysers (olevba on obfuscated macros) can run for minutes and cannot be
interrupted inside the process. They run in a worker process that is killed at the
timeout and started again on the next call; between calls it stays alive, so the cost of
starting Python and importing oletools is paid once, not per attachment.

An `Engine` is not shared state between scans in any observable way: it only makes them
faster (cache) and safer (isolation). A daemon creates one and passes it to every scan;
one-off callers get a lazily created default.
"""

from __future__ import annotations

import atexit
import queue
import resource
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # multiprocessing is imported when a worker is first needed
    import multiprocessing.connection

T = TypeVar("T")

_CACHE_ENTRIES = 4096
# Address space of the worker process: oletools on a large workbook needs a few hundred MB.
WORKER_MEMORY_BYTES = 2 * 1024 * 1024 * 1024


class WorkerTimeout(Exception):
    """The isolated call ran past its timeout; the worker was killed."""


class WorkerFailed(Exception):
    """The isolated call raised, or the worker died; the message says which."""


def _die_with_parent() -> None:
    """Linux: be killed when the parent dies (a gateway's scan worker killed at its timeout
    must not leave its Office worker running a hostile document on its own)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the closed pipe ends it when it is idle
        pass


def _serve(conn: multiprocessing.connection.Connection, memory_bytes: int) -> None:
    """Worker main loop: run (function, args) requests until the pipe closes."""
    # Ctrl-C on a terminal reaches the whole process group: the parent decides what an
    # interruption means and ends this process; the worker must not die with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if memory_bytes:
        # A hostile document must not exhaust the host: past this, allocation fails with
        # MemoryError inside the analyser, which is reported like any analyser error.
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            func, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            try:
                answer = ("ok", func(*args))
            except Exception as exc:  # the caller decides what an analyser error means
                answer = ("error", f"{type(exc).__name__}: {exc}"[:500])
            conn.send(answer)
        except OSError:  # the parent is gone (killed, interrupted): nobody to answer
            return


class Worker:
    """One child process that runs module-level functions with a timeout."""

    def __init__(self, *, memory_bytes: int = WORKER_MEMORY_BYTES, daemon: bool = True) -> None:
        self.memory_bytes = memory_bytes
        # A daemonic process may not start processes of its own: a gateway's scan worker,
        # which runs its own Office worker, is not one (and is ended by `close`).
        self.daemon = daemon
        self._process: Any = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._lock = threading.Lock()

    def _start(self) -> multiprocessing.connection.Connection:
        import multiprocessing  # plain mail never needs a worker: no cost until it does

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve, args=(child, self.memory_bytes), daemon=self.daemon
        )
        try:
            process.start()
        except Exception as exc:  # e.g. inside a daemonic process, which may have no children
            parent.close()
            raise WorkerFailed(f"worker could not start: {exc}") from exc
        finally:
            child.close()
        self._process = process
        self._conn = parent
        return parent

    def _kill(self) -> None:
        if self._process is not None and self._process.pid is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process = None
        self._conn = None

    def call(self, func: Callable[..., T], *args: Any, timeout: float) -> T:
        """Run `func(*args)` in the worker; it must be importable by module and name."""
        if timeout <= 0:  # no time at all: a busy machine could otherwise still answer
            raise WorkerTimeout(f"no answer within {timeout:g} s")
        with self._lock:
            conn = self._conn if self._conn is not None else self._start()
            try:
                conn.send((func, args))
                ready = conn.poll(timeout)
                if not ready:
                    self._kill()
                    raise WorkerTimeout(f"no answer within {timeout:g} s")
                status, value = conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._kill()
                raise WorkerFailed(f"worker died: {type(exc).__name__}") from exc
        if status == "error":
            raise WorkerFailed(str(value))
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._lock:
            self._kill()


class Pool:
    """`size` warm worker processes shared by threads: a call takes an idle one (waiting
    until one is free), runs there with its timeout and gives it back. The gateway's scans
    and the audit's batches both run in one; a worker that timed out or died is started
    again by its next call.

    The workers are not daemonic, so that each may run an `Engine` (its own Office worker)
    of its own; every one is bounded like the Office worker, so that one hostile message
    cannot exhaust the host."""

    def __init__(self, size: int) -> None:
        self.workers = [Worker(daemon=False) for _ in range(size)]
        self._idle: queue.Queue[Worker] = queue.Queue()
        for worker in self.workers:
            self._idle.put(worker)

    @property
    def size(self) -> int:
        return len(self.workers)

    def call(self, func: Callable[..., T], *args: Any, timeout: float) -> T:
        """`func(*args)` in the next idle worker; WorkerTimeout / WorkerFailed as Worker."""
        worker = self._idle.get()
        try:
            return worker.call(func, *args, timeout=timeout)
        finally:
            self._idle.put(worker)

    def each(self, func: Callable[[], object], *, timeout: float) -> None:
        """`func()` once in every worker (to warm them up); a worker that fails is started
        again by its next call."""
        for worker in self.workers:
            try:
                worker.call(func, timeout=timeout)
            except (WorkerTimeout, WorkerFailed):
                continue

    def close(self) -> None:
        """End every worker now: calls in flight fail with WorkerFailed."""
        for worker in self.workers:
            worker.close()


class Engine:
    """An isolated worker plus a cache of analysis results keyed by content hash."""

    def __init__(self, *, cache: bool = True, memory_bytes: int = WORKER_MEMORY_BYTES) -> None:
        self.worker = Worker(memory_bytes=memory_bytes)
        self.cache_enabled = cache
        self._cache: OrderedDict[Hashable, object] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_hits = 0

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per key (analysis name, sha256, options) while it stays cached.

        Only results are cached, never exceptions: a timeout may not repeat.
        """
        if not self.cache_enabled:
            return compute()
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return self._cache[key]  # type: ignore[return-value]
        value = compute()
        with self._cache_lock:
            self._cache[key] = value
            if len(self._cache) > _CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return value

    def close(self) -> None:
        self.worker.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_default: Engine | None = None
_default_lock = threading.Lock()


def close_default() -> None:
    """End the default engine's worker now (what the exit handler would do)."""
    with _default_lock:
        if _default is not None:
            _default.close()


def default_engine() -> Engine:
    """The engine used when a caller passes none; closed when the process exits."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine()
            atexit.register(_default.close)
        return _default
