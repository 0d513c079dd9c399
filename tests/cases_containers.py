"""Archive fixtures built in code, and one message per container finding id.

Merged into `cases.CASES` by tests/cases.py; tests/test_containers.py uses the builders.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import py7zr
import pycdlib
import pyzipper
from cases import Case, dropper_docm, limits, with_attachment

from mailcheck.limits import DEFAULT, Limits

ZIP = "application/zip"
JA_PASSWORD_BODY = (
    "お世話になっております。\r\n請求書を送付いたします。\r\n\r\nパスワード：Ab12#xy\r\n"
)
PPAP_BODY = (
    "お世話になっております。\r\n請求書を暗号化ZIPで送付いたします。\r\n"
    "パスワードは別途お送りします。\r\n"
)
PASSWORD = "Ab12#xy"

# --- ZIP ------------------------------------------------------------------------------


def plain_zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, (2022, 3, 1, 9, 0, 0)), data, method)
    return buffer.getvalue()


def _zipcrypto_keys(password: bytes) -> tuple[list[int], object]:
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(byte: int) -> None:
        keys[0] = zlib.crc32(bytes([byte]), keys[0] ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = zlib.crc32(bytes([keys[1] >> 24]), keys[2] ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    for byte in password:
        update(byte)
    return keys, update


def _zipcrypto(data: bytes, password: bytes, check: int) -> bytes:
    """Traditional PKWARE encryption (APPNOTE 6.1); the stdlib can only decrypt it."""
    keys, update = _zipcrypto_keys(password)
    out = bytearray()
    header = bytes(range(7, 18)) + bytes([check])  # fixed "random" bytes: stable fixtures
    for byte in header + data:
        temp = (keys[2] | 2) & 0xFFFF
        out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
        update(byte)  # type: ignore[operator]
    return bytes(out)


def zipcrypto_zip(
    members: list[tuple[str, bytes]],
    password: str | bytes,
    *,
    plain: tuple[tuple[str, bytes], ...] = (),
) -> bytes:
    """A deflated ZipCrypto archive, as Windows Explorer and most PPAP tools write them.

    `plain` members come first, unencrypted, as in archives assembled from several sources.
    """
    key = password.encode() if isinstance(password, str) else password
    out = io.BytesIO()
    central = []
    entries = [(n, d, False) for n, d in plain] + [(n, d, True) for n, d in members]
    for name, data, locked in entries:
        crc = zlib.crc32(data)
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = packer.compress(data) + packer.flush()
        body = _zipcrypto(body, key, crc >> 24) if locked else body
        encoded = name.encode("utf-8")
        offset = out.tell()
        flags = 0x801 if locked else 0x800  # bit 0: encrypted; bit 11: UTF-8 names
        fields = (20, flags, 8, 0x4800, 0x5461, crc, len(body), len(data), len(encoded))
        out.write(struct.pack("<4s5H3IHH", b"PK\x03\x04", *fields, 0) + encoded + body)
        entry = struct.pack("<4s6H3I5HII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0x20, offset)
        central.append(entry + encoded)
    start = out.tell()
    directory = b"".join(central)
    count = len(entries)
    end = struct.pack("<4s4HIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0)
    out.write(directory + end)
    return out.getvalue()


def aes_zip(members: list[tuple[str, bytes]], password: str) -> bytes:
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=zipfile.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode())
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("docs/passwd", (2022, 3, 1, 9, 0, 0))
        link.create_system = 3
        link.external_attr = (0o120777 << 16) | 0x20
        archive.writestr(link, "/etc/passwd")
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def forged_size_zip(name: str, data: bytes, claimed: int) -> bytes:
    """A small member whose local and central headers claim `claimed` bytes."""
    raw = bytearray(plain_zip([(name, data)]))
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, claimed)
    struct.pack_into("<I", raw, central + 24, claimed)
    return bytes(raw)


def zero_member_zip(name: str, size: int, head: bytes = b"") -> bytes:
    """A member of `head` plus zeros up to `size` bytes, deflated while streaming."""
    buffer = io.BytesIO()
    zeros = bytes(1 << 20)
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        member.write(head)
        left = size - len(head)
        while left > 0:
            member.write(zeros[: min(left, len(zeros))])
            left -= len(zeros)
    return buffer.getvalue()


def random_bytes(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


# --- other containers ------------------------------------------------------------------


def seven_zip(
    members: list[tuple[str, bytes]], password: str | None = None, *, encrypt_names: bool = True
) -> bytes:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(
        buffer, "w", password=password, header_encryption=password is not None and encrypt_names
    ) as archive:
        for name, data in members:
            archive.writestr(data, name)
    return buffer.getvalue()


def _tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    head = struct.pack("<BHHI", level, name, kind, len(data))
    return head + data + struct.pack("<H", sum(data) & 0xFFFF)


def tnef(attachments: list[tuple[str, bytes]], body: str = "") -> bytes:
    """A minimal winmail.dat (MS-OXTNEF): version, code page, body, attachments."""
    out = [struct.pack("<IH", 0x223E9F78, 0x0101)]
    out.append(_tnef_attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000)))
    out.append(_tnef_attribute(1, 0x9007, 0x0006, struct.pack("<II", 932, 0)))
    if body:
        out.append(_tnef_attribute(1, 0x800C, 0x0002, body.encode("cp932")))
    for name, data in attachments:
        out.append(_tnef_attribute(2, 0x9002, 0x0006, bytes(14)))
        out.append(_tnef_attribute(2, 0x8010, 0x0001, name.encode("cp932") + b"\x00"))
        out.append(_tnef_attribute(2, 0x800F, 0x0006, data))
    return b"".join(out)


def iso_image(files: list[tuple[str, bytes]]) -> bytes:
    image = pycdlib.PyCdlib()
    image.new(joliet=3)
    for index, (name, data) in enumerate(files):
        image.add_fp(io.BytesIO(data), len(data), f"/FILE{index}.;1", joliet_path=f"/{name}")
    out = io.BytesIO()
    image.write_fp(out)
    image.close()
    return out.getvalue()


def tiny_exe() -> bytes:
    """An MZ/PE header and nothing runnable: enough for the bytes to say "program"."""
    head = bytearray(b"MZ" + bytes(0x3A) + struct.pack("<I", 0x40))
    return bytes(head) + b"PE\x00\x00" + bytes(200)


def no_time_limits() -> Limits:
    """Limits under which opening any archive runs out of time at once."""
    field = "archive_timeout" if hasattr(DEFAULT, "archive_timeout") else "analyzer_timeout"
    return limits(**{field: 0.0})


CASES: dict[str, Case] = {
    "attachment.archive_password_in_body": lambda: (
        with_attachment(
            zipcrypto_zip([("invoice.docm", dropper_docm())], PASSWORD),
            "invoice.zip",
            ZIP,
            text=JA_PASSWORD_BODY,
        ),
        DEFAULT,
    ),
    "attachment.encrypted_archive": lambda: (
        with_attachment(
            zipcrypto_zip([("invoice.pdf", b"%PDF-1.4\n")], PASSWORD),
            "invoice.zip",
            ZIP,
            text=PPAP_BODY,
        ),
        DEFAULT,
    ),
    "attachment.password_sent_separately": lambda: (
        with_attachment(
            zipcrypto_zip([("invoice.pdf", b"%PDF-1.4\n")], PASSWORD),
            "invoice.zip",
            ZIP,
            text="The invoice is attached.\r\nThe password follows in a separate mail.\r\n",
        ),
        DEFAULT,
    ),
    "attachment.encrypted_program": lambda: (
        with_attachment(
            aes_zip([("invoice.exe", tiny_exe())], PASSWORD), "invoice.zip", ZIP, text=PPAP_BODY
        ),
        DEFAULT,
    ),
    "attachment.encrypted_macro_document": lambda: (
        with_attachment(
            zipcrypto_zip([("invoice.xlsm", b"PK\x03\x04")], PASSWORD),
            "invoice.zip",
            ZIP,
            text=PPAP_BODY,
        ),
        DEFAULT,
    ),
    "attachment.archive_unsupported": lambda: (
        with_attachment(b"Rar!\x1a\x07\x01\x00" + bytes(64), "invoice.rar", "application/x-rar"),
        DEFAULT,
    ),
    "attachment.archive_path_traversal": lambda: (
        with_attachment(plain_zip([("../../evil.txt", b"hello")]), "a.zip", ZIP),
        DEFAULT,
    ),
    "attachment.archive_symlink": lambda: (
        with_attachment(symlink_zip(), "a.zip", ZIP),
        DEFAULT,
    ),
    "attachment.inflated": lambda: (
        with_attachment(
            forged_size_zip("invoice.doc", b"\xd0\xcf" + bytes(4000), 600_000_000),
            "invoice.zip",
            ZIP,
        ),
        DEFAULT,
    ),
    "limit.max_archive_members": lambda: (
        with_attachment(plain_zip([(f"{i}.txt", b"x") for i in range(3)]), "a.zip", ZIP),
        limits(max_archive_members=2),
    ),
    # More files that run code past the bound than the scan opens all the same.
    "attachment.payload_past_limit": lambda: (
        with_attachment(plain_zip([(f"{i}.js", b"x") for i in range(40)]), "a.zip", ZIP),
        limits(max_archive_members=2),
    ),
    "limit.max_member_bytes": lambda: (
        with_attachment(plain_zip([("a.bin", random_bytes(3000))]), "a.zip", ZIP),
        limits(max_member_bytes=1000),
    ),
    "limit.max_compression_ratio": lambda: (
        with_attachment(plain_zip([("zeros.bin", bytes(4 << 20))]), "a.zip", ZIP),
        DEFAULT,
    ),
    "limit.max_password_tries": lambda: (
        with_attachment(
            zipcrypto_zip([("a.txt", b"hello")], PASSWORD),
            "a.zip",
            ZIP,
            text=f"PW: wrong-1\r\nパスワード：{PASSWORD}\r\n",
        ),
        limits(max_password_tries=1),
    ),
    "limit.archive_timeout": lambda: (
        with_attachment(plain_zip([("a.txt", b"hello")]), "a.zip", ZIP),
        no_time_limits(),
    ),
}
