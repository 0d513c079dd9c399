"""RAR, CAB, OneNote packages (.onepkg: a cabinet of .one sections, mostly LZX), tar, LZH and XAR
archives through libarchive. The only importer of libarchive (the `libarchive-c` binding).

libarchive reads each of these from memory and lists names even where it cannot decode the
data: RAR encryption is not supported (libarchive 3.6 and 3.7 answer "RAR encryption support
unavailable" whatever passphrase is given), so a locked RAR still gives its member names, and
a name can be evidence on its own (`Session.locked`). Same bounds as every other archive.
"""

from __future__ import annotations

from collections.abc import Iterator

import libarchive
from libarchive.exception import ArchiveError

from .interface import Opened, OpenRequest
from .session import ReadFn, Session, escapes_root

_CAB_METHODS = {0: "none", 1: "MSZIP", 2: "Quantum", 3: "LZX"}


def _reader(blocks: Iterator[bytes]) -> ReadFn:
    """`read(n)` over libarchive's blocks (a block may be larger than n; the bounds cope)."""

    def read(_n: int) -> bytes:
        return next(blocks, b"")

    return read


def cab_methods(data: bytes) -> str:
    """The compression of a cabinet's folders, from its CFFOLDER entries (at most 16)."""
    folders, flags = int.from_bytes(data[26:28], "little"), int.from_bytes(data[30:32], "little")
    pos, folder_reserve = 36, 0
    if flags & 0x4:  # reserved areas: header, per folder, per data block
        folder_reserve = data[39] if len(data) > 39 else 0
        pos += 4 + int.from_bytes(data[36:38], "little")
    if flags & 0x3:  # previous or next cabinet names: not in a .onepkg
        return "?"
    methods = []
    for index in range(min(folders, 16)):
        at = pos + index * (8 + folder_reserve) + 6
        code = int.from_bytes(data[at : at + 2], "little") & 0xF
        methods.append(_CAB_METHODS.get(code, f"method {code}"))
    return ", ".join(dict.fromkeys(methods)) or "?"


def open_onenote_package(request: OpenRequest) -> Opened:
    """A .onepkg's sections as members; a plain .one section is no container."""
    if not request.data.startswith(b"MSCF"):
        return Opened(status="ok")
    return open_libarchive(request)


def _unchecked(session: Session, failed: list[str]) -> None:
    """Sections libarchive could not unpack: the package was not checked (not evidence)."""
    data = session.request.data
    sections = ", ".join(failed[:8])
    session.mark("broken")
    session.finding(
        "attachment.onenote_unchecked",
        session.location,
        excerpt=f"sections {sections} could not be unpacked",
        attachment=session.request.path,
        method=cab_methods(data),
        sections=sections,
    )


def _text(name: str | bytes | None) -> str:
    """A name as text: libarchive hands over the raw bytes of a name it cannot decode
    (Japanese archivers wrote cp932)."""
    if isinstance(name, bytes):
        for codec in ("utf-8", "cp932"):
            try:
                return name.decode(codec)
            except UnicodeDecodeError:
                continue
        return name.decode("latin-1")
    return name or ""


def open_libarchive(request: OpenRequest) -> Opened:
    session = Session(request)
    failed: list[str] = []
    names: list[str] = []
    try:
        with libarchive.memory_reader(request.data) as archive:
            for entry in archive:
                name = _text(entry.pathname)
                if entry.isdir or not name:
                    continue
                if entry.issym or entry.islnk:
                    session.symlinks([(name, _text(entry.linkpath))])
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
                    if request.kind != "rar":  # only RAR members can be locked
                        session.add(name, drained, packed=packed, claimed=claimed)
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
    if failed and request.kind == "onenote":
        _unchecked(session, failed)
    elif failed and request.kind != "rar":
        session.unreadable(request.kind, f"damaged members: {', '.join(failed[:5])}"[:200])
    elif failed:
        session.locked(failed, tried=0)
    return session.opened()
