"""ZIP archives, encrypted ones included. The only module that imports pyzipper.

The stdlib reads the directory, stored and deflated members and ZipCrypto; pyzipper is
used only for WinZip AES members. Members are read through `Session.drain`, with the
claimed size raised out of the way so that the bytes read, not the header, decide how
large a member is. bzip2 and LZMA members are decoded here with bounded steps, because
`zipfile` decompresses them without an output bound.
"""

from __future__ import annotations

import copy
import io
import stat
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pyzipper  # type: ignore[import-untyped, unused-ignore]

from ..names import open_order
from ..records import replace
from . import decoders
from .interface import Opened, OpenRequest
from .session import Drained, Session, display_name, escapes_root

_AES = 99  # WinZip AES: the real method sits in the 0x9901 extra field
_UNBOUNDED = 1 << 62
_SYMLINK_TARGET_BYTES = 1024


class _Locked(Exception):
    """The password at hand does not open this member."""


class _Unsupported(Exception):
    """A compression or encryption method this opener cannot read."""


def is_encrypted(info: zipfile.ZipInfo) -> bool:
    return bool(info.flag_bits & 0x1)


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; without the UTF-8 flag, Japanese Windows tools wrote it in cp932."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:  # zipfile decoded the raw bytes as cp437, which maps every byte: undo that
        return name.encode("cp437").decode("cp932")
    except UnicodeError:
        return name


def _password_bytes(candidates: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    """Each candidate as UTF-8 and, for Japanese text, as cp932 (what Windows tools use)."""
    seen: set[bytes] = set()
    for text in candidates:
        for codec in ("utf-8", "cp932"):
            try:
                raw = text.encode(codec)
            except UnicodeEncodeError:
                continue
            if raw and raw not in seen:
                seen.add(raw)
                yield text, raw


class _ZipReader:
    def __init__(self, session: Session, archive: zipfile.ZipFile) -> None:
        self.session = session
        self.archive = archive
        self.aes: Any = None  # pyzipper.AESZipFile, opened on the first AES member
        self.password: bytes | None = None
        self.gave_up = False
        self.tried = 0
        self.locked: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.problems: list[str] = []
        self.unsupported = False

    # --- one member -------------------------------------------------------------------

    def member(self, index: int, info: zipfile.ZipInfo, name: str) -> None:
        try:
            if not is_encrypted(info):
                drained = self.read(index, info, None)
            elif self.password is not None:
                drained = self.read(index, info, self.password)
                if drained.error:  # another member's password passed the 1-byte check
                    raise _Locked
            elif self.gave_up:
                raise _Locked
            else:
                found = self.unlock(index, info)
                if found is None:
                    raise _Locked
                drained = found
        except _Locked:
            self.locked.append(name)
            return
        except _Unsupported as exc:
            self.unsupported = True
            self.problems.append(f"{display_name(name)}: {exc}")
            return
        except Exception as exc:  # a damaged entry; the rest of the archive may be fine
            self.problems.append(f"{display_name(name)}: {type(exc).__name__}: {exc}"[:160])
            self.session.mark("broken")
            return
        self.session.add(name, drained, packed=info.compress_size, claimed=info.file_size)
        if drained.error:  # kept and analysed as far as it was read
            self.problems.append(f"{display_name(name)}: {drained.error}"[:160])

    def read(self, index: int, info: zipfile.ZipInfo, pwd: bytes | None) -> Drained:
        method = info.compress_type
        if method == _AES:
            return self._read_aes(index, pwd)
        if method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            target = copy.copy(info)
            target.file_size = _UNBOUNDED  # trust bytes read; zipfile still checks the CRC
            try:
                stream = self.archive.open(target, pwd=pwd)
            except RuntimeError as exc:  # "Bad password for file"
                raise _Locked from exc
            with stream:
                return self._drain(stream.read, info)
        if method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA) and pwd is None:
            return self._read_raw(info)
        raise _Unsupported(f"compression method {method}")

    def _drain(self, read: Callable[[int], bytes], info: zipfile.ZipInfo) -> Drained:
        return self.session.drain(read, packed=info.compress_size, claimed=info.file_size)

    def _read_raw(self, info: zipfile.ZipInfo) -> Drained:
        data = memoryview(self.session.request.data)
        start = info.header_offset
        head = bytes(data[start : start + 30])
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise ValueError("bad local header")
        start += 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
        raw = data[start : start + info.compress_size]
        stream = (
            decoders.bzip2(raw, concatenated=False)
            if info.compress_type == zipfile.ZIP_BZIP2
            else decoders.zip_lzma(raw, self.session.decoder_memory)
        )
        drained = self._drain(stream.read, info)
        if drained.finished and drained.crc != info.CRC:
            return replace(drained, finished=False, error="CRC mismatch")
        return drained

    def _read_aes(self, index: int, pwd: bytes | None) -> Drained:
        if pwd is None:
            raise _Locked
        if self.aes is None:
            self.aes = pyzipper.AESZipFile(io.BytesIO(self.session.request.data))
        info = self.aes.infolist()[index]
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Unsupported(f"compression method {info.compress_type} inside AES")
        target = copy.copy(info)
        target.file_size = _UNBOUNDED
        try:
            stream = self.aes.open(target, pwd=pwd)
        except RuntimeError as exc:  # wrong password (verifier mismatch)
            raise _Locked from exc
        with stream:
            return self._drain(stream.read, info)

    # --- passwords ----------------------------------------------------------------------

    def unlock(self, index: int, info: zipfile.ZipInfo) -> Drained | None:
        """Try the message's password candidates on the first encrypted member."""
        session = self.session
        for text, pwd in _password_bytes(session.request.passwords):
            if session.out_of_time():
                break
            if self.tried >= session.max_tries:
                session.too_many_tries()
                break
            self.tried += 1
            try:
                drained = self.read(index, info, pwd)
            except _Locked:
                continue
            except _Unsupported:
                raise
            except Exception:  # inflate error: a wrong key that passed the 1-byte check
                continue
            if drained.error:  # CRC or inflate error: the same
                continue
            self.password = pwd
            session.unlocked(text, self.tried)
            return drained
        self.gave_up = True
        return None

    # --- names and links ----------------------------------------------------------------

    def symlink(self, info: zipfile.ZipInfo, name: str) -> None:
        target = ""
        if not is_encrypted(info) and info.compress_type in (0, 8):
            try:
                with self.archive.open(info) as stream:
                    raw = stream.read(_SYMLINK_TARGET_BYTES)
                target = raw.decode("utf-8", "replace")
            except Exception:  # the link itself is the finding; its target is a detail
                target = "?"
        self.links.append((name, target))

    def finish(self) -> None:
        self.session.symlinks(self.links)
        self.session.locked(self.locked, self.tried)
        if self.problems:
            self.session.unreadable(
                "zip",
                "; ".join(self.problems[:5]),
                status="skipped" if self.unsupported else "broken",
            )


def _in_order(session: Session, infos: list[zipfile.ZipInfo]) -> list[tuple[int, zipfile.ZipInfo]]:
    """Members in stored order, or, when a bound will stop the walk before the end, those
    whose names run code first: a thousand padding files must not push the payload out."""
    order = list(enumerate(infos))
    budget = session.budget
    room = min(session.limits.max_archive_members, session.limits.max_parts - budget.parts)
    if len(order) > room:
        order.sort(key=lambda pair: open_order(member_name(pair[1])))
    return order


def open_zip(request: OpenRequest) -> Opened:
    session = Session(request)
    try:
        archive = zipfile.ZipFile(io.BytesIO(request.data))
        infos = archive.infolist()
    except Exception as exc:  # not a readable zip directory at all
        session.unreadable("zip", f"damaged archive ({type(exc).__name__}: {exc})"[:200])
        return session.opened()
    session.traversal([i.orig_filename for i in infos if escapes_root(i.orig_filename)])
    reader = _ZipReader(session, archive)
    with archive:
        for index, info in _in_order(session, infos):
            if info.filename.endswith("/"):  # a folder (ZipInfo.is_dir fails on empty names)
                continue
            name = member_name(info) or f"member-{index + 1}"
            if not session.admit(name):
                if session.listing:
                    continue
                break
            if stat.S_ISLNK(info.external_attr >> 16):
                reader.symlink(info, name)
            else:
                reader.member(index, info, name)
    reader.finish()
    return session.opened()
