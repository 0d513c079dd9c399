"""Single compressed files (gzip, bzip2, xz): one member, named after the original file."""

from __future__ import annotations

from ..records import replace
from . import decoders
from .interface import Opened, OpenRequest
from .session import Session

# What the container's own name becomes once its compression suffix is removed.
_SUFFIXES = {
    "gzip": ((".tgz", ".tar"), (".gz", ""), (".gzip", "")),
    "bzip2": ((".tbz2", ".tar"), (".tbz", ".tar"), (".bz2", "")),
    "xz": ((".txz", ".tar"), (".xz", "")),
}
_FNAME = 0x08
_FEXTRA = 0x04
_MAX_NAME = 1024


def _stored_name(data: bytes) -> str:
    """The FNAME field of a gzip header (RFC 1952 2.3.1), if the sender's tool wrote one."""
    if len(data) < 10 or not data[3] & _FNAME:
        return ""
    pos = 10
    if data[3] & _FEXTRA:
        pos = 12 + int.from_bytes(data[10:12], "little")
    end = data.find(b"\x00", pos, pos + _MAX_NAME)
    return data[pos:end].decode("latin-1") if end > pos else ""


def _member_name(request: OpenRequest) -> str:
    if request.kind == "gzip":
        stored = _stored_name(request.data)
        if stored:
            return stored.replace("\\", "/").rsplit("/", 1)[-1] or "data"
    own = request.path.rsplit("/", 1)[-1]
    for suffix, replacement in _SUFFIXES.get(request.kind, ()):
        if own.lower().endswith(suffix) and len(own) > len(suffix):
            return own[: -len(suffix)] + replacement
    return "data"


def open_stream(request: OpenRequest) -> Opened:
    session = Session(request)
    data = request.data
    name = _member_name(request)
    if not session.admit(name):
        return session.opened()
    claimed = -1
    if request.kind == "gzip":
        stream = decoders.gzip_member(data)
        # ISIZE: the original size modulo 2**32, as the sender's tool claims it (of the last
        # member when several are concatenated; the bytes counted decide in the end).
        claimed = int.from_bytes(data[-4:], "little") if len(data) >= 18 else -1
    elif request.kind == "bzip2":
        stream = decoders.bzip2(data)
    else:
        stream = decoders.xz(data, memlimit=session.decoder_memory)
    drained = session.drain(stream.read, packed=len(data), claimed=claimed)
    if drained.finished and not stream.complete:
        drained = replace(drained, finished=False, error="the stream ends early")
    if drained.error and not drained.counted:
        session.unreadable(request.kind, f"damaged {request.kind} data ({drained.error})")
        return session.opened()
    session.add(name, drained, packed=len(data), claimed=claimed)
    if drained.error:  # what was read is analysed; the report says the rest is missing
        session.unreadable(request.kind, f"damaged {request.kind} data ({drained.error})")
    return session.opened()
