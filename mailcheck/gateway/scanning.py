"""Scans for the gateway front-ends, in the shared pool of warm workers (engine.Pool).

A milter serves many connections at once from libmilter's threads; Python's lock would
serialise scans made in those threads, so each scan runs in one of `workers` processes,
each with its own engine (its own Office worker: oletools is imported once per process and
stays loaded). A scan that runs past the timeout is killed with its process, which is
started again for the next message; the caller sees a `ScanFailure`, never a hang.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine import Pool, WorkerFailed, WorkerTimeout
from ..records import record

if TYPE_CHECKING:
    from ..config import Config
    from ..limits import Limits
    from ..model import Verdict

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
    """Runs in a scan worker: load the pipeline and start its Office worker before the
    first message needs them."""
    from ..api import warm_up

    warm_up()
    return True


class Scanner:
    """Scans for the gateway in the shared pool of warm workers (`engine.Pool`): `scan()`
    blocks until a worker is free (thread-safe) and answers a verdict or a failure."""

    def __init__(self, workers: int, *, timeout: float) -> None:
        self.timeout = timeout
        self.pool = Pool(max(1, workers))

    @property
    def size(self) -> int:
        return self.pool.size

    def warm(self) -> None:
        """Start every worker and load what a scan needs (best effort: a worker that fails
        to warm up is started again by its first message)."""
        self.pool.each(warm_job, timeout=300)

    def scan(self, data: bytes, limits: Limits, config: Config) -> Judged | ScanFailure:
        try:
            return self.pool.call(scan_job, data, limits, config, timeout=self.timeout)
        except WorkerTimeout:
            return ScanFailure(reason="timeout", detail=f"no verdict within {self.timeout:g} s")
        except WorkerFailed as exc:
            died = "died" in str(exc) or "could not start" in str(exc)
            return ScanFailure(reason="worker_died" if died else "error", detail=str(exc)[:200])

    def close(self) -> None:
        self.pool.close()
