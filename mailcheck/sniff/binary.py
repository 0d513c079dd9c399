"""Binary formats told by their magic bytes: OLE (Office, Outlook, MSI), ZIP (OOXML,
OpenDocument, JAR...), CAB, executables, images, archives and disk images."""

from __future__ import annotations

import io
from typing import Literal

from .kinds import _MAX_ZIP_NAMES, Sniffed, _mk

# --- binary signatures ----------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file (OLE2/CFB)
_LNK_CLSID = bytes.fromhex("0114020000000000c000000000000046")  # {00021401-0000-0000-C000-...46}
_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"{\\rt", "rtf"),  # Word only checks "{\rt"; exploits drop the "f"
    (b"Rar!\x1a\x07", "rar"),
    (b"xar!\x00\x1c", "xar"),  # header size 28: macOS installer packages and archives
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"\x7fELF", "elf"),
    (b"\x78\x9f\x3e\x22", "tnef"),  # 0x223E9F78 little-endian: Outlook's winmail.dat
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"ActiveMime", "activemime"),
    (b"QWN0aXZlTWltZQ", "activemime"),
    (b"ID;P", "slk"),
    (b"ID3\x03", "mp3"),
    (b"ID3\x04", "mp3"),
    (b"ID3\x02", "mp3"),
    (b"\x4c\x00\x00\x00" + _LNK_CLSID, "lnk"),
    # OneNote section {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3} and TOC {43FF2FA1-...} GUIDs
    (bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3"), "onenote"),
    (bytes.fromhex("a12fff43d9ef764c9ee210ea5722765f"), "onenote"),
    (b"\xfe\xed\xfa\xce", "macho"),
    (b"\xfe\xed\xfa\xcf", "macho"),
    (b"\xce\xfa\xed\xfe", "macho"),
    (b"\xcf\xfa\xed\xfe", "macho"),
    (b"vhdxfile", "vhdx"),
    (b"ITSF\x03\x00\x00\x00", "chm"),  # compiled HTML help
    (b"conectix", "vhd"),  # a dynamic disk's copy of its footer
)
# MBR partition types a mounted disk image carries: FAT12/16/32, NTFS/exFAT, GPT protective.
_PARTITION_TYPES = frozenset({0x01, 0x04, 0x06, 0x07, 0x0B, 0x0C, 0x0E, 0xEE})
_HEIF = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"})


def _u32(data: bytes, off: int, order: Literal["little", "big"] = "little") -> int:
    return int.from_bytes(data[off : off + 4], order)


def _sniff_ole(data: bytes) -> Sniffed:
    try:
        import olefile  # type: ignore[import-untyped, unused-ignore]  # only OLE data needs it

        ole = olefile.OleFileIO(io.BytesIO(data))
        try:
            top = {str(p[0]).lower() for p in ole.listdir(streams=True, storages=True) if p}
            clsid = str(ole.root.clsid or "").upper()
        finally:
            ole.close()
    except Exception:  # truncated/damaged CFB is still OLE for routing purposes
        return _mk("ole")
    if {"encryptioninfo", "encryptedpackage"} <= top:
        return _mk("ole-encrypted-ooxml")
    if any(n.startswith("__substg1.0_") or n == "__properties_version1.0" for n in top):
        return _mk("msg")
    for stream, kind in (
        ("worddocument", "doc"),
        ("workbook", "xls"),
        ("book", "xls"),
        ("powerpoint document", "ppt"),
    ):
        if stream in top:
            return _mk(kind)
    if clsid == "000C1084-0000-0000-C000-000000000046":  # Windows Installer database
        return _mk("ole", "application/x-msi", ".msi .msp .mst")
    return _mk("ole")


def _sniff_zip(data: bytes) -> Sniffed:
    try:
        import zipfile  # with its compression modules: only for zip data

        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()[:_MAX_ZIP_NAMES]
    except Exception:  # corrupt or truncated: still an archive as far as policy is concerned
        return _mk("zip")
    names = {i.filename.replace("\\", "/").lower() for i in infos}  # OPC names ignore case
    if "[content_types].xml" in names:
        for app, plain, macro in (
            ("word/", "docx", "docm"),
            ("xl/", "xlsx", "xlsm"),
            ("ppt/", "pptx", "pptm"),
        ):
            if any(n.startswith(app) for n in names):
                if app == "xl/" and "xl/workbook.bin" in names:
                    return _mk("xlsb")  # xlsb carries macros natively; the format decides
                # The VBA part decides, whatever [Content_Types].xml claims.
                return _mk(macro if app + "vbaproject.bin" in names else plain)
        return _mk("ooxml")
    if any(i.flag_bits & 1 for i in infos):
        return _mk("zip-encrypted")
    if "mimetype" in names:  # EPUB shares ODF's layout; the stored first entry tells them apart
        return _mk("zip" if b"application/epub" in data[:128] else "odf")
    return _mk("zip")


def _sniff_cab(data: bytes) -> Sniffed:
    # A .onepkg is a cabinet of .one sections: walk the CFFILE names (bounded).
    pos, count = _u32(data, 16), int.from_bytes(data[28:30], "little")
    for _ in range(min(count, 64)):
        end = data.find(b"\x00", pos + 16, pos + 16 + 257)
        if end < 0:
            break
        if data[pos + 16 : end].lower().endswith((b".one", b".onetoc2")):
            return _mk("onenote", exts=".onepkg")
        pos = end + 1
    return _mk("cab")


def _raw_disk(head: bytes, sector: bytes) -> bool:
    """A FAT or NTFS boot sector, or an MBR whose first entry is a FAT/NTFS/GPT partition."""
    if len(sector) < 512 or sector[510:512] != b"\x55\xaa":
        return False
    if head[3:11] == b"NTFS    ":
        return True
    jump = (head[0] == 0xEB and head[2] == 0x90) or head[0] == 0xE9
    if jump and (sector[54:59] in (b"FAT12", b"FAT16") or sector[82:87] == b"FAT32"):
        return int.from_bytes(sector[11:13], "little") in (512, 1024, 2048, 4096)
    entry = sector[446:462]
    return entry[0] in (0x00, 0x80) and entry[4] in _PARTITION_TYPES and _u32(entry, 8) > 0


def _sniff_binary(data: bytes) -> Sniffed | None:
    head = data[:32]
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(data)
    for magic, kind in _PREFIXES:
        if head.startswith(magic):
            return _mk(kind)
    if head.startswith(b"MSCF\x00\x00\x00\x00"):
        return _sniff_cab(data)
    if head.startswith(b"MZ"):
        pe_at = _u32(data, 0x3C)
        if data[pe_at : pe_at + 4] == b"PE\x00\x00":
            return _mk("pe")
        if len(data) >= 64 and b"\x00" in head:  # plain DOS executable, still runnable
            return _mk("pe", "application/x-dosexec", ".exe .com")
    if head[:2] == b"BM" and head[6:10] == bytes(4) and _u32(data, 14) in (12, 40, 56, 108, 124):
        return _mk("bmp")
    if (
        head[:4] in (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00")
        and head[4:6] != bytes(2)
        and head[9:10] == b"\x00"
    ):
        return _mk("ico")
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return _mk("webp" if head[8:12] == b"WEBP" else "wav")
    if head[4:8] == b"ftyp":
        return (
            _mk("heic", "image/avif" if head[8:12] == b"avif" else None)
            if head[8:12] in _HEIF
            else _mk("mp4")
        )
    if head[:4] == b"\xca\xfe\xba\xbe" and 0 < _u32(data, 4, "big") < 30:  # fat Mach-O, not Java
        return _mk("macho")
    if head[:3] == b"BZh" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return _mk("bzip2")
    if data[257:262] == b"ustar":
        return _mk("tar")
    if (head[2:5] == b"-lh" and head[6:7] == b"-") or head[2:7] in (b"-lzs-", b"-lz5-"):
        return _mk("lzh")
    if head[7:14] == b"**ACE**":
        return _mk("ace")
    offsets = (0x8001, 0x8801, 0x9001)
    if any(data[o : o + 5] == b"CD001" for o in offsets):
        return _mk("iso")
    if any(data[o : o + 5] in (b"BEA01", b"NSR02", b"NSR03") for o in offsets):
        return _mk("img", "application/x-udf-image")
    if data[-512:-504] == b"conectix" or data[-511:-503] == b"conectix":  # fixed VHD footer
        return _mk("vhd")
    if _raw_disk(head, data[:512]):
        return _mk("img")
    return None
