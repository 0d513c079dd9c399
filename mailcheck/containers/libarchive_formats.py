"""RAR, CAB (also a OneNote package's), tar and LZH archives through libarchive. The only
importer of libarchive (the `libarchive-c` binding).

libarchive reads each of these from memory and lists names even where it cannot decode the
data: RAR encryption is not supported, so a locked RAR still gives its member names, and a
name can be evidence on its own (`Session.locked`). Same bounds as every other archive.
"""

from __future__ import annotations

from collections.abc import Iterator

import libarchive
from libarchive.exception import ArchiveError

from .interface import Opened, OpenRequest
from .session import ReadFn, Session, escapes_root


def _reader(blocks: Iterator[bytes]) -> ReadFn:
    """`read(n)` over libarchive's blocks (a block may be larger than n; the bounds cope)."""

    def read(_n: int) -> bytes:
        return next(blocks, b"")

    return read


def open_libarchive(request: OpenRequest) -> Opened:
    session = Session(request)
    failed: list[str] = []
    names: list[str] = []
    try:
        with libarchive.memory_reader(request.data) as archive:
            for entry in archive:
                name = entry.pathname or ""
                if entry.isdir or not name:
                    continue
                if entry.issym or entry.islnk:
                    session.symlinks([(name, entry.linkpath or "")])
                    continue
                names.append(name)
                if not session.admit(name):
                    if session.listing:
                        continue  # libarchive skips the data of an entry not read
                    break
                claimed = entry.size if entry.size is not None else -1
                packed = len(request.data)  # solid and compressed streams hide per-member sizes
                drained = session.drain(
                    _reader(iter(entry.get_blocks())), packed=packed, claimed=claimed
                )
                if drained.error:
                    failed.append(name)  # encrypted (RAR) or damaged: the name still counts
                    continue
                session.add(name, drained, packed=packed, claimed=claimed)
    except ArchiveError as exc:
        message = str(exc).split(" (errno", 1)[0]
        if "ncrypt" in message and not session.members and not failed:
            # Encrypted headers: not even the names are readable.
            reason = f"{request.kind} archive with encrypted names"
            session.unreadable(request.kind, reason, "encrypted")
            return session.opened()
        session.unreadable(request.kind, f"damaged {request.kind} archive ({message})"[:200])
    session.traversal([name for name in names if escapes_root(name)])
    if failed:
        session.locked(failed, tried=0)
    return session.opened()
