"""Archives and other containers: members analysed like attachments, every bound enforced."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import py7zr
import pytest
from cases import dropper_docm, limits, with_attachment
from cases_containers import (
    JA_PASSWORD_BODY,
    PASSWORD,
    PPAP_BODY,
    ZIP,
    aes_zip,
    forged_size_zip,
    iso_image,
    plain_zip,
    random_bytes,
    seven_zip,
    symlink_zip,
    tiny_exe,
    tnef,
    zero_member_zip,
    zipcrypto_zip,
)
from conftest import corpus_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcheck.api import scan_bytes
from mailcheck.containers import (
    OPENERS,
    compressed_stream,
    disk_image,
    libarchive_formats,
    sevenzip,
    unsupported,
    virtual_disk,
    zip_archive,
)
from mailcheck.containers import (
    tnef as tnef_opener,
)
from mailcheck.containers.interface import Opened, OpenRequest
from mailcheck.limits import DEFAULT, RESCUE_LIMIT, Budget, Limits
from mailcheck.model import ATTACHMENT_STATUSES, Finding, ScanResult
from mailcheck.sniff import sniff
from testkit.disks import build_fat, build_vhd, build_vhdx, with_mbr
from testkit.payloads import build_cab, build_lzh, build_rar, build_xar

IDENTITY = ('From: "taro@corp.example.co.jp" <x@hacked.example>', "Subject: Re: 請求書")
EN_PASSWORD_BODY = "Please find the invoice attached.\r\nThe password is Xy-2024!\r\n"


def scan(message: bytes, lim: Limits = DEFAULT) -> ScanResult:
    return scan_bytes(message, limits=lim)


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


def nodes(result: ScanResult) -> dict[str, str]:
    """Attachment path -> status, for the whole tree."""
    return {n.path: n.status for top in result.attachments for n in top.walk()}


def open_direct(
    data: bytes, kind: str, passwords: tuple[str, ...] = (), lim: Limits = DEFAULT
) -> Opened:
    request = OpenRequest(
        data=data, kind=kind, path="2/x", passwords=passwords, budget=Budget(lim), depth=0
    )
    return OPENERS[kind](request)


# --- passwords from the body ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("archive", "text", "password"),
    [
        (zipcrypto_zip, JA_PASSWORD_BODY, PASSWORD),
        (aes_zip, EN_PASSWORD_BODY, "Xy-2024!"),
        (seven_zip, JA_PASSWORD_BODY, PASSWORD),
        (zipcrypto_zip, "解凍パスワードは以下の通りです。\r\n\r\n  Ab12#xy\r\n", PASSWORD),
    ],
    ids=["zipcrypto-ja", "aes-en", "7z-ja", "ja-next-line"],
)
def test_password_in_body_opens_the_archive_and_its_macro_is_found(
    archive: Callable[[list[tuple[str, bytes]], str], bytes], text: str, password: str
) -> None:
    data = archive([("invoice.docm", dropper_docm())], password)
    name = "invoice.7z" if archive is seven_zip else "invoice.zip"
    result = scan(with_attachment(data, name, "application/octet-stream", text=text))
    found = finding(result, "attachment.archive_password_in_body")
    assert found.evidence[0].location == f"attachment 2/{name}"
    assert found.facts()["password"] == password
    assert nodes(result)[f"2/{name}/invoice.docm"] == "ok"
    macro = finding(result, "attachment.macro.autoexec_exec")
    assert macro.evidence[0].location == f"attachment 2/{name}/invoice.docm"
    assert result.verdict.label == "malicious"


def test_full_width_password_is_tried_as_written_after_its_normal_form() -> None:
    data = zipcrypto_zip([("a.txt", b"hello")], "ＡＢ１２ｃｄ")
    result = scan(with_attachment(data, "a.zip", ZIP, text="パスワード：ＡＢ１２ｃｄ\r\n"))
    facts = finding(result, "attachment.archive_password_in_body").facts()
    assert (facts["password"], facts["tried"]) == ("ＡＢ１２ｃｄ", "2")


def test_cp932_password_from_a_japanese_windows_tool() -> None:
    data = zipcrypto_zip([("a.txt", b"hello")], "さくら2024".encode("cp932"))
    result = scan(with_attachment(data, "a.zip", ZIP, text="パスワード：「さくら2024」\r\n"))
    assert (
        finding(result, "attachment.archive_password_in_body").facts()["password"] == "さくら2024"
    )


@pytest.mark.parametrize("archive", [zipcrypto_zip, aes_zip, seven_zip])
def test_ppap_archive_stays_locked_and_is_clean_but_incomplete(
    archive: Callable[[list[tuple[str, bytes]], str], bytes],
) -> None:
    data = archive([("見積書.pdf", b"%PDF-1.4\n")], PASSWORD)
    name = "estimate.7z" if archive is seven_zip else "estimate.zip"
    result = scan(with_attachment(data, name, "application/octet-stream", text=PPAP_BODY))
    assert "attachment.encrypted_archive" in ids(result)
    assert "attachment.archive_password_in_body" not in ids(result)
    assert nodes(result)[f"2/{name}"] == "encrypted"
    assert result.verdict.incomplete
    assert result.verdict.label == "clean"


def test_ppap_archive_from_an_impostor_is_at_least_suspicious() -> None:
    data = zipcrypto_zip([("見積書.pdf", b"%PDF-1.4\n")], PASSWORD)
    result = scan(with_attachment(data, "estimate.zip", ZIP, *IDENTITY, text=PPAP_BODY))
    assert result.verdict.label in ("suspicious", "malicious")


def test_plain_members_of_a_locked_archive_are_still_read() -> None:
    data = zipcrypto_zip(
        [("secret.docm", dropper_docm())], PASSWORD, plain=(("notes.txt", b"plain text"),)
    )
    opened = open_direct(data, "zip-encrypted", ("nope", "wrong"))
    assert [m.name for m in opened.members] == ["notes.txt"]
    assert opened.status == "encrypted"
    # The locked member's name still says what it is.
    assert [h.id for h in opened.hits] == [
        "attachment.encrypted_archive",
        "attachment.encrypted_macro_document",
    ]
    assert opened.hits[0].evidence[0].fact("locked") == "1"


def test_password_tries_are_bounded() -> None:
    wrong = tuple(f"wrong{i}" for i in range(40))
    zipped = zipcrypto_zip([("a.txt", b"x")], PASSWORD)
    budget = Budget(DEFAULT)
    request = OpenRequest(
        data=zipped,
        kind="zip",
        path="2/a.zip",
        passwords=(*wrong, PASSWORD),
        budget=budget,
        depth=0,
    )
    opened = OPENERS["zip"](request)
    assert opened.status == "encrypted"
    assert opened.hits[0].evidence[0].fact("tried") == str(DEFAULT.max_password_tries)
    assert [h.name for h in budget.hits] == ["max_password_tries"]


# --- other containers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("invoice.docm.gz", lambda d: gzip_named(d, "invoice.docm")),
        ("invoice.docm.bz2", bz2.compress),
        ("invoice.docm.xz", lambda d: lzma.compress(d, format=lzma.FORMAT_XZ)),
    ],
)
def test_single_file_compression_yields_the_document(
    name: str, pack: Callable[[bytes], bytes]
) -> None:
    result = scan(with_attachment(pack(dropper_docm()), name, "application/octet-stream"))
    assert nodes(result)[f"2/{name}/invoice.docm"] == "ok"
    assert result.verdict.label == "malicious"


def gzip_named(data: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename=name, fileobj=out, mode="wb", mtime=0) as packer:
        packer.write(data)
    return out.getvalue()


def test_winmail_dat_attachments_and_body_are_members() -> None:
    data = tnef(
        [("invoice.docm", dropper_docm()), ("メモ.txt", "こんにちは".encode("cp932"))], "本文です"
    )
    result = scan(with_attachment(data, "winmail.dat", "application/ms-tnef"))
    tree = nodes(result)
    assert tree["2/winmail.dat/invoice.docm"] == "ok"
    assert "2/winmail.dat/メモ.txt" in tree and "2/winmail.dat/body.txt" in tree
    assert result.verdict.label == "malicious"


def test_iso_image_files_are_members() -> None:
    data = iso_image([("invoice.exe", tiny_exe()), ("readme.txt", b"hello")])
    result = scan(with_attachment(data, "disk.iso", "application/octet-stream"))
    exe = next(
        n for top in result.attachments for n in top.walk() if n.path == "2/disk.iso/invoice.exe"
    )
    assert exe.sniffed_type == "application/vnd.microsoft.portable-executable"
    assert exe.status == "ok"


def test_a_damaged_rar_is_reported_as_not_opened() -> None:
    result = scan(
        with_attachment(b"Rar!\x1a\x07\x01\x00" + bytes(64), "a.rar", "application/x-rar")
    )
    assert finding(result, "attachment.archive_unsupported").facts()["format"] == "rar"
    assert nodes(result)["2/a.rar"] == "broken" and result.verdict.incomplete


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_bzip2_and_lzma_members_are_decoded_with_their_crc(method: int) -> None:
    payload = random_bytes(5000) + bytes(5000)
    opened = open_direct(plain_zip([("a.bin", payload)], method), "zip")
    assert opened.status == "ok" and opened.members[0].data == payload


def test_damaged_zip_is_reported_not_raised() -> None:
    data = plain_zip([("a.txt", b"hello" * 100)])
    opened = open_direct(data[: len(data) // 2], "zip")
    assert opened.status == "broken"
    assert [h.id for h in opened.hits] == ["attachment.archive_unsupported"]


# --- hostile archives ------------------------------------------------------------------------


def test_zip_bomb_member_stops_at_the_compression_ratio() -> None:
    data = plain_zip([("zeros.bin", bytes(10 << 20))])
    started = time.monotonic()
    result = scan(with_attachment(data, "bomb.zip", ZIP))
    assert time.monotonic() - started < 5
    found = finding(result, "limit.max_compression_ratio")
    assert found.evidence[0].location == "attachment 2/bomb.zip/zeros.bin"
    assert nodes(result)["2/bomb.zip/zeros.bin"] == "truncated"
    assert result.verdict.incomplete


def test_nested_zip_of_zips_is_bounded() -> None:
    level = plain_zip([("zeros.bin", bytes(1 << 20))])
    for depth in range(5):  # 10**5 leaves, 100 GB if everything were unpacked
        level = plain_zip([(f"{depth}-{i}.zip", level) for i in range(10)])
    started = time.monotonic()
    result = scan(with_attachment(level, "42.zip", ZIP))
    assert time.monotonic() - started < 20
    assert ids(result) & {"limit.max_parts", "limit.max_total_bytes"}
    assert result.verdict.incomplete


def test_deeply_nested_zips_stop_at_the_depth_bound() -> None:
    data = plain_zip([("payload.txt", b"hello")])
    for depth in range(20):
        data = plain_zip([(f"level{depth}.zip", data)])
    result = scan(with_attachment(data, "deep.zip", ZIP))
    assert "limit.max_depth" in ids(result)


def test_traversal_names_are_reported_and_never_used_as_paths(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    names = ["../../evil.txt", "/etc/cron.d/job", "C:\\Windows\\evil.bat", "ok.txt"]
    data = plain_zip([(name, b"echo hello") for name in names])
    result = scan(with_attachment(data, "slip.zip", ZIP))
    facts = finding(result, "attachment.archive_path_traversal").facts()
    assert facts["count"] == "3" and "../../evil.txt" in facts["names"]
    assert {"2/slip.zip/.._.._evil.txt", "2/slip.zip/ok.txt"} <= set(nodes(result))
    assert list(tmp_path.iterdir()) == []  # type: ignore[attr-defined]


def test_symlink_member_is_reported_not_followed() -> None:
    result = scan(with_attachment(symlink_zip(), "links.zip", ZIP))
    assert (
        "docs/passwd -> /etc/passwd"
        in finding(result, "attachment.archive_symlink").facts()["links"]
    )
    assert set(nodes(result)) == {"1", "2/links.zip", "2/links.zip/readme.txt"}


def test_too_many_members_stop_at_the_bound() -> None:
    data = plain_zip([(f"{i}.txt", b"x") for i in range(50)])
    result = scan(with_attachment(data, "many.zip", ZIP), limits(max_archive_members=10))
    assert "limit.max_archive_members" in ids(result)
    children = result.attachments[1].children
    # Ten opened; past the bound names are listed (as many again), never read.
    assert [c.status for c in children] == ["ok"] * 10 + ["skipped"] * 10
    assert [c.filename for c in children[10:]] == [f"{i}.txt" for i in range(10, 20)]
    assert all(c.size == 0 for c in children[10:])
    assert nodes(result)["2/many.zip"] == "truncated"
    assert "attachment.payload_past_limit" not in ids(result)  # harmless names only


def test_thousand_member_zip_is_fast() -> None:
    data = plain_zip([(f"doc{i}.txt", f"line {i}\n".encode() * 20) for i in range(1000)])
    opened_in = time.monotonic()
    opened = open_direct(data, "zip")
    opener_seconds = time.monotonic() - opened_in
    started = time.monotonic()
    result = scan(with_attachment(data, "many.zip", ZIP), limits(max_parts=2000))
    assert len(opened.members) == 1000 and opener_seconds < 10  # generous hang guard
    assert len(result.attachments[1].children) == 1000
    assert time.monotonic() - started < 5


def test_forged_size_claim_is_inflated_without_reading_it() -> None:
    data = forged_size_zip("invoice.doc", b"\xd0\xcf\x11\xe0" + bytes(4000), 600_000_000)
    result = scan(with_attachment(data, "invoice.zip", ZIP))
    found = finding(result, "attachment.inflated")
    assert found.evidence[0].location == "attachment 2/invoice.zip/invoice.doc"
    facts = found.facts()
    assert (facts["claimed_size"], facts["inflated_bytes"]) == ("600000000", "4004")
    assert result.verdict.label == "malicious"


def test_padded_600_mb_member_is_counted_in_bounded_memory() -> None:
    data = zero_member_zip("invoice.doc", 600_000_000, head=b"\xd0\xcf\x11\xe0" + bytes(508))
    assert len(data) < 1_000_000
    bound = limits(max_member_bytes=8 << 20)
    tracemalloc.start()
    started = time.monotonic()
    try:
        opened = open_direct(data, "zip", lim=bound)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 15
    assert peak < 40_000_000  # the kept 8 MiB (and its join), never the 600 MB
    inflated = next(h for h in opened.hits if h.id == "attachment.inflated")
    facts = dict(inflated.evidence[0].facts)
    assert facts["size"] == "600000000" and int(facts["inflated_bytes"]) > 8 << 20
    assert int(facts["ratio"]) > 500
    assert opened.members[0].truncated and len(opened.members[0].data) == 8 << 20


def test_padded_7z_member_is_inflated_too() -> None:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        archive.writestr(bytes(40 << 20), "invoice.doc")
        archive.writestr(b"hello", "readme.txt")
    opened = open_direct(buffer.getvalue(), "7z", lim=limits(max_member_bytes=4 << 20))
    facts = dict(next(h for h in opened.hits if h.id == "attachment.inflated").evidence[0].facts)
    assert (facts["member"], facts["size"]) == ("invoice.doc", str(40 << 20))
    assert [(m.name, len(m.data)) for m in opened.members] == [
        ("invoice.doc", 4 << 20),
        ("readme.txt", 5),
    ]


def test_japanese_member_names_without_the_utf8_flag_are_cp932() -> None:
    placeholder = "abcdefghij"  # as long as the cp932 name, patched into both headers
    data = plain_zip([(placeholder, b"hello")], zipfile.ZIP_STORED)
    data = data.replace(placeholder.encode(), "請求書.txt".encode("cp932"))
    assert [m.name for m in open_direct(data, "zip").members] == ["請求書.txt"]


# --- never raise, on anything ------------------------------------------------------------

_MAGIC = {
    "zip": b"PK\x03\x04",
    "zip-encrypted": b"PK\x03\x04",
    "7z": b"7z\xbc\xaf\x27\x1c",
    "gzip": b"\x1f\x8b\x08",
    "bzip2": b"BZh9",
    "xz": b"\xfd7zXZ\x00",
    "tnef": b"\x78\x9f\x3e\x22",
    "iso": b"",
    "img": b"",
    "vhd": b"conectix",
    "vhdx": b"vhdxfile",
    "rar": b"Rar!\x1a\x07",
    "cab": b"MSCF\x00\x00\x00\x00",
    "tar": b"",
    "lzh": b"\x20\x00-lh0-",
    "xar": b"xar!\x00\x1c",
    "ace": b"\x00\x00\x00\x00\x00\x00\x00**ACE**",
}
_RAW_OPENERS = {
    "zip": zip_archive.open_zip,
    "7z": sevenzip.open_7z,
    "gzip": compressed_stream.open_stream,
    "bzip2": compressed_stream.open_stream,
    "xz": compressed_stream.open_stream,
    "tnef": tnef_opener.open_tnef,
    "iso": disk_image.open_image,
    "img": disk_image.open_image,
    "vhd": virtual_disk.open_virtual_disk,
    "vhdx": virtual_disk.open_virtual_disk,
    "rar": libarchive_formats.open_libarchive,
    "cab": libarchive_formats.open_libarchive,
    "tar": libarchive_formats.open_libarchive,
    "lzh": libarchive_formats.open_libarchive,
    "xar": libarchive_formats.open_libarchive,
    "ace": unsupported.open_unsupported,
}
_VALID = {
    "zip": lambda: zipcrypto_zip([("a.txt", b"hello" * 50)], "pw", plain=(("b.txt", b"x" * 99),)),
    "7z": lambda: seven_zip([("a.txt", b"hello" * 50), ("b.txt", b"x" * 99)]),
    "gzip": lambda: gzip_named(b"hello" * 50, "a.txt"),
    "bzip2": lambda: bz2.compress(b"hello" * 50),
    "xz": lambda: lzma.compress(b"hello" * 50),
    "tnef": lambda: tnef([("a.txt", b"hello"), ("b.txt", b"x" * 99)], "body"),
    "iso": lambda: iso_image([("a.txt", b"hello"), ("b.txt", b"x")]),
    "img": lambda: build_fat([("a.txt", b"hello" * 200), ("d/b.txt", b"x" * 99)], sectors=64),
    "vhd": lambda: build_vhd(build_fat([("a.txt", b"hello"), ("d/b.txt", b"x")], sectors=64)),
    "vhdx": lambda: build_vhdx(with_mbr(build_fat([("a.txt", b"hello")], sectors=64), start=8)),
    "rar": lambda: build_rar([("a.txt", b"hello" * 50), ("b.txt", b"x" * 99)]),
    "cab": lambda: build_cab([("a.txt", b"hello" * 50), ("b.txt", b"x" * 99)]),
    "lzh": lambda: build_lzh([("a.txt", b"hello" * 50), ("b.txt", b"x" * 99)]),
    "xar": lambda: build_xar([("a.txt", b"hello" * 50), ("b.txt", b"x" * 99)]),
}
_VALID_DATA = {kind: build() for kind, build in _VALID.items()}


def _check(opened: Opened, lim: Limits) -> None:
    assert opened.status in ATTACHMENT_STATUSES
    # Opened within the bound (and a few more whose names run code); past it, names only.
    read = [m for m in opened.members if not m.skipped]
    assert len(read) <= lim.max_archive_members + RESCUE_LIMIT
    assert all(m.data == b"" for m in opened.members if m.skipped)
    assert all(len(m.data) <= lim.max_member_bytes for m in opened.members)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(_RAW_OPENERS)), rest=st.binary(max_size=3000))
def test_random_bytes_never_raise(kind: str, rest: bytes) -> None:
    data = _MAGIC[kind] + rest if kind != "iso" else bytes(0x8001) + b"CD001" + rest
    request = OpenRequest(
        data=data, kind=kind, path="2/x", passwords=("pw",), budget=Budget(DEFAULT), depth=0
    )
    _check(_RAW_OPENERS[kind](request), DEFAULT)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(_VALID_DATA)),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
    cut=st.integers(min_value=0, max_value=100),
)
def test_damaged_archives_never_raise(kind: str, edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_VALID_DATA[kind])
    for position, value in edits:
        data[position % len(data)] = value
    data = data[: max(8, len(data) * (100 - cut) // 100)] if cut > 90 else data
    request = OpenRequest(
        data=bytes(data), kind=kind, path="2/x", passwords=("pw",), budget=Budget(DEFAULT), depth=0
    )
    _check(_RAW_OPENERS[kind](request), DEFAULT)


def test_every_registered_kind_survives_garbage() -> None:
    for kind in OPENERS:
        for data in (b"", _MAGIC.get(kind, b"") + bytes(100), random_bytes(2000)):
            _check(open_direct(data, kind), DEFAULT)


# --- third-party corpus ---------------------------------------------------------------------


def test_spamassassin_password_zip_opens_and_its_macro_is_found() -> None:
    folder = corpus_dir("macro-mail", "spamassassin")
    result = scan((folder / "zippwmacro.eml").read_bytes())
    facts = finding(result, "attachment.archive_password_in_body").facts()
    assert facts["password"] == "sa"
    macro = finding(result, "attachment.macro")
    assert macro.evidence[0].location.startswith("attachment 2/macro.zip/")


_STRELKA_PASSWORD = "password"  # strelka's own tests use it for these fixtures


def strelka() -> Path:
    return corpus_dir("office", "strelka_fixtures", "src/python/strelka/tests/fixtures")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("test.zip", "ok"),
        ("test_zip_password.zip", "ok"),
        ("test_aes256_password.zip", "ok"),
        ("test_mixedcrypto.zip", "encrypted"),  # one member has another password
        ("test_empty.zip", "ok"),
        ("test.7z", "ok"),
        ("test_password.7z", "ok"),
        ("test_password_filenames.7z", "ok"),  # encrypted file list
        ("test_password_brute.7z", "encrypted"),  # a password we are not told
        ("test.gz", "ok"),
        ("test.bz2", "ok"),
        ("test.xz", "ok"),
        ("test.iso", "ok"),
        ("test_udf_1.50.img", "skipped"),  # UDF without ISO 9660
        ("test_password.rar", "encrypted"),  # libarchive lists RAR names, cannot decrypt
        ("test_password_encrypted_headers.rar", "encrypted"),
        ("test.rar", "ok"),
        ("test_lzx.cab", "ok"),
        ("test.tar", "ok"),
    ],
)
def test_strelka_archives_open_or_are_reported(name: str, status: str) -> None:
    folder = corpus_dir(
        "office", "strelka_fixtures", "src", "python", "strelka", "tests", "fixtures"
    )
    data = (folder / name).read_bytes()

    kind = sniff(data).kind
    opened = open_direct(data, kind, (_STRELKA_PASSWORD,))
    assert opened.status == status
    if status == "ok":
        assert opened.members
    if "password" in name and status == "ok":
        assert "attachment.archive_password_in_body" in {h.id for h in opened.hits}


def test_strelka_half_gigabyte_zero_member_is_inflated() -> None:
    folder = corpus_dir(
        "office", "strelka_fixtures", "src", "python", "strelka", "tests", "fixtures"
    )
    opened = open_direct((folder / "test_big.zip").read_bytes(), "zip")
    facts = dict(next(h for h in opened.hits if h.id == "attachment.inflated").evidence[0].facts)
    assert facts["inflated_bytes"] == "512000000"


def test_concatenated_gzip_members_are_all_read() -> None:
    import gzip as gzip_module

    payload = b"MZ" + bytes(58) + (64).to_bytes(4, "little") + b"PE\0\0" + bytes(200)
    data = gzip_module.compress(b"harmless text\n" * 10) + gzip_module.compress(payload)
    result = scan(with_attachment(data, "report.txt.gz", "application/gzip"))
    (member,) = result.attachments[1].children
    assert member.size == 140 + len(payload)
    assert member.status == "ok"
