"""Disk images built in code: a FAT12 file system, an MBR around it, and the VHD (fixed and
dynamic) and VHDX containers Windows mounts with a double click; NTFS volumes made by ntfs-3g.

Nothing installed writes FAT, VHD or VHDX, so these are small writers of the published
layouts (Microsoft's FAT specification, the VHD format specification, [MS-VHDX]). They write
only what a reader needs; checksums are filled in where readers may check them. NTFS is too
large to write by hand: `build_ntfs` runs Debian's ntfs-3g tools on a file (mkntfs, ntfscp,
and libntfs-3g for folders), never mounting anything; `ntfs_missing` says when they are absent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import struct
import subprocess
import tempfile
import uuid
from pathlib import Path

SECTOR = 512
_EOC12 = 0xFFF
# Fixed identities and times: the same members always give the same bytes.
_DOS_TIME, _DOS_DATE = 0x5421, 0x5721  # 2023-09-01 10:33:02
_VHD_TIME = 0x2C8B_4C00  # seconds since 2000-01-01
_DISK_ID = uuid.UUID("6a1c3d2e-0000-4000-8000-00000000d15c")


# --- FAT12 ------------------------------------------------------------------------------------


def _short_name(index: int, name: str, is_dir: bool) -> bytes:
    """An 8.3 name of our own ("F0001   LNK"); the real name goes in long-name entries."""
    ext = "" if is_dir or "." not in name else name.rsplit(".", 1)[1][:3].upper()
    return f"F{index:04d}".ljust(8).encode("ascii") + ext.ljust(3).encode("ascii")


def _lfn_checksum(short: bytes) -> int:
    total = 0
    for byte in short:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


def _long_entries(name: str, short: bytes) -> bytes:
    units = name.encode("utf-16-le")
    pieces = [units[i : i + 26] for i in range(0, len(units), 26)]
    if len(pieces[-1]) < 26:  # terminated by one NUL, padded with 0xFFFF
        pieces[-1] = (pieces[-1] + b"\x00\x00" + b"\xff" * 26)[:26]
    out = b""
    checksum = _lfn_checksum(short)
    for ordinal in range(len(pieces), 0, -1):  # stored last piece first
        piece = pieces[ordinal - 1]
        flag = 0x40 if ordinal == len(pieces) else 0
        out += (
            bytes((ordinal | flag,))
            + piece[:10]
            + bytes((0x0F, 0, checksum))
            + piece[10:22]
            + b"\x00\x00"
            + piece[22:26]
        )
    return out


def _dirent(short: bytes, attr: int, cluster: int, size: int) -> bytes:
    return short + struct.pack(
        "<BBBHHHHHHHI",
        attr,
        0,
        0,
        _DOS_TIME,
        _DOS_DATE,
        _DOS_DATE,
        0,
        _DOS_TIME,
        _DOS_DATE,
        cluster,
        size,
    )


def _set_fat12(table: bytearray, base: int, cluster: int, value: int) -> None:
    """Entry `cluster` of the FAT at `base`: 12 bits, two entries in three bytes."""
    at = base + cluster * 3 // 2
    word = int.from_bytes(table[at : at + 2], "little")
    word = (word & 0x000F) | (value << 4) if cluster & 1 else (word & 0xF000) | value
    table[at : at + 2] = (word & 0xFFFF).to_bytes(2, "little")


class Fat12:
    """A FAT12 volume of `sectors` 512-byte sectors, one sector per cluster, two FATs."""

    ROOT_ENTRIES = 112

    def __init__(self, sectors: int = 720) -> None:
        self.sectors = sectors
        clusters = sectors  # an upper bound is enough to size the FAT
        self.fat_sectors = -(-((clusters + 2) * 3 // 2 + 1) // SECTOR)
        self.root_sectors = self.ROOT_ENTRIES * 32 // SECTOR
        self.data_start = 1 + 2 * self.fat_sectors + self.root_sectors
        self.fat: dict[int, int] = {0: 0xFF0, 1: 0xFFF}
        self.data: dict[int, bytes] = {}
        self.root = b""
        self.next_cluster = 2
        self.count = 0

    def _allocate(self, data: bytes) -> int:
        """Clusters for `data` (at least one), chained in the FAT; the first cluster."""
        count = max(1, -(-len(data) // SECTOR))
        first = self.next_cluster
        for i in range(count):
            cluster = first + i
            self.fat[cluster] = cluster + 1 if i < count - 1 else _EOC12
            self.data[cluster] = data[i * SECTOR : (i + 1) * SECTOR]
        self.next_cluster += count
        return first

    def _entry(self, name: str, attr: int, cluster: int, size: int) -> bytes:
        self.count += 1
        short = _short_name(self.count, name, attr & 0x10 != 0)
        return _long_entries(name, short) + _dirent(short, attr, cluster, size)

    def add_file(self, name: str, data: bytes) -> bytes:
        """The directory entries of a new file (to put in a directory)."""
        return self._entry(name, 0x20, self._allocate(data), len(data))

    def add_dir(self, name: str, entries: bytes, parent: int = 0) -> bytes:
        """The entries of a new folder holding `entries` (with its "." and "..")."""
        count = max(1, -(-(len(entries) + 64) // SECTOR))
        first = self.next_cluster
        dot = _dirent(b".          ", 0x10, first, 0) + _dirent(b"..         ", 0x10, parent, 0)
        self._allocate((dot + entries).ljust(count * SECTOR, b"\x00"))
        return self._entry(name, 0x10, first, 0)

    def boot_sector(self) -> bytes:
        bpb = struct.pack(
            "<3s8sHBHBHHBHHHIIBBBI11s8s",
            b"\xeb\x3c\x90",
            b"MAILCHK ",
            SECTOR,
            1,  # sectors per cluster
            1,  # reserved sectors
            2,  # FATs
            self.ROOT_ENTRIES,
            self.sectors,
            0xF8,
            self.fat_sectors,
            32,
            2,
            0,
            0,
            0x80,
            0,
            0x29,
            0x1234_5678,
            b"INVOICE    ",
            b"FAT12   ",
        )
        return bpb.ljust(510, b"\x00") + b"\x55\xaa"

    def fat_bytes(self) -> bytes:
        table = bytearray(self.fat_sectors * SECTOR)
        for cluster, value in self.fat.items():
            _set_fat12(table, 0, cluster, value)
        return bytes(table)

    def image(self, root: bytes) -> bytes:
        fat = self.fat_bytes()
        out = bytearray(self.sectors * SECTOR)
        out[:SECTOR] = self.boot_sector()
        for copy in range(2):
            at = (1 + copy * self.fat_sectors) * SECTOR
            out[at : at + len(fat)] = fat
        at = (1 + 2 * self.fat_sectors) * SECTOR
        out[at : at + len(root)] = root[: self.root_sectors * SECTOR]
        for cluster, chunk in self.data.items():
            at = (self.data_start + cluster - 2) * SECTOR
            out[at : at + len(chunk)] = chunk
        return bytes(out)


def build_fat(members: list[tuple[str, bytes]], sectors: int = 720) -> bytes:
    """A FAT12 volume holding `members`; "folder/name" puts a file in a folder."""
    volume = Fat12(sectors)
    root = b""
    folders: dict[str, list[tuple[str, bytes]]] = {}
    for name, data in members:
        if "/" in name:
            folder, rest = name.split("/", 1)
            folders.setdefault(folder, []).append((rest, data))
        else:
            root += volume.add_file(name, data)
    for folder, files in folders.items():
        entries = b"".join(volume.add_file(n, d) for n, d in files)
        root += volume.add_dir(folder, entries)
    return volume.image(root)


def with_fat_entry(image: bytes, cluster: int, value: int) -> bytes:
    """The image with FAT entry `cluster` (both copies) set to `value`: loops, damage."""
    volume = bytearray(image)
    fat_sectors = int.from_bytes(image[22:24], "little")
    for copy in range(2):
        _set_fat12(volume, (1 + copy * fat_sectors) * SECTOR, cluster, value)
    return bytes(volume)


# --- partition tables ---------------------------------------------------------------------------


def with_mbr(volume: bytes, *, partition_type: int = 0x01, start: int = 128) -> bytes:
    """A disk with an MBR whose first partition holds `volume` (FAT12 is type 0x01)."""
    sectors = len(volume) // SECTOR
    entry = struct.pack(
        "<B3sB3sII", 0x00, b"\x00\x02\x00", partition_type, b"\xff\xff\xff", start, sectors
    )
    mbr = bytes(446) + entry + bytes(48) + b"\x55\xaa"
    return mbr + bytes((start - 1) * SECTOR) + volume


# --- VHD ------------------------------------------------------------------------------------------


def _vhd_checksum(raw: bytes) -> int:
    return ~sum(raw) & 0xFFFF_FFFF


def vhd_footer(size: int, *, dynamic_at: int | None = None) -> bytes:
    """The 512-byte VHD footer; a dynamic disk names its header's offset."""
    cylinders, heads, spt = min(65535, size // (16 * 63 * SECTOR)), 16, 63
    fields = struct.pack(
        ">8sIIQI4sI4sQQIII16sB",
        b"conectix",
        2,
        0x0001_0000,
        0xFFFF_FFFF_FFFF_FFFF if dynamic_at is None else dynamic_at,
        _VHD_TIME,
        b"mchk",
        0x0001_0000,
        b"Wi2k",
        size,
        size,
        (cylinders << 16) | (heads << 8) | spt,
        2 if dynamic_at is None else 3,
        0,
        _DISK_ID.bytes,
        0,
    )
    raw = fields.ljust(SECTOR, b"\x00")
    return raw[:64] + struct.pack(">I", _vhd_checksum(raw)) + raw[68:]


def build_vhd(disk: bytes) -> bytes:
    """A fixed VHD: the disk's sectors, then the footer."""
    disk = disk.ljust(-(-len(disk) // SECTOR) * SECTOR, b"\x00")
    return disk + vhd_footer(len(disk))


def build_dynamic_vhd(disk: bytes, block_size: int = 512 * 1024) -> bytes:
    """A dynamic VHD: footer copy, dynamic header, BAT, then the non-zero blocks."""
    disk = disk.ljust(-(-len(disk) // block_size) * block_size, b"\x00")
    blocks = len(disk) // block_size
    header_at, bat_at = SECTOR, 3 * SECTOR
    bat_size = -(-blocks * 4 // SECTOR) * SECTOR
    head = struct.pack(
        ">8sQQIII", b"cxsparse", 0xFFFF_FFFF_FFFF_FFFF, bat_at, 0x0001_0000, blocks, block_size
    ).ljust(1024, b"\x00")
    head = head[:36] + struct.pack(">I", _vhd_checksum(head)) + head[40:]
    bitmap = SECTOR  # one bit per sector, padded to a sector
    body = b""
    bat = []
    next_sector = (bat_at + bat_size) // SECTOR
    for i in range(blocks):
        block = disk[i * block_size : (i + 1) * block_size]
        if not any(block):
            bat.append(0xFFFF_FFFF)
            continue
        bat.append(next_sector)
        body += b"\xff" * bitmap + block
        next_sector += (bitmap + block_size) // SECTOR
    footer = vhd_footer(len(disk), dynamic_at=header_at)
    table = b"".join(struct.pack(">I", e) for e in bat).ljust(bat_size, b"\xff")
    return footer + head + table + body + footer


# --- VHDX -----------------------------------------------------------------------------------------

_KB64, _MB = 64 * 1024, 1024 * 1024
_BAT_GUID = uuid.UUID("2DC27766-F623-4200-9D64-115E9BFD4A08")
_METADATA_GUID = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")
_META_ITEMS = (
    (uuid.UUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B"), "params"),
    (uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8"), "size"),
    (uuid.UUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F"), "logical"),
    (uuid.UUID("CDA348C7-445D-4471-9CC9-E9885251C556"), "physical"),
    (uuid.UUID("BECA12AB-B2E6-4523-93EF-C309E000C746"), "id"),
)


def build_vhdx(disk: bytes, *, has_parent: bool = False) -> bytes:
    """A dynamic VHDX (1 MiB blocks): identifier, two headers, region tables, metadata, BAT.

    The CRC-32C fields are left zero: the readers used here do not check them.
    """
    block = _MB
    disk = disk.ljust(-(-len(disk) // block) * block, b"\x00")
    blocks = len(disk) // block
    values = {
        "params": struct.pack("<II", block, 2 if has_parent else 0),
        "size": struct.pack("<Q", len(disk)),
        "logical": struct.pack("<I", SECTOR),
        "physical": struct.pack("<I", 4096),
        "id": _DISK_ID.bytes_le,
    }
    table = b"metadata" + struct.pack("<2sH20s", b"", len(_META_ITEMS), b"")
    items = b""
    offset = _KB64
    for guid, key in _META_ITEMS:
        table += (
            guid.bytes_le + struct.pack("<III", offset + len(items), len(values[key]), 4) + bytes(4)
        )
        items += values[key]
    metadata = table.ljust(_KB64, b"\x00") + items.ljust(_KB64, b"\x00")
    metadata_at, bat_at, data_at = 5 * _KB64, 8 * _KB64, _MB
    bat = b""
    payload = b""
    for i in range(blocks):  # chunk ratio 2**23 * 512 / 1 MiB = 4096: no bitmap entry here
        chunk = disk[i * block : (i + 1) * block]
        if any(chunk):
            bat += struct.pack("<Q", 6 | ((data_at + len(payload)) // _MB) << 20)
            payload += chunk
        else:
            bat += struct.pack("<Q", 0)
    regions = b"regi" + struct.pack("<III", 0, 2, 0)
    for guid, at, length in ((_BAT_GUID, bat_at, _KB64), (_METADATA_GUID, metadata_at, 2 * _KB64)):
        regions += guid.bytes_le + struct.pack("<QII", at, length, 1)
    header = b"head" + struct.pack("<IQ", 0, 1) + bytes(48) + struct.pack("<HHIQ", 0, 1, _MB, 0)
    out = bytearray(data_at)
    out[0:8] = b"vhdxfile"
    for at in (_KB64, 2 * _KB64):
        out[at : at + len(header)] = header
    for at in (3 * _KB64, 4 * _KB64):
        out[at : at + len(regions)] = regions
    out[metadata_at : metadata_at + len(metadata)] = metadata
    out[bat_at : bat_at + len(bat)] = bat
    return bytes(out) + payload


# --- NTFS (through ntfs-3g) -------------------------------------------------------------------

_SBIN = os.pathsep.join((os.environ.get("PATH", ""), "/usr/sbin", "/sbin"))


def _ntfs_tool(name: str) -> str | None:
    return shutil.which(name, path=_SBIN)


def ntfs_missing() -> str:
    """Why NTFS volumes cannot be built here ("" when they can)."""
    missing = [t for t in ("mkntfs", "ntfscp") if _ntfs_tool(t) is None]
    if not ctypes.util.find_library("ntfs-3g"):
        missing.append("libntfs-3g")
    if missing:
        return f"{', '.join(missing)} not installed (apt-get install ntfs-3g)"
    return ""


def _ntfs_mkdirs(image: Path, folders: list[str]) -> None:
    """Create `folders` (parents first) on the volume through libntfs-3g, without mounting."""
    lib = ctypes.CDLL(ctypes.util.find_library("ntfs-3g"))
    lib.ntfs_mount.restype = ctypes.c_void_p
    lib.ntfs_mount.argtypes = [ctypes.c_char_p, ctypes.c_ulong]
    lib.ntfs_pathname_to_inode.restype = ctypes.c_void_p
    lib.ntfs_pathname_to_inode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p]
    lib.ntfs_mbstoucs.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.ntfs_create.restype = ctypes.c_void_p
    lib.ntfs_create.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_void_p,
        ctypes.c_uint8,
        ctypes.c_uint32,
    ]
    lib.ntfs_inode_close.argtypes = [ctypes.c_void_p]
    lib.ntfs_umount.argtypes = [ctypes.c_void_p, ctypes.c_int]
    volume = lib.ntfs_mount(str(image).encode(), 0)
    if not volume:
        raise OSError(f"libntfs-3g could not open {image}")
    try:
        for folder in folders:
            parent, _, name = folder.rpartition("/")
            inode = lib.ntfs_pathname_to_inode(volume, None, f"/{parent}".encode())
            units = ctypes.c_void_p()
            length = lib.ntfs_mbstoucs(name.encode(), ctypes.byref(units))
            created = lib.ntfs_create(inode, 0, units, length, 0o040000)  # S_IFDIR
            if not inode or not created:
                raise OSError(f"libntfs-3g could not create {folder}")
            lib.ntfs_inode_close(created)
            lib.ntfs_inode_close(inode)
    finally:
        lib.ntfs_umount(volume, 0)


def build_ntfs(members: list[tuple[str, bytes]], size: int = 8 * 1024 * 1024) -> bytes:
    """An NTFS volume holding `members`: "folder/name" puts a file in a folder, and
    "name:stream" writes an alternate data stream of an existing file."""
    with tempfile.TemporaryDirectory(prefix="ntfs-") as tmp:
        image = Path(tmp) / "volume.img"
        image.write_bytes(bytes(size))
        mkntfs = _ntfs_tool("mkntfs") or "mkntfs"
        subprocess.run(
            [mkntfs, "-F", "-f", "-q", "-T", str(image)], check=True, capture_output=True
        )
        folders: set[str] = set()
        for name, _data in members:
            parts = name.split("/")[:-1]
            folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        if folders:
            _ntfs_mkdirs(image, sorted(folders, key=lambda f: f.count("/")))
        for index, (name, data) in enumerate(members):
            source = Path(tmp) / f"member{index}"
            source.write_bytes(data)
            target, _, stream = name.partition(":")
            command = [_ntfs_tool("ntfscp") or "ntfscp", "-f", "-q"]
            if stream:
                command += ["-N", stream]
            subprocess.run(
                [*command, str(image), str(source), target], check=True, capture_output=True
            )
        return image.read_bytes()


# --- NTFS damage: where a file's structures are in a volume that `build_ntfs` made ---------------


def _ntfs_layout(image: bytes) -> tuple[int, int, int]:
    """(cluster size, MFT offset, record size) from the boot sector."""
    sector = int.from_bytes(image[11:13], "little")
    per_cluster = int.from_bytes(image[13:14], "little", signed=True)
    cluster = sector * (1 << -per_cluster if per_cluster < 0 else per_cluster)
    code = int.from_bytes(image[0x40:0x41], "little", signed=True)
    record = 1 << -code if code < 0 else code * cluster
    return cluster, int.from_bytes(image[0x30:0x38], "little") * cluster, record


def ntfs_record(image: bytes, segment: int) -> int:
    """Where MFT record `segment` starts (mkntfs writes the MFT in one run)."""
    _cluster, mft, record = _ntfs_layout(image)
    return mft + segment * record


def ntfs_attribute(image: bytes, segment: int, type_code: int) -> int:
    """Where the first attribute of `type_code` in record `segment` starts."""
    at = ntfs_record(image, segment)
    offset = int.from_bytes(image[at + 20 : at + 22], "little")
    while True:
        kind, length = struct.unpack_from("<II", image, at + offset)
        if kind == type_code:
            return at + offset
        if kind == 0xFFFF_FFFF or length == 0:
            raise KeyError(f"no attribute {type_code:#x} in record {segment}")
        offset += length


def ntfs_index_entry(image: bytes, name: str) -> int:
    """Where the folder index entry that names `name` starts (not the file's own record)."""
    needle = name.encode("utf-16-le")
    at = image.find(needle)
    while at >= 0:
        key = at - 66
        named = image[key + 64] == len(name) and image[key + 65] != 2  # not the 8.3 alias
        if named and image[key - 24 : key - 20] != b"\x30\x00\x00\x00":  # not in a record
            return key - 16
        at = image.find(needle, at + 1)
    raise KeyError(name)


def ntfs_segment(image: bytes, name: str) -> int:
    """The MFT record a folder index entry for `name` points to."""
    at = ntfs_index_entry(image, name)
    return int.from_bytes(image[at : at + 6], "little")


def ntfs_patched(image: bytes, at: int, data: bytes) -> bytes:
    """The image with `data` at `at`, which must miss the fixup slots (the last two bytes of
    each 512-byte sector of a record or index buffer) for readers to accept it."""
    if any((at + i) % 512 in (510, 511) for i in range(len(data))):
        raise ValueError(f"bytes {at}..{at + len(data)} cross a fixup slot")
    return image[:at] + data + image[at + len(data) :]
