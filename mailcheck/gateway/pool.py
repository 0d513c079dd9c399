"""Scans in warm worker processes, each bounded in time, for the gateway front-ends.

A milter serves many connections at once from libmilter's threads; Python's lock would
serialise scans made in those threads, so each scan runs in one of `workers` processes,
each with its own engine (its own Office worker: oletools is imported once per process and
stays loaded). A scan that runs past the timeout is killed with its process, which is
started again for the next message; the caller sees a `ScanFailure`, never a hang.
"""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING

from ..engine import Worker, WorkerFailed, WorkerTimeout
from ..records import record

if TYPE_CHECKING:
    from ..config import Config
    from ..limits import Limits
    from ..model import Verdict

# A scan worker parses hostile messages and holds them decoded: the same cap as the
# Office worker, so that one message cannot exhaust the host.
SCAN_MEMORY_BYTES = 2 * 1024 * 1024 * 1024


@record
class Judged:
    """What a gateway needs of a scan: the verdict and the message's id (for the log). The
    full result stays in the worker: only this travels back, once per message."""

    verdict: Verdict
    message_id: str


@record
class ScanFailure:
    """Why a message could not be scanned: `timeout`, `worker_died` or `error`."""

    reason: str
    detail: str = ""


def scan_job(data: bytes, limits: Limits, config: Config) -> Judged:
    """Runs in a scan worker: one message, with the worker's own (warm) engine."""
    from ..api import scan_bytes
    from ..model import Source

    # What an MTA hands over is mail, however damaged: scanned, never refused as not mail.
    result = scan_bytes(
        data, limits=limits, config=config, source=Source(path="smtp"), as_mail=True
    )
    return Judged(verdict=result.verdict, message_id=result.message.message_id)


def warm_job() -> bool:
    """Runs in a scan worker: import the pipeline and start the Office worker before the
    first message needs them."""
    from ..analyzers.office import run_in_worker  # noqa: F401
    from ..api import scan_bytes
    from ..engine import default_engine

    scan_bytes(b"From: warm-up@localhost\r\nSubject: warm-up\r\n\r\nwarm-up\r\n")
    default_engine().worker.call(_import_oletools, timeout=120)
    return True


def _import_oletools() -> bool:
    from ..analyzers.office import oletools_adapter  # noqa: F401

    return True


class ScanPool:
    """`workers` scan processes; `scan()` blocks until one is free (thread-safe)."""

    def __init__(self, workers: int, *, timeout: float) -> None:
        self.timeout = timeout
        self._workers = [
            Worker(memory_bytes=SCAN_MEMORY_BYTES, daemon=False) for _ in range(max(1, workers))
        ]
        self._idle: queue.Queue[Worker] = queue.Queue()
        for worker in self._workers:
            self._idle.put(worker)

    @property
    def size(self) -> int:
        return len(self._workers)

    def warm(self) -> None:
        """Start every worker and load what a scan needs (best effort: a worker that fails
        to warm up is started again by its first message)."""
        for worker in self._workers:
            try:
                worker.call(warm_job, timeout=300)
            except (WorkerTimeout, WorkerFailed):
                continue

    def scan(self, data: bytes, limits: Limits, config: Config) -> Judged | ScanFailure:
        worker = self._idle.get()
        try:
            return worker.call(scan_job, data, limits, config, timeout=self.timeout)
        except WorkerTimeout:
            return ScanFailure(reason="timeout", detail=f"no verdict within {self.timeout:g} s")
        except WorkerFailed as exc:
            died = "died" in str(exc) or "could not start" in str(exc)
            return ScanFailure(reason="worker_died" if died else "error", detail=str(exc)[:200])
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        for worker in self._workers:
            worker.close()
