"""A limit never hides the payload (issue: padding and nesting past the scan's bounds).

Attackers put a thousand empty files or MIME parts before the payload, or nest it deeper
than the scan goes, so that a bound stops the walk first. Past a bound the rest is listed
by name, files whose names run code are still analysed (a few per scan), and any left
closed are a finding. Each shape has a harmless twin that stays clean.
"""

from __future__ import annotations

import io
import tarfile
import time

from cases import dropper_docm, eml, limits, nested, with_attachment
from cases_containers import ZIP, plain_zip, tiny_exe

from mailcheck.api import scan_bytes
from mailcheck.limits import DEFAULT, RESCUE_LIMIT
from mailcheck.model import ScanResult

JA = ("From: 経理部 <keiri@partner.example>", "Subject: =?utf-8?b?6KuL5rGC5pu4?=")
EN = ("From: Accounts <accounts@partner.example>", "Subject: invoice")
DOCM = "application/vnd.ms-word.document.macroEnabled.12"


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def located(result: ScanResult, finding_id: str) -> list[str]:
    return [e.location for f in result.findings if f.id == finding_id for e in f.evidence]


def nodes(result: ScanResult) -> dict[str, str]:
    return {n.path: n.status for top in result.attachments for n in top.walk()}


def padded_zip(payload: tuple[str, bytes], count: int = 1000) -> bytes:
    return plain_zip([(f"scan{i:04}.txt", b"") for i in range(count)] + [payload])


def padded_tar(payload: tuple[str, bytes], count: int = 1000) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in [(f"scan{i:04}.txt", b"") for i in range(count)] + [payload]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def padded_parts(payload: tuple[str, str, bytes], headers: tuple[str, ...], count: int) -> bytes:
    """`count` tiny attachments, then the payload: the part bound stops before it."""
    import base64

    parts = [
        f'--PB\r\nContent-Type: application/octet-stream\r\n'
        f'Content-Disposition: attachment; filename="p{i:04}.dat"\r\n\r\nx\r\n'
        for i in range(count)
    ]
    name, content_type, data = payload
    encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
    parts.append(
        f"--PB\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n{encoded}'
    )
    body = "--PB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
    return eml(
        *headers,
        body=body + "".join(parts) + "--PB--\r\n",
        content_type='multipart/mixed; boundary="PB"',
    )


# --- archives padded with empty members ---------------------------------------------------


def test_zip_padding_does_not_push_the_program_out() -> None:
    for headers in (JA, EN):
        data = with_attachment(padded_zip(("invoice.exe", tiny_exe())), "docs.zip", ZIP, *headers)
        result = scan_bytes(data)
        assert result.verdict.label == "malicious"
        assert located(result, "attachment.executable") == ["attachment 2/docs.zip/invoice.exe"]
        assert "limit.max_parts" in ids(result)  # the bound was still reached, and said so
        # Past the bound the padding is listed by name, never read.
        assert nodes(result)["2/docs.zip/scan0999.txt"] == "skipped"


def test_zip_padding_twin_stays_clean() -> None:
    data = with_attachment(padded_zip(("notes.txt", b"minutes")), "docs.zip", ZIP, *JA)
    result = scan_bytes(data)
    assert result.verdict.label == "clean"
    assert "attachment.payload_past_limit" not in ids(result)
    assert nodes(result)["2/docs.zip"] == "truncated"


def test_streamed_tar_opens_a_program_past_the_bound() -> None:
    # libarchive reads in stored order: the program after the bound is opened all the same.
    data = with_attachment(
        padded_tar(("invoice.js", b'WScript.CreateObject("WScript.Shell").Run("calc")')),
        "docs.tar",
        "application/x-tar",
        *EN,
    )
    result = scan_bytes(data, limits=limits(max_archive_members=100))
    assert "limit.max_archive_members" in ids(result)
    assert nodes(result)["2/docs.tar/invoice.js"] == "ok"
    assert result.verdict.label == "malicious"
    twin = with_attachment(padded_tar(("notes.txt", b"minutes")), "docs.tar", "application/x-tar")
    assert scan_bytes(twin, limits=limits(max_archive_members=100)).verdict.label == "clean"


def test_programs_beyond_the_rescue_are_a_finding() -> None:
    members = [(f"part{i:02}.js", b"x") for i in range(RESCUE_LIMIT + 10)]
    data = with_attachment(plain_zip(members), "a.zip", ZIP, *JA)
    result = scan_bytes(data, limits=limits(max_archive_members=2))
    finding = next(f for f in result.findings if f.id == "attachment.payload_past_limit")
    facts = finding.facts()
    assert finding.evidence[0].location == "attachment 2/a.zip"
    assert facts["count"] == "8"  # 26 names: 2 within the bound, 16 opened all the same
    assert "part18.js (program)" in facts["names"]
    assert result.verdict.label in ("suspicious", "malicious")


# --- MIME parts past the part bound -------------------------------------------------------


def test_parts_padding_does_not_hide_the_attachment() -> None:
    for headers in (JA, EN):
        payload = ("請求書.exe", "application/octet-stream", tiny_exe())
        result = scan_bytes(padded_parts(payload, headers, 1000))
        assert "limit.max_parts" in ids(result)
        assert located(result, "attachment.executable") == ["attachment 1002/請求書.exe"]
        assert result.verdict.label == "malicious"
        assert nodes(result)["1001/p0999.dat"] == "skipped"


def test_parts_padding_twin_stays_clean() -> None:
    result = scan_bytes(padded_parts(("notes.txt", "text/plain", b"minutes"), EN, 1000))
    assert result.verdict.label == "clean"
    assert nodes(result)["1002/notes.txt"] == "skipped"


# --- nesting past max_depth ----------------------------------------------------------------


def _nest(inner: bytes, levels: int) -> bytes:
    for level in range(levels):
        inner = nested(inner, f"N{level}")
    return inner


def test_deep_nesting_does_not_hide_the_macro_document() -> None:
    inner = with_attachment(dropper_docm(), "請求書.docm", DOCM, *JA)
    result = scan_bytes(_nest(inner, 10))
    assert "limit.max_depth" in ids(result)
    assert result.verdict.label == "malicious"
    deep = located(result, "attachment.macro.autoexec_exec")
    assert len(deep) == 1 and deep[0].endswith("/請求書.docm")
    assert deep[0].count("/2") == 10  # found ten messages down, past the bound of 8


def test_deep_nesting_twin_lists_names_and_is_not_malicious() -> None:
    inner = with_attachment(b"minutes of the meeting", "notes.txt", "text/plain", *EN)
    result = scan_bytes(_nest(inner, 10))
    assert "limit.max_depth" in ids(result)  # ten forwarded layers are odd in themselves
    assert result.verdict.label == "suspicious"
    assert "attachment.payload_past_limit" not in ids(result)
    listed = [path for path, status in nodes(result).items() if path.endswith("/notes.txt")]
    assert listed and nodes(result)[listed[0]] == "skipped"


def test_names_past_the_depth_bound_are_a_finding_when_not_opened() -> None:
    names = [(f"a{i:02}.vbs", b"x") for i in range(RESCUE_LIMIT + 2)]
    body = "".join(
        f'--F\r\nContent-Type: text/vbscript\r\nContent-Disposition: attachment; '
        f'filename="{n}"\r\n\r\n{d.decode()}\r\n'
        for n, d in names
    )
    inner = eml(*EN, body=body + "--F--\r\n", content_type='multipart/mixed; boundary="F"')
    result = scan_bytes(_nest(inner, 2), limits=limits(max_depth=1))
    finding = next(f for f in result.findings if f.id == "attachment.payload_past_limit")
    assert finding.evidence[0].location == "attachment 2/2"
    assert finding.facts()["count"] == "2"  # 18 scripts: 16 analysed all the same
    assert "a17.vbs (program)" in finding.facts()["names"]


# --- the listing itself is bounded ---------------------------------------------------------


def test_huge_member_count_is_listed_quickly() -> None:
    data = with_attachment(padded_zip(("notes.txt", b"x"), count=100_000), "big.zip", ZIP)
    started = time.monotonic()
    result = scan_bytes(data)
    assert time.monotonic() - started < 60  # a guard against a hang, not a benchmark
    listed = [n for n in nodes(result).values() if n == "skipped"]
    assert len(listed) == DEFAULT.max_archive_members  # as many again as the bound, no more
