"""7z archives, encrypted ones included. The only module that imports py7zr.

py7zr writes each member into a writer we supply (`_Sink`), which keeps the first part
and counts the rest through an `Accumulator`; raising from the writer is how a bound
stops py7zr's extraction loop.
"""

from __future__ import annotations

import io

import py7zr
import py7zr.archiveinfo as _headers
import py7zr.py7zr as _core
from py7zr.exceptions import PasswordRequired
from py7zr.io import Py7zIO, WriterFactory

from .interface import Opened, OpenRequest
from .session import CHUNK, Accumulator, Session, escapes_root

# py7zr sizes each decompression step by the machine's free memory (often hundreds of MB),
# and a step is one allocation. Smaller steps make a padded member cost time, not memory.
setattr(_core, "get_memory_limit", lambda: CHUNK)  # noqa: B010 - a module global, on purpose
# py7zr parses the whole file list at open, about 200 bytes per entry, and accepts up to
# 8 million entries from a header of a few kilobytes. No mailed archive needs more than this.
_headers.MAX_NUMFILES = _headers.MAX_SUBSTREAMS = _headers.MAX_NUMFOLDERS = 1 << 17
_headers.MAX_HEADER_SIZE = 1 << 26

_LZMA, _LZMA2, _PPMD = b"\x03\x01\x01", b"\x21", b"\x03\x04\x01"


class _Stop(Exception):
    """A bound was reached while py7zr was writing into a sink."""


class _Sink(Py7zIO):
    def __init__(self, session: Session, acc: Accumulator) -> None:
        self.session = session
        self.acc = acc
        self.done = False

    def write(self, s: bytes | bytearray) -> int:
        if self.session.out_of_time() or not self.acc.feed(bytes(s)):
            raise _Stop
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self.acc.counted

    def close(self) -> None:  # py7zr calls this only when the member was written completely
        self.done = True


class _Sinks(WriterFactory):
    def __init__(self, session: Session, claimed: dict[str, int]) -> None:
        self.session = session
        self.claimed = claimed
        self.made: list[tuple[str, _Sink]] = []
        self._settled = 0

    def settle(self) -> None:
        """Charge finished sinks to the archive's allowance before the next one starts."""
        for _name, sink in self.made[self._settled :]:
            self.session.settle(sink.acc)
        self._settled = len(self.made)

    def create(self, filename: str) -> Py7zIO:
        self.settle()
        packed = len(self.session.request.data)  # solid blocks hide per-member sizes
        acc = self.session.accumulator(packed=packed, claimed=self.claimed.get(filename, -1))
        sink = _Sink(self.session, acc)
        self.made.append((filename, sink))
        return sink


def _decoder_memory(archive: py7zr.SevenZipFile) -> int:
    """The largest dictionary (LZMA) or model (PPMd) the archive's coders ask for."""
    largest = 0
    try:
        folders = archive.header.main_streams.unpackinfo.folders
    except AttributeError:  # no packed streams (only empty files)
        return 0
    for folder in folders:
        for coder in folder.coders:
            method, props = coder.get("method", b""), bytes(coder.get("properties") or b"")
            if method == _LZMA2 and props:
                bits = props[0] & 0x3F
                size = (2 | (bits & 1)) << (bits // 2 + 11) if bits < 40 else 1 << 32
            elif method in (_LZMA, _PPMD) and len(props) >= 5:
                size = int.from_bytes(props[1:5], "little")
            else:
                continue
            largest = max(largest, size)
    return largest


def _open(session: Session, password: str | None) -> py7zr.SevenZipFile:
    # py7zr's own bound on everything it decodes, a backstop behind the sinks' bounds.
    cap = session.limits.max_total_bytes + session.allowance
    return py7zr.SevenZipFile(
        io.BytesIO(session.request.data), password=password, max_extract_size=cap
    )


def _unlock(session: Session) -> tuple[py7zr.SevenZipFile | None, int]:
    """Try the message's candidates; the archive opened with the one that fits."""
    tried = 0
    for password in session.request.passwords:
        if session.out_of_time():
            break
        if tried >= session.max_tries:
            session.too_many_tries()
            break
        tried += 1
        archive: py7zr.SevenZipFile | None = None
        try:
            archive = _open(session, password)
            files = [
                i
                for i in archive.list()
                if i.is_file and not i.is_symlink and not escapes_root(i.filename)
            ]
            if files:  # the smallest member proves the key by its CRC at the least cost
                smallest = min(files, key=lambda i: i.uncompressed)
                archive.extract(targets=[smallest.filename], factory=_Sinks(session, {}))
            archive.reset()
        except _Stop:  # a bound, not a wrong key: the data decoded so far was sound
            if archive is not None:
                archive.close()
            archive = _open(session, password)
        except Exception:  # wrong key: the header or the first member does not decode
            if archive is not None:
                archive.close()
            continue
        session.unlocked(password, tried)
        return archive, tried
    return None, tried


def _extract(session: Session, archive: py7zr.SevenZipFile) -> None:
    traversal: list[str] = []
    links: list[tuple[str, str]] = []
    claimed: dict[str, int] = {}
    for info in archive.list():
        name = info.filename
        if info.is_directory:
            continue
        if escapes_root(name):  # py7zr refuses these names; they are reported, not read
            traversal.append(name)
        elif info.is_symlink:
            links.append((name, "?"))
        elif session.admit(name):
            claimed[name] = info.uncompressed
        elif not session.listing:
            break
    session.traversal(traversal)
    session.symlinks(links)
    if not claimed:
        return
    memory = _decoder_memory(archive)
    if memory > session.decoder_memory:
        session.unreadable("7z", f"its decoder needs {memory} bytes of memory", "skipped")
        return
    sinks = _Sinks(session, claimed)
    error = ""
    try:
        archive.extract(targets=list(claimed), factory=sinks)
    except _Stop:
        pass
    except Exception as exc:  # damaged data: members written before it still count
        error = f"{type(exc).__name__}: {exc}"[:200]
    sinks.settle()
    packed = len(session.request.data)
    for name, sink in sinks.made:
        result = sink.acc.result(finished=sink.done, error="" if sink.done else error)
        if not session.add(name, result, packed=packed, claimed=claimed.get(name, -1)):
            break
    if len(sinks.made) < len(claimed):
        session.mark("broken" if error else "truncated")
    if error:
        session.unreadable("7z", error)


def open_7z(request: OpenRequest) -> Opened:
    session = Session(request)
    names = ["(encrypted file list)"]
    try:
        with _open(session, None) as probe:
            locked = probe.needs_password()
            names = [i.filename for i in probe.list() if not i.is_directory]
    except PasswordRequired:  # the file list itself is encrypted
        locked = True
    except Exception as exc:
        session.unreadable("7z", f"damaged archive ({type(exc).__name__}: {exc})"[:200])
        return session.opened()
    if locked:
        archive, tried = _unlock(session)
        if archive is None:
            session.locked(names, tried)
            return session.opened()
    else:
        archive = _open(session, None)
    with archive:
        _extract(session, archive)
    return session.opened()
