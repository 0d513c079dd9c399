"""FAT12/16/32 file systems inside disk images. The only importer of dissect.fat.

dissect.fat reads the boot sector and the directory entries (long names included); the
cluster chains and the directory walk are ours, because a hostile volume can chain a
cluster to itself, nest a folder inside itself or fill a folder with millions of entries,
and the library follows all of those without an end. Every chain here stops at a cluster
seen before and at the length the file needs; every folder at the 65,536 entries FAT allows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from dissect.fat.fat import FATFS, DirectoryEntry
from dissect.util.stream import RunlistStream

from .session import CHUNK, Drained, Session

_DIR_ENTRIES = 65_536  # the most one FAT folder may hold
_LONG_NAME_RUN = 20  # long-name entries of a 255-character name
_MAX_DEPTH = 32
_ATTR_LONG_NAME, _ATTR_VOLUME, _ATTR_DIRECTORY = 0x0F, 0x08, 0x10
# FAT values at and above these end a chain (reserved, bad cluster, end of chain).
_CHAIN_END = {12: 0xFF0, 16: 0xFFF0, 32: 0x0FFF_FFF0}
_BAD = {12: 0xFF7, 16: 0xFFF7, 32: 0x0FFF_FFF7}


def is_fat(sector: bytes) -> bool:
    """True when `sector` is a FAT boot sector dissect.fat accepts."""
    from dissect.fat.fat import validate_bpb

    try:
        validate_bpb(sector[:512])
    except Exception:  # any malformed field: not FAT
        return False
    return sector[510:512] == b"\x55\xaa" or sector[54:57] == b"FAT" or sector[82:85] == b"FAT"


def _checksum(short: bytes) -> int:
    total = 0
    for byte in short:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


def _long_name_start(raw: bytes, at: int, run_start: int) -> int:
    """Where the long name of the entry at `at` starts: the entries just before it that carry
    its short name's checksum, at most a 255-character name's worth."""
    checksum = _checksum(raw[at : at + 11])
    begin = at
    while begin - 32 >= run_start and at - begin < _LONG_NAME_RUN * 32:
        if raw[begin - 32 + 13] != checksum:
            break
        begin -= 32
    return begin


class _Volume:
    def __init__(self, session: Session, fh: BinaryIO, prefix: str) -> None:
        self.session = session
        self.fs: Any = FATFS(fh)
        self.prefix = prefix
        self.bits = int(self.fs.fat.bits_per_entry)
        self.cluster = int(self.fs.cluster_size)
        self.problems: list[str] = []
        self.seen_dirs: set[int] = set()

    # --- clusters ------------------------------------------------------------------------

    def runs(self, start: int, max_clusters: int, name: str) -> tuple[list[tuple[int, int]], int]:
        """The runs of `start`'s chain, at most `max_clusters` long, and their cluster count."""
        runs: list[tuple[int, int]] = []
        seen: set[int] = set()
        cluster = start
        while len(seen) < max_clusters:
            if not 2 <= cluster < _CHAIN_END[self.bits]:
                self.problems.append(f"{name}: chain leaves the data area")
                break
            if cluster in seen:
                self.problems.append(f"{name}: cluster chain loops")
                break
            seen.add(cluster)
            if runs and runs[-1][0] + runs[-1][1] == cluster - 2:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((cluster - 2, 1))
            value = int(self.fs.fat.get(cluster))
            if value == _BAD[self.bits] or value < 2:
                self.problems.append(f"{name}: chain reaches a free or bad cluster")
                break
            if value >= _CHAIN_END[self.bits]:
                break
            cluster = value
        return runs, len(seen)

    def stream(self, runs: list[tuple[int, int]], size: int) -> BinaryIO:
        stream: BinaryIO = RunlistStream(self.fs.data_stream, runs, size, self.cluster)
        return stream

    # --- folders -------------------------------------------------------------------------

    def folder_bytes(self, entry: Any) -> bytes:
        limit = -(-_DIR_ENTRIES * 32 // self.cluster)
        if entry is self.fs.root and self.bits != 32:
            raw: bytes = entry.open().read(_DIR_ENTRIES * 32)  # fixed root area
            return raw
        start = int(self.fs.bpb_ext.BPB_RootClus if entry is self.fs.root else entry.cluster)
        runs, count = self.runs(start, limit, entry.name)
        return self.stream(runs, count * self.cluster).read()

    def entries(self, raw: bytes, parent: Any) -> Iterator[Any]:
        """The entries of one folder's bytes; each long name is a bounded run before its entry."""
        run_start: int | None = None
        for at in range(0, len(raw) - 31, 32):
            first, attr = raw[at], raw[at + 11]
            if first == 0:
                return
            if first == 0xE5:
                run_start = None
                continue
            if attr & 0x3F == _ATTR_LONG_NAME:
                run_start = at if run_start is None else run_start
                continue
            begin = at if run_start is None else _long_name_start(raw, at, run_start)
            run_start = None
            try:
                yield DirectoryEntry(self.fs, io.BytesIO(raw[begin : at + 32]), parent)
            except Exception:  # a malformed entry: the folder's other entries still count
                try:
                    yield DirectoryEntry(self.fs, io.BytesIO(raw[at : at + 32]), parent)
                except Exception:  # not even its short name
                    self.problems.append(f"malformed entry in {getattr(parent, 'name', '?')}")

    # --- the walk --------------------------------------------------------------------------

    def walk(self) -> None:
        session = self.session
        stack: list[tuple[Any, str, int]] = [(self.fs.root, "", 0)]
        while stack and not session.stopped:
            folder, path, depth = stack.pop()
            try:
                raw = self.folder_bytes(folder)
            except Exception as exc:  # a damaged folder: the others may be fine
                self.problems.append(f"{path or '/'}: {type(exc).__name__}: {exc}"[:200])
                continue
            for entry in self.entries(raw, folder):
                if session.out_of_time():
                    return
                name = str(entry.name or entry.short_name or "")
                attr = int(entry.dirent.DIR_Attr)
                if name in ("", ".", "..") or (attr & _ATTR_VOLUME and not attr & _ATTR_DIRECTORY):
                    continue
                shown = f"{self.prefix}{path}{name}"
                if attr & _ATTR_DIRECTORY:
                    start = int(entry.cluster)
                    if start in self.seen_dirs or start < 2 or depth >= _MAX_DEPTH:
                        self.problems.append(f"{shown}: folder loops or nests too deep")
                        continue
                    self.seen_dirs.add(start)
                    stack.append((entry, f"{path}{name}/", depth + 1))
                elif not self.file(entry, shown):
                    return

    def file(self, entry: Any, name: str) -> bool:
        session = self.session
        if not session.admit(name):
            return session.listing  # past a bound: the rest is still walked for names
        claimed = int(entry.dirent.DIR_FileSize)
        wanted = min(claimed, session.keep + CHUNK)  # what is read is bounded; the claim is kept
        drained: Drained
        try:
            runs, count = (
                self.runs(int(entry.cluster), -(-wanted // self.cluster), name)
                if wanted
                else ([], 0)
            )
            size = min(wanted, count * self.cluster)
            if size < wanted:
                self.problems.append(f"{name}: {size} of {claimed} bytes on the volume")
            drained = session.drain(self.stream(runs, size).read, packed=claimed, claimed=claimed)
        except Exception as exc:  # damaged FAT: the name is still a member
            error = f"{type(exc).__name__}: {exc}"[:200]
            self.problems.append(f"{name}: {error}")
            drained = Drained(
                data=b"", counted=0, crc=0, finished=False, ratio_cut=False, error=error
            )
        session.add(name, drained, packed=max(claimed, 1), claimed=claimed)
        return True


def walk_fat(session: Session, fh: BinaryIO, prefix: str = "") -> list[str]:
    """Add every file of the FAT volume in `fh` as a member; what could not be read, said."""
    volume = _Volume(session, fh, prefix)
    try:
        volume.walk()
    except Exception as exc:  # a damaged folder: keep the files read so far
        volume.problems.append(f"damaged FAT volume ({type(exc).__name__}: {exc})"[:200])
    return volume.problems
