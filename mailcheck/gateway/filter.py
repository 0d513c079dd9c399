"""`mailcheck filter`: one raw message in on stdin, the same message out with verdict headers.

For procmail, maildrop, Exim transport filters and Postfix pipe(8), like spamc. The message
goes out byte for byte as it came in, with X-Mailcheck-* headers in front and any the sender
wrote removed. Whatever goes wrong (a scan that hangs or crashes, a worker that dies), the
original message is written out unchanged and the exit status is 75 (EX_TEMPFAIL), so the
delivery agent retries and nothing is lost or truncated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from ..exits import BY_VERDICT, EX_TEMPFAIL, EXIT_CLEAN
from .headers import result_headers, rewrite_header_block
from .scanning import ScanFailure, Scanner

if TYPE_CHECKING:
    from ..config import Config
    from ..limits import Limits

_READ = 1024 * 1024


def read_all(stream: BinaryIO) -> bytes:
    chunks = []
    while chunk := stream.read(_READ):
        chunks.append(chunk)
    return b"".join(chunks)


def run_filter(
    data: bytes,
    output: BinaryIO,
    *,
    limits: Limits,
    config: Config,
    timeout: float,
    sysexits: bool,
) -> tuple[int, ScanFailure | None]:
    """Write the filtered message to `output`; the exit status, and why the scan failed."""
    pool = Scanner(1, timeout=timeout)
    try:
        outcome = pool.scan(data, limits, config)
    finally:
        pool.close()
    if isinstance(outcome, ScanFailure):
        _write(output, data)
        return EX_TEMPFAIL, outcome
    try:
        filtered, _removed = rewrite_header_block(data, result_headers(outcome.verdict))
    except Exception as exc:  # never lose the message over a header we could not write
        _write(output, data)
        return EX_TEMPFAIL, ScanFailure(reason="error", detail=str(exc)[:200])
    _write(output, filtered)
    return (EXIT_CLEAN if sysexits else BY_VERDICT[outcome.verdict.label]), None


def _write(output: BinaryIO, data: bytes) -> None:
    output.write(data)
    output.flush()
