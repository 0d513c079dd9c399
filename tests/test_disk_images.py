"""VHD, VHDX and raw disk images (issue: disk images that Windows mounts with a double click).

A shortcut inside a VHD is found as one inside a ZIP is, in Japanese and English mail, with
its location inside the image; the same image holding a text and a PDF stays as an ISO with
them does; a damaged image or file system is said to be unread, never a crash; and loops and
huge folders in the FAT end within seconds. The same for NTFS volumes (what Windows formats a
new VHD with), built by ntfs-3g: those tests skip, saying so, where it is not installed.
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
from collections.abc import Callable
from functools import cache

import pytest
from cases import limits, with_attachment
from cases_payloads import benign_lnk, dropper_lnk

from mailcheck.api import scan_bytes
from mailcheck.containers import OPENERS, OpenRequest
from mailcheck.limits import DEFAULT, Budget
from mailcheck.model import ScanResult
from mailcheck.sniff import sniff
from testkit.disks import (
    Fat12,
    build_dynamic_vhd,
    build_fat,
    build_ntfs,
    build_vhd,
    build_vhdx,
    ntfs_attribute,
    ntfs_index_entry,
    ntfs_missing,
    ntfs_patched,
    ntfs_record,
    ntfs_segment,
    with_fat_entry,
    with_mbr,
)
from testkit.payloads import build_iso
from testkit.pdf import build_pdf

OCTET = "application/octet-stream"
JA = "お世話になっております。\r\n請求書を送付いたします。ご確認ください。\r\n"
EN = "Hello,\r\nplease find the invoice attached.\r\n"
PDF = build_pdf(text="Quarterly report")  # a readable one: PDFs are opened and read now

IMAGES: dict[str, Callable[[bytes], bytes]] = {
    "invoice.vhd": lambda fat: build_vhd(with_mbr(fat)),  # fixed, partitioned
    "invoice-dynamic.vhd": build_dynamic_vhd,  # dynamic, a bare volume
    "invoice.vhdx": lambda fat: build_vhdx(with_mbr(fat)),
    "invoice.img": lambda fat: fat,  # a raw floppy-style image
}


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def located(result: ScanResult, finding_id: str) -> list[str]:
    return [e.location for f in result.findings if f.id == finding_id for e in f.evidence]


def members(result: ScanResult) -> set[str]:
    return {n.path for top in result.attachments for n in top.walk()}


def read_members(result: ScanResult, prefix: str) -> list[str]:
    """Members under `prefix` that were read (not only listed by name past a bound)."""
    walked = [n for top in result.attachments for n in top.walk()]
    return [n.path for n in walked if n.path.startswith(prefix) and n.status != "skipped"]


def scan(data: bytes, name: str, text: str = EN) -> ScanResult:
    return scan_bytes(with_attachment(data, name, OCTET, text=text))


def open_image(data: bytes, kind: str) -> tuple[str, list[str], set[str]]:
    request = OpenRequest(
        data=data, kind=kind, path="2/x", passwords=(), budget=Budget(DEFAULT), depth=0
    )
    opened = OPENERS[kind](request)
    return opened.status, [m.name for m in opened.members], {h.id for h in opened.hits}


# --- what is inside ------------------------------------------------------------------------


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize("name", sorted(IMAGES))
def test_a_shortcut_in_a_disk_image_is_found(name: str, text: str) -> None:
    fat = build_fat([("invoice.lnk", dropper_lnk()), ("docs/readme.txt", b"see the invoice")])
    result = scan(IMAGES[name](fat), name, text)
    assert f"attachment 2/{name}/invoice.lnk" in located(result, "attachment.lnk")
    assert f"2/{name}/docs_readme.txt" in members(result)  # separators never reach a path
    assert result.verdict.label == "malicious"
    assert not result.verdict.incomplete
    assert "attachment.archive_unsupported" not in ids(result)


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
def test_the_same_shortcut_in_a_zip_gives_the_same_verdict(text: str) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("invoice.lnk", dropper_lnk())
    in_zip = scan(packed.getvalue(), "invoice.zip", text)
    in_vhd = scan(build_vhd(build_fat([("invoice.lnk", dropper_lnk())])), "invoice.vhd", text)
    assert in_zip.verdict.label == in_vhd.verdict.label == "malicious"
    assert ids(in_zip) == ids(in_vhd)


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize("name", sorted(IMAGES))
def test_a_disk_image_of_documents_is_judged_as_an_iso_of_them(name: str, text: str) -> None:
    files = [("minutes.txt", b"Minutes of the meeting.\r\n"), ("report.pdf", PDF)]
    result = scan(IMAGES[name](build_fat(files)), name, text)
    iso = scan(build_iso(files), "invoice.iso", text)
    assert {f"2/{name}/minutes.txt", f"2/{name}/report.pdf"} <= members(result)
    assert result.verdict.label == iso.verdict.label != "malicious"
    assert not result.verdict.incomplete


def test_a_harmless_shortcut_in_a_vhd_is_only_named() -> None:
    result = scan(build_vhd(build_fat([("report.lnk", benign_lnk())])), "report.vhd")
    assert located(result, "attachment.lnk_shortcut") == ["attachment 2/report.vhd/report.lnk"]
    assert "attachment.lnk" not in ids(result)


# --- telling them apart by their bytes ---------------------------------------------------------


def test_disk_images_are_told_by_their_bytes() -> None:
    fat = build_fat([("a.txt", b"x")], sectors=64)
    assert sniff(build_vhd(fat)).kind == "vhd"  # the footer is at the end
    assert sniff(build_dynamic_vhd(fat)).kind == "vhd"
    assert sniff(build_vhdx(fat)).kind == "vhdx"
    assert sniff(fat).kind == "img"
    assert sniff(with_mbr(fat)).kind == "img"
    assert sniff(b"conectix" + bytes(100)).kind == "vhd"
    # A sector that ends in 55 AA but holds neither a boot sector nor a partition is not a disk.
    assert sniff(bytes(510) + b"\x55\xaa" + bytes(600)).kind != "img"


# --- damage, loops and bounds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("vhd", bytes(4096) + b"conectix" + bytes(504)),  # a footer and nothing it describes
        ("vhd", b"conectix" + b"\xff" * 1000 + b"conectix" + bytes(504)),
        ("vhdx", b"vhdxfile" + bytes(300_000)),  # no headers
        ("vhdx", build_vhdx(build_fat([("a.lnk", b"x")]))[:200_000]),  # cut short
    ],
)
def test_a_damaged_image_is_broken_not_a_crash(kind: str, data: bytes) -> None:
    status, names, hits = open_image(data, kind)
    assert status in ("broken", "skipped") and not names
    assert "attachment.archive_unsupported" in hits


def test_a_differencing_vhdx_does_not_look_for_its_parent() -> None:
    status, names, hits = open_image(
        build_vhdx(build_fat([("a.lnk", b"x")]), has_parent=True), "vhdx"
    )
    assert status == "broken" and not names and "attachment.archive_unsupported" in hits


def test_a_damaged_vhd_in_mail_is_incomplete() -> None:
    result = scan(bytes(4096) + b"conectix" + bytes(504), "invoice.vhd")
    assert "attachment.archive_unsupported" in ids(result)
    assert result.verdict.incomplete


def test_an_unreadable_file_keeps_its_name() -> None:
    fat = build_fat([("invoice.exe", b"MZ" + bytes(2000))])
    broken = with_fat_entry(fat, 2, 0xFF7)  # the first cluster is marked bad
    status, names, hits = open_image(build_vhd(broken), "vhd")
    assert names == ["invoice.exe"] and status == "broken"
    assert "attachment.archive_unsupported" in hits
    result = scan(build_vhd(broken), "invoice.vhd")
    assert "attachment 2/invoice.vhd/invoice.exe" in located(result, "attachment.executable")


def test_a_cluster_chain_loop_ends() -> None:
    fat = build_fat([("big.txt", b"A" * 5000)])  # clusters 2..11
    looped = with_fat_entry(fat, 5, 2)  # the fourth cluster leads back to the first
    started = time.monotonic()
    _status, names, hits = open_image(build_vhd(looped), "vhd")
    assert time.monotonic() - started < 5
    assert names == ["big.txt"] and "attachment.archive_unsupported" in hits


def test_a_folder_inside_itself_ends() -> None:
    volume = Fat12()
    inner = volume.add_file("a.txt", b"hi")
    root = volume.add_dir("loop", inner)
    first = volume.next_cluster - 1  # the folder's only cluster
    # Its ".." entry is rewritten as a plain folder entry pointing to itself.
    start = (volume.data_start + first - 2) * 512
    image = bytearray(volume.image(root))
    image[start + 32 : start + 43] = b"SELF       "
    image[start + 32 + 26 : start + 32 + 28] = first.to_bytes(2, "little")
    started = time.monotonic()
    _status, names, hits = open_image(build_vhd(bytes(image)), "vhd")
    assert time.monotonic() - started < 5
    assert names == ["loop/a.txt"] and "attachment.archive_unsupported" in hits


def test_a_huge_folder_of_long_names_ends() -> None:
    volume = Fat12(sectors=4000)
    junk = (
        b"\x01" + b"A\x00" * 5 + b"\x0f\x00\x00" + b"B\x00" * 6 + bytes(2) + b"C\x00" * 2
    ) * 40_000
    root = volume.add_dir("many", junk + volume.add_file("last.lnk", dropper_lnk()))
    started = time.monotonic()
    status, names, _hits = open_image(build_vhd(volume.image(root)), "vhd")
    assert time.monotonic() - started < 5
    assert names == ["many/last.lnk"] and status == "ok"


def test_members_are_bounded_like_a_zip() -> None:
    fat = build_fat([(f"f{i}.txt", b"x") for i in range(30)])
    result = scan_bytes(
        with_attachment(build_vhd(fat), "many.vhd", OCTET), limits=limits(max_archive_members=10)
    )
    assert "limit.max_archive_members" in ids(result)
    assert len(read_members(result, "2/many.vhd/")) == 10  # the others are listed by name
    assert len(members(result)) > len(read_members(result, ""))


# --- NTFS volumes ----------------------------------------------------------------------------

needs_ntfs = pytest.mark.skipif(bool(ntfs_missing()), reason=f"NTFS images: {ntfs_missing()}")
NTFS_SIZE = 2 * 1024 * 1024
NTFS_IMAGES: dict[str, Callable[[bytes], bytes]] = {
    "invoice.vhd": lambda volume: build_vhd(with_mbr(volume, partition_type=0x07)),
    "invoice.vhdx": lambda volume: build_vhdx(volume),  # a bare volume
    "invoice.img": lambda volume: volume,  # a raw volume
}
DROPPER_NTFS = (("invoice.lnk", "dropper"), ("docs/readme.txt", "see the invoice"))


@cache
def ntfs(members: tuple[tuple[str, str], ...]) -> bytes:
    """An NTFS volume of `members`; "dropper" and "benign" stand for the shortcuts."""
    made = {"dropper": dropper_lnk, "benign": benign_lnk}
    return build_ntfs(
        [(n, made[d]() if d in made else d.encode("latin-1")) for n, d in members],
        size=NTFS_SIZE,
    )


@needs_ntfs
@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize("name", sorted(NTFS_IMAGES))
def test_a_shortcut_in_an_ntfs_image_is_found(name: str, text: str) -> None:
    result = scan(NTFS_IMAGES[name](ntfs(DROPPER_NTFS)), name, text)
    assert f"attachment 2/{name}/invoice.lnk" in located(result, "attachment.lnk")
    assert f"2/{name}/docs_readme.txt" in members(result)
    assert not [p for p in members(result) if "$" in p]  # $MFT, $Extend...: never members
    assert result.verdict.label == "malicious"
    assert not result.verdict.incomplete
    assert "attachment.archive_unsupported" not in ids(result)


@needs_ntfs
@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
def test_the_same_shortcut_in_a_zip_and_an_ntfs_vhd_gives_the_same_verdict(text: str) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("invoice.lnk", dropper_lnk())
    in_zip = scan(packed.getvalue(), "invoice.zip", text)
    in_vhd = scan(build_vhd(ntfs((("invoice.lnk", "dropper"),))), "invoice.vhd", text)
    assert in_zip.verdict.label == in_vhd.verdict.label == "malicious"
    assert ids(in_zip) == ids(in_vhd)


@needs_ntfs
def test_a_shortcut_in_an_ntfs_folder_is_found_with_its_folder() -> None:
    volume = ntfs((("Invoices/2023/invoice.lnk", "dropper"), ("minutes.txt", "Minutes.")))
    result = scan(build_vhd(volume), "invoice.vhd", JA)
    assert located(result, "attachment.lnk") == [
        "attachment 2/invoice.vhd/Invoices_2023_invoice.lnk"
    ]
    assert result.verdict.label == "malicious"


@needs_ntfs
@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize("name", sorted(NTFS_IMAGES))
def test_an_ntfs_image_of_documents_is_judged_as_an_iso_of_them(name: str, text: str) -> None:
    files = [("minutes.txt", b"Minutes of the meeting.\r\n"), ("report.pdf", PDF)]
    volume = ntfs(tuple((n, d.decode("latin-1")) for n, d in files))  # text, byte for byte
    result = scan(NTFS_IMAGES[name](volume), name, text)
    iso = scan(build_iso(files), "invoice.iso", text)
    assert {f"2/{name}/minutes.txt", f"2/{name}/report.pdf"} <= members(result)
    assert result.verdict.label == iso.verdict.label != "malicious"
    assert not result.verdict.incomplete


@needs_ntfs
def test_alternate_data_streams_are_members_but_not_the_mark_of_the_web() -> None:
    volume = ntfs(
        (
            ("report.txt", "quarterly figures"),
            ("report.txt:Zone.Identifier", "[ZoneTransfer]\r\nZoneId=3\r\n"),
            ("report.txt:run.js", "new ActiveXObject('WScript.Shell').Run('cmd /c calc');"),
        )
    )
    status, names, _hits = open_image(build_vhd(volume), "vhd")
    assert status == "ok"
    assert sorted(names) == ["report.txt", "report.txt:run.js"]


# NTFS damage: each is an image ntfs-3g made, then broken where a hostile sender would.


def _damaged(patch: Callable[[bytes], bytes]) -> tuple[str, list[str], set[str], float]:
    volume = patch(ntfs(DROPPER_NTFS))
    started = time.monotonic()
    status, names, hits = open_image(volume, "img")
    return status, names, hits, time.monotonic() - started


@needs_ntfs
def test_a_damaged_ntfs_file_record_keeps_its_name() -> None:
    def smash(image: bytes) -> bytes:
        return ntfs_patched(image, ntfs_record(image, ntfs_segment(image, "invoice.lnk")), b"BAAD")

    status, names, hits, _spent = _damaged(smash)
    assert sorted(names) == ["docs/readme.txt", "invoice.lnk"] and status == "broken"
    assert "attachment.archive_unsupported" in hits
    result = scan(build_vhd(smash(ntfs(DROPPER_NTFS))), "invoice.vhd")
    assert "attachment.archive_unsupported" in ids(result) and result.verdict.incomplete


@needs_ntfs
def test_a_damaged_mft_is_an_unread_volume() -> None:
    status, names, hits, _spent = _damaged(
        lambda image: ntfs_patched(image, ntfs_record(image, 0), b"BAAD")
    )
    assert status == "broken" and not names and "attachment.archive_unsupported" in hits


@needs_ntfs
def test_a_corrupted_folder_index_keeps_the_other_folders() -> None:
    def smash(image: bytes) -> bytes:
        entry = ntfs_index_entry(image, "invoice.lnk")  # in the root's index buffer
        buffer = entry - entry % 4096
        assert image[buffer : buffer + 4] == b"INDX"
        return ntfs_patched(image, buffer, b"XXXX")

    status, names, hits, spent = _damaged(smash)
    assert spent < 5 and status == "broken" and "attachment.archive_unsupported" in hits
    assert "invoice.lnk" not in names


@needs_ntfs
def test_an_ntfs_folder_inside_itself_ends() -> None:
    def loop(image: bytes) -> bytes:
        entry = ntfs_index_entry(image, "readme.txt")  # in docs/: now docs/ again, a folder
        docs = ntfs_index_entry(image, "docs")
        image = ntfs_patched(image, entry, image[docs : docs + 8])
        return ntfs_patched(image, entry + 16 + 56, struct.pack("<I", 0x1000_0000))

    status, names, hits, spent = _damaged(loop)
    assert spent < 5 and names == ["invoice.lnk"]
    assert status == "broken" and "attachment.archive_unsupported" in hits


@needs_ntfs
@pytest.mark.parametrize(
    ("lcn", "problem"), [(None, ""), (1 << 36, "outside the volume")], ids=["sparse", "outside"]
)
def test_an_ntfs_data_run_of_terabytes_is_read_only_as_far_as_the_bound(
    lcn: int | None, problem: str
) -> None:
    clusters = 1 << 30  # 4 TiB of 4 KiB clusters

    def grow(image: bytes) -> bytes:
        data = ntfs_attribute(image, ntfs_segment(image, "readme.txt"), 0x80)
        assert image[data + 8] == 1, "the file must be stored in clusters, not in its record"
        runs = (
            b"\x04" + struct.pack("<I", clusters)
            if lcn is None
            else b"\x51\x08" + struct.pack("<Q", lcn)[:5]  # 8 clusters far past the end
        ) + b"\x00"
        pairs = data + int.from_bytes(image[data + 0x20 : data + 0x22], "little")
        image = ntfs_patched(image, data + 0x18, struct.pack("<Q", clusters - 1))
        image = ntfs_patched(image, data + 0x28, struct.pack("<QQQ", *[clusters * 4096] * 3))
        return ntfs_patched(image, pairs, runs)

    volume = grow(ntfs((("readme.txt", "x" * 5000), ("invoice.lnk", "dropper"))))
    request = OpenRequest(
        data=volume,
        kind="img",
        path="2/x",
        passwords=(),
        budget=Budget(limits(max_member_bytes=1024 * 1024)),
        depth=0,
    )
    started = time.monotonic()
    opened = OPENERS["img"](request)
    assert time.monotonic() - started < 5
    assert sorted(m.name for m in opened.members) == ["invoice.lnk", "readme.txt"]
    readme = next(m for m in opened.members if m.name == "readme.txt")
    assert readme.truncated and len(readme.data) <= 1024 * 1024
    reasons = " ".join(e.excerpt for h in opened.hits for e in h.evidence)
    assert problem in reasons
    assert (opened.status == "broken") == bool(problem)


@needs_ntfs
def test_ntfs_members_are_bounded_like_a_zip() -> None:
    volume = ntfs(tuple((f"f{i}.txt", "x") for i in range(30)))
    result = scan_bytes(
        with_attachment(build_vhd(volume), "many.vhd", OCTET),
        limits=limits(max_archive_members=10),
    )
    assert "limit.max_archive_members" in ids(result)
    assert len(read_members(result, "2/many.vhd/")) == 10  # the others are listed by name
    assert len(members(result)) > len(read_members(result, ""))


@needs_ntfs
def test_ntfs_images_are_told_by_their_bytes() -> None:
    volume = ntfs((("a.txt", "x"),))
    assert sniff(volume).kind == "img"
    assert sniff(with_mbr(volume, partition_type=0x07)).kind == "img"
    assert sniff(build_vhd(volume)).kind == "vhd"
