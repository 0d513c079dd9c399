"""VHD and VHDX disk images, and raw disk images (.img) that hold a partition table or a bare
FAT or NTFS volume. The only importer of dissect.hypervisor.

Windows mounts a .vhd or .vhdx with a double click, and malspam of 2021-2022 used them as it
used ISO images: to carry a shortcut or program past filters that did not look inside. The
disk is read through dissect.hypervisor (VHD fixed and dynamic, VHDX), the volumes are found
through the MBR or GPT (or the disk is one bare volume), and every FAT or NTFS volume's files
become members through `fat_volume` or `ntfs_volume`. Other file systems (exFAT, BitLocker)
are named as not read.
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

from dissect.util.stream import RangeStream

from .fat_volume import is_fat, walk_fat
from .interface import Opened, OpenRequest
from .ntfs_volume import is_ntfs, walk_ntfs
from .session import Session

SECTOR = 512
_MBR_EXTENDED = frozenset({0x05, 0x0F, 0x85})
_GPT_PROTECTIVE = 0xEE
_MAX_GPT_ENTRIES = 128
_ISO_OFFSETS = (0x8001, 0x8801, 0x9001)
_ISO_MAGIC = (b"CD001", b"BEA01", b"NSR02", b"NSR03")
# What a volume's boot sector says it is: NTFS is read, the others are named but not read.
_NAMED = ((3, b"NTFS    ", "NTFS"), (3, b"EXFAT   ", "exFAT"), (3, b"-FVE-FS-", "BitLocker"))


def is_optical(data: bytes) -> bool:
    """True when `data` carries ISO 9660 or UDF descriptors (read by `disk_image` instead)."""
    return any(data[o : o + 5] in _ISO_MAGIC for o in _ISO_OFFSETS)


def _disk(request: OpenRequest) -> BinaryIO:
    # A BytesIO has no file name: dissect never looks for a differencing disk's parent
    # beside it on the scanning host, and such a disk fails to open instead.
    raw = io.BytesIO(request.data)
    if request.kind == "vhd":
        from dissect.hypervisor.disk.vhd import VHD

        vhd: BinaryIO = VHD(raw)
        return vhd
    if request.kind == "vhdx":
        from dissect.hypervisor.disk.vhdx import VHDX

        vhdx: BinaryIO = VHDX(raw)
        return vhdx
    return raw


def _read(disk: BinaryIO, offset: int, size: int) -> bytes:
    disk.seek(offset)
    return disk.read(size)


def _gpt(disk: BinaryIO) -> list[tuple[int, int]]:
    header = _read(disk, SECTOR, 92)
    if header[:8] != b"EFI PART":
        return []
    table, count, size = struct.unpack_from("<QII", header, 72)
    if not 128 <= size <= 4096:
        return []
    count = min(count, _MAX_GPT_ENTRIES)
    raw = _read(disk, table * SECTOR, count * size)
    volumes = []
    for at in range(0, len(raw) - size + 1, size):
        if raw[at : at + 16] == bytes(16):
            continue
        first, last = struct.unpack_from("<QQ", raw, at + 32)
        if last >= first > 0:
            volumes.append((first * SECTOR, (last - first + 1) * SECTOR))
    return volumes


def volumes(disk: BinaryIO) -> list[tuple[int, int]]:
    """(offset, size) of each volume: the MBR's or GPT's partitions, or the disk itself."""
    sector = _read(disk, 0, SECTOR)
    if is_fat(sector) or any(sector[at : at + len(m)] == m for at, m, _ in _NAMED):
        return [(0, -1)]
    if sector[510:512] != b"\x55\xaa":
        return []
    found = []
    for index in range(4):
        status, kind, start, count = struct.unpack_from("<B3xB3xII", sector, 446 + 16 * index)
        if kind == _GPT_PROTECTIVE:
            return _gpt(disk)
        if kind and kind not in _MBR_EXTENDED and count and status in (0x00, 0x80):
            found.append((start * SECTOR, count * SECTOR))
    return found


def open_virtual_disk(request: OpenRequest) -> Opened:
    session = Session(request)
    fmt = request.kind
    try:
        disk = _disk(request)
        found = volumes(disk)
    except Exception as exc:  # damaged headers, a differencing disk without its parent
        session.unreadable(fmt, f"not a readable {fmt} image ({type(exc).__name__}: {exc})"[:200])
        return session.opened()
    if not found:
        session.unreadable(fmt, "no partition table or file system found", "skipped")
        return session.opened()
    problems: list[str] = []
    for index, (offset, size) in enumerate(found):
        if session.stopped:
            break
        prefix = f"partition{index + 1}/" if len(found) > 1 else ""
        try:
            volume: BinaryIO = disk if size < 0 else RangeStream(disk, offset, size)
            sector = _read(volume, 0, SECTOR)
        except Exception as exc:  # a partition past the end of the disk
            problems.append(f"partition {index + 1}: {type(exc).__name__}: {exc}")
            continue
        if is_fat(sector):
            problems.extend(walk_fat(session, volume, prefix))
            continue
        if is_ntfs(sector):
            problems.extend(walk_ntfs(session, volume, prefix))
            continue
        named = [label for at, magic, label in _NAMED if sector[at : at + len(magic)] == magic]
        what = f"{named[0]} volume" if named else "no FAT or NTFS file system"
        session.unreadable(
            fmt, f"partition {index + 1}: {what}, its files were not read", "skipped"
        )
    if problems:
        session.unreadable(fmt, "; ".join(problems[:5])[:200])
    return session.opened()
