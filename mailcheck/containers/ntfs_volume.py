"""NTFS file systems inside disk images. The only importer of dissect.ntfs.

dissect.ntfs parses the structures (boot sector, MFT records and their fixups, attribute
headers, runlists, index entry headers); the walk is ours. The library's own walk has no
bounds a hostile volume cannot defeat: opening a volume looks files up by path through the
index B-tree (a node that points to itself never ends), an index is read buffer by buffer up
to whatever size its attribute claims, an attribute list follows records on demand, a run
may claim 2^60 clusters, and a reparse point is followed to its target. So records are parsed
here without a volume behind them (the library then opens nothing by itself), and every
stream is built from runs checked against the volume and cut at what the member bound needs.
Records read, index buffers, entries and folder depth are bounded; a record met twice (a
folder inside itself, hard links) is read once; reparse points (junctions, symbolic links)
are named, never followed.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from typing import Any, BinaryIO

from dissect.ntfs.attr import AttributeHeader, ReparsePoint
from dissect.ntfs.c_ntfs import c_ntfs
from dissect.ntfs.mft import MftRecord
from dissect.ntfs.util import apply_fixup, segment_reference
from dissect.util.stream import RunlistStream

from .session import CHUNK, Drained, Session

# Attribute type codes and flags (MS-FSCC, the NTFS documentation).
_LIST, _FILE_NAME, _DATA = 0x20, 0x30, 0x80
_INDEX_ROOT, _INDEX_ALLOCATION, _BITMAP, _REPARSE = 0x90, 0xA0, 0xB0, 0xC0
_END = 0xFFFF_FFFF
_COMPRESSED = 0x00FF  # attribute flags: compressed data (not read here)
_IN_USE, _DIRECTORY = 0x01, 0x02  # record flags
_ENTRY_END = 0x02  # index entry flags
_DOS_NAME = 0x02  # a file name that is only the 8.3 alias of another
_ROOT = 5
_METAFILES = 16  # records 0-15 hold $MFT, $Bitmap, $Extend...: never files of the user
_I30 = "$I30"
_ZONE = "zone.identifier"  # the mark of the web a download gets: not content

_MAX_RECORDS = 200_000  # MFT records read per volume
_MAX_ENTRIES = 500_000  # index entries read per volume
_MAX_BUFFERS = 32_768  # index buffers read per volume (128 MiB of 4 KiB buffers)
_MAX_DEPTH = 32
_MAX_ATTRIBUTES = 256  # attribute headers in one record
_MAX_EXTENSIONS = 64  # records an attribute list may add to one file
_MAX_LIST_BYTES = 256 * 1024  # an attribute list
_FILE_NAME_KEY = 66  # bytes of a $FILE_NAME before its name


class _Damage(Exception):
    """A structure that cannot be what it claims: the part that needs it is unreadable."""


class _Bound(Exception):
    """A per-volume bound was reached: the walk ends, what was read is kept."""


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, _Damage) else f"{type(exc).__name__}: {exc}"


def is_ntfs(sector: bytes) -> bool:
    return sector[3:11] == b"NTFS    "


def _power_of_two(value: int, low: int, high: int) -> bool:
    return low <= value <= high and value & (value - 1) == 0


def _size_code(code: int, cluster: int) -> int:
    """A record or index buffer size from the boot sector: clusters, or 2^-code bytes."""
    return 1 << -code if code < 0 else code * cluster


_Attr = tuple[int, str, AttributeHeader]  # type code, name, header


class _Record:
    """One file's MFT record with the attributes its attribute list adds."""

    def __init__(self, segment: int, record: MftRecord, headers: list[_Attr]):
        self.segment = segment
        self.record = record
        self.headers = headers

    @property
    def is_dir(self) -> bool:
        return bool(int(self.record.header.Flags) & _DIRECTORY)

    def find(self, kind: int, name: str | None = None) -> list[AttributeHeader]:
        """The attributes of one type (and name, case-insensitive), lowest VCN first."""
        found = [
            h
            for t, n, h in self.headers
            if t == kind and (name is None or n.lower() == name.lower())
        ]
        return sorted(found, key=lambda h: 0 if h.resident else int(h.lowest_vcn or 0))

    def names(self, kind: int) -> set[str]:
        return {n for t, n, _h in self.headers if t == kind}


def _headers(record: MftRecord) -> list[_Attr]:
    """The attribute headers of one record, read within its bytes (no volume behind them)."""
    data: bytes = record.data or b""
    fh = io.BytesIO(data)
    offset = int(record.header.FirstAttributeOffset)
    headers: list[_Attr] = []
    while offset + 16 <= len(data):
        if len(headers) >= _MAX_ATTRIBUTES:
            raise _Damage("too many attributes in one record")
        try:
            header = AttributeHeader(fh, offset, record)
        except EOFError:
            break
        if int(header.header.TypeCode) == _END:
            break
        length = int(header.record_length)
        if length < 16 or offset + length > len(data):
            raise _Damage("attribute length out of its record")
        at = offset + int(header.header.NameOffset)
        name = data[at : at + 2 * int(header.header.NameLength)].decode("utf-16-le", "replace")
        headers.append((int(header.header.TypeCode), name, header))
        offset += length
    return headers


class _Volume:
    def __init__(self, session: Session, fh: BinaryIO, prefix: str) -> None:
        self.session = session
        self.fh = fh
        self.prefix = prefix
        self.problems: list[str] = []
        self.records_read = 0
        self.entries_read = 0
        self.buffers_read = 0
        fh.seek(0)
        boot: Any = c_ntfs.BOOT_SECTOR(fh.read(512))
        sector = int(boot.Bpb.BytesPerSector)
        per_cluster = int(boot.Bpb.SectorsPerCluster)
        per_cluster = 1 << -per_cluster if per_cluster < 0 else per_cluster
        self.cluster = sector * per_cluster
        self.record_size = _size_code(int(boot.ClustersPerFileRecordSegment), self.cluster)
        if not _power_of_two(sector, 256, 4096) or not _power_of_two(self.cluster, 256, 1 << 21):
            geometry = f"{sector}-byte sectors, {self.cluster}-byte clusters"
            raise _Damage(f"impossible geometry ({geometry})")
        if not _power_of_two(self.record_size, 512, 4096):
            raise _Damage(f"impossible {self.record_size}-byte MFT records")
        self.clusters = fh.seek(0, io.SEEK_END) // self.cluster
        self.mft: BinaryIO = io.BytesIO()
        self.mft_records = 1
        # $MFT is record 0 of itself: read it where the boot sector says, then open the table.
        fh.seek(int(boot.MftStartLcn) * self.cluster)
        first = self._parse(0, fh.read(self.record_size))
        self.mft, size = self.stream(first.find(_DATA, ""), _MAX_RECORDS * self.record_size)
        self.mft_records = size // self.record_size

    # --- records and streams ---------------------------------------------------------------

    def _parse(self, segment: int, raw: bytes) -> _Record:
        if len(raw) < self.record_size:
            raise _Damage(f"record {segment} is past the end of the volume")
        try:
            record = MftRecord.from_bytes(raw)  # no volume: the library opens nothing itself
            record.segment = segment
            headers = _headers(record)
        except _Damage:
            raise
        except Exception as exc:  # bad signature, fixups that do not match
            raise _Damage(f"record {segment}: {type(exc).__name__}: {exc}") from exc
        return _Record(segment, record, headers)

    def raw_record(self, segment: int) -> _Record:
        if not 0 <= segment < self.mft_records:
            raise _Damage(f"record {segment} is past the end of the MFT")
        self.records_read += 1
        if self.records_read > _MAX_RECORDS:
            raise _Bound(f"more than {_MAX_RECORDS} MFT records")
        self.mft.seek(segment * self.record_size)
        return self._parse(segment, self.mft.read(self.record_size))

    def record(self, segment: int) -> _Record:
        """A file's record in use, with what its attribute list adds from other records."""
        found = self.raw_record(segment)
        header = found.record.header
        if not int(header.Flags) & _IN_USE:
            raise _Damage(f"record {segment} is not in use")
        if segment_reference(header.BaseFileRecordSegment):
            raise _Damage(f"record {segment} is an extension, not a file")
        lists = found.find(_LIST)
        if lists:
            self._extend(found, lists[0])
        return found

    def _extend(self, found: _Record, listed: AttributeHeader) -> None:
        if listed.resident:
            raw = listed.open().read(_MAX_LIST_BYTES)
        else:
            stream, _size = self.stream([listed], _MAX_LIST_BYTES)
            raw = stream.read(_MAX_LIST_BYTES)
        segments: list[int] = []
        at = 0
        while at + 26 <= len(raw):
            (length,) = struct.unpack_from("<H", raw, at + 4)
            segment = int.from_bytes(raw[at + 16 : at + 22], "little")
            if segment != found.segment and segment not in segments:
                segments.append(segment)
            if length < 26:
                break
            at += length
        for segment in segments[:_MAX_EXTENSIONS]:
            extension = self.raw_record(segment)
            base = segment_reference(extension.record.header.BaseFileRecordSegment)
            if base != found.segment:
                raise _Damage(f"record {segment} is listed by record {found.segment}, not its own")
            found.headers.extend(extension.headers)
        if len(segments) > _MAX_EXTENSIONS:
            raise _Damage(f"record {found.segment} lists more than {_MAX_EXTENSIONS} records")

    def stream(self, attrs: list[AttributeHeader], wanted: int) -> tuple[BinaryIO, int]:
        """A stream of the attribute's data, at most `wanted` bytes of it, and its size."""
        if not attrs:
            raise _Damage("no such stream")
        first = attrs[0]
        if first.resident:
            form = first.header.Form.Resident
            if first.offset + int(form.ValueOffset) + int(form.ValueLength) > self.record_size:
                raise _Damage("resident data past the end of its record")
            return first.open(), min(int(first.size), wanted)
        if int(first.flags) & _COMPRESSED:
            raise _Damage("compressed by NTFS, not read")
        claimed = max(0, int(first.size))
        need = -(-min(claimed, wanted) // self.cluster)
        runs: list[tuple[int | None, int]] = []
        covered = 0
        for header in attrs:
            if covered >= need:
                break
            if header.resident:
                raise _Damage("a stream both resident and not")
            for lcn, count in header.dataruns():
                if covered >= need:
                    break
                take = min(int(count), need - covered)
                if take <= 0:
                    raise _Damage("a data run of no clusters")
                if lcn is not None and not 0 <= lcn <= lcn + take <= self.clusters:
                    raise _Damage("a data run outside the volume")
                runs.append((lcn, take))
                covered += take
        size = min(claimed, wanted, covered * self.cluster)
        stream: BinaryIO = RunlistStream(self.fh, runs, size, self.cluster)
        return stream, size

    # --- folders ---------------------------------------------------------------------------

    def entries(self, folder: _Record) -> Iterator[tuple[int, int, str]]:
        """(record, file attributes, name) of each entry of a folder's file-name index."""
        roots = folder.find(_INDEX_ROOT, _I30)
        if not roots or not roots[0].resident:
            raise _Damage("no file-name index")
        root = roots[0].open().read(self.record_size)
        header: Any = c_ntfs._INDEX_ROOT(root)
        start = 16 + int(header.IndexHeader.FirstEntryOffset)
        yield from self._keys(root, start, start + int(header.IndexHeader.TotalSizeOfEntries))
        allocation = folder.find(_INDEX_ALLOCATION, _I30)
        if not allocation:
            return
        size = int(header.BytesPerIndexBuffer)
        if not _power_of_two(size, 512, 65536):
            raise _Damage(f"{size}-byte index buffers")
        stream, total = self.stream(allocation, _MAX_BUFFERS * size)
        in_use = self._bitmap(folder)
        count = total // size if in_use is None else min(total // size, 8 * len(in_use))
        for index in range(count):
            self.buffers_read += 1  # a buffer the bitmap leaves out counts too: no free walk
            if self.buffers_read > _MAX_BUFFERS:
                raise _Bound(f"more than {_MAX_BUFFERS} index buffers")
            if self.session.out_of_time():
                return
            if in_use is not None and not in_use[index // 8] >> (index % 8) & 1:
                continue
            stream.seek(index * size)
            raw = stream.read(size)
            try:
                if raw[:4] != b"INDX":
                    raise _Damage("not an index buffer")
                data = apply_fixup(raw)
                buffer: Any = c_ntfs._INDEX_ALLOCATION_BUFFER(data)
            except Exception as exc:  # a damaged buffer: the folder's others still count
                self.problems.append(f"index buffer {index}: {type(exc).__name__}: {exc}"[:200])
                continue
            begin = 0x18 + int(buffer.IndexHeader.FirstEntryOffset)
            yield from self._keys(data, begin, begin + int(buffer.IndexHeader.TotalSizeOfEntries))

    def _bitmap(self, folder: _Record) -> bytes | None:
        bitmaps = folder.find(_BITMAP, _I30)
        if not bitmaps:
            return None
        stream, size = self.stream(bitmaps, _MAX_BUFFERS // 8)
        return stream.read(size)

    def _keys(self, data: bytes, at: int, end: int) -> Iterator[tuple[int, int, str]]:
        end = min(end, len(data))
        while at + 16 <= end:
            entry: Any = c_ntfs._INDEX_ENTRY(data[at : at + 16])
            length, key_length = int(entry.Length), int(entry.KeyLength)
            if int(entry.Flags) & _ENTRY_END:
                return
            self.entries_read += 1
            if self.entries_read > _MAX_ENTRIES:
                raise _Bound(f"more than {_MAX_ENTRIES} index entries")
            if length < 16 or at + length > len(data) or key_length < _FILE_NAME_KEY:
                raise _Damage("malformed index entry")
            key = data[at + 16 : at + 16 + key_length]
            (attributes,) = struct.unpack_from("<I", key, 56)
            count, flags = key[64], key[65]
            if flags != _DOS_NAME:
                name = key[66 : 66 + 2 * count].decode("utf-16-le", "replace")
                yield segment_reference(entry.FileReference), attributes, name
            at += length

    # --- the walk --------------------------------------------------------------------------

    def walk(self) -> None:
        session = self.session
        seen = {_ROOT}
        stack: list[tuple[int, str, int]] = [(_ROOT, "", 0)]
        while stack and not session.stopped:
            segment, path, depth = stack.pop()
            try:
                folder = self.record(segment)
                if not folder.is_dir:
                    raise _Damage("not a folder")
                for child, attributes, name in self.entries(folder):
                    if session.out_of_time():
                        return
                    if name in ("", ".", ".."):
                        continue  # the root's entry for itself
                    if child < _METAFILES and name.startswith("$"):
                        continue  # $MFT, $Extend...: the file system's own
                    shown = f"{self.prefix}{path}{name}"
                    if child in seen:
                        if attributes & 0x1000_0000:  # a folder met twice: a loop
                            self.problems.append(f"{shown}: folder loops")
                        continue  # a second name of a file read already
                    seen.add(child)
                    if not self.child(child, shown, f"{path}{name}/", depth, stack):
                        return
            except _Bound:
                raise
            except Exception as exc:  # a damaged folder: the others may be fine
                self.problems.append(f"{path or '/'}: {_reason(exc)}"[:200])

    def child(
        self, segment: int, shown: str, path: str, depth: int, stack: list[tuple[int, str, int]]
    ) -> bool:
        """Read one entry: a folder is queued, a file added; False once the walk must end."""
        try:
            found = self.record(segment)
            reparse = found.find(_REPARSE)
        except _Bound:
            raise
        except Exception as exc:  # the name is still a member: it alone can be a shortcut
            self.problems.append(f"{shown}: {_reason(exc)}"[:200])
            return self.add(shown, None, [])
        if reparse:
            self.problems.append(f"{shown}: {self._reparse(reparse[0])}, not followed"[:200])
            return True if found.is_dir else self.add(shown, None, [])
        if found.is_dir:
            if depth >= _MAX_DEPTH:
                self.problems.append(f"{shown}: folders nest too deep")
            else:
                stack.append((segment, path, depth + 1))
            return True
        if not self.add(shown, found, found.find(_DATA, "")):
            return False
        for stream in sorted(found.names(_DATA) - {""}):
            if stream.lower() != _ZONE and not self.add(
                f"{shown}:{stream}", found, found.find(_DATA, stream)
            ):
                return False
        return True

    def _reparse(self, header: AttributeHeader) -> str:
        """What a reparse point says it is: a junction or link and its target, or its tag."""
        try:
            raw = header.open().read(4096) if header.resident else b""
            point = ReparsePoint(io.BytesIO(raw))
            target = point.print_name or point.substitute_name
            tag = int(point.attr.ReparseTag)
        except Exception:  # an unreadable reparse point is still one
            return "reparse point"
        kind = {0xA000_0003: "junction", 0xA000_000C: "symbolic link"}.get(tag, f"tag {tag:#x}")
        return f"reparse point ({kind} to {target})" if target else f"reparse point ({kind})"

    def add(self, name: str, found: _Record | None, data: list[AttributeHeader]) -> bool:
        """One member through the session; an unreadable stream keeps its name."""
        session = self.session
        if not session.admit(name):
            return session.listing  # past a bound: the rest is still walked for names
        claimed = max(0, int(data[0].size)) if data else 0
        wanted = min(claimed, session.keep + CHUNK)  # what is read is bounded; the claim is kept
        error = ""
        if found is not None and not data:
            error = "no data stream"
        elif found is not None:
            try:
                stream, _size = self.stream(data, wanted)
                drained = session.drain(stream.read, packed=claimed, claimed=claimed)
            except _Bound:
                raise
            except Exception as exc:  # runs outside the volume, bad runlists
                error = _reason(exc)
        if found is None or error:
            if error:
                self.problems.append(f"{name}: {error}"[:200])
            drained = Drained(
                data=b"", counted=0, crc=0, finished=False, ratio_cut=False, error=error[:200]
            )
        session.add(name, drained, packed=max(claimed, 1), claimed=claimed)
        return True


def walk_ntfs(session: Session, fh: BinaryIO, prefix: str = "") -> list[str]:
    """Add every file of the NTFS volume in `fh` as a member; what could not be read, said."""
    try:
        volume = _Volume(session, fh, prefix)
    except Exception as exc:  # no MFT to start from
        return [f"damaged NTFS volume ({_reason(exc)})"[:200]]
    try:
        volume.walk()
    except _Bound as exc:
        volume.problems.append(f"NTFS volume: {exc}; the rest was not read")
    except Exception as exc:  # a library failure mid-walk: keep the files read so far
        volume.problems.append(f"damaged NTFS volume ({type(exc).__name__}: {exc})"[:200])
    return volume.problems
