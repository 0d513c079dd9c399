"""Hostile input: never a crash or a hang, always a result within bounds (or a clear error)."""

from __future__ import annotations

import time

import pytest
from cases import nested
from conftest import eml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcheck.api import scan_bytes
from mailcheck.parse import NotAMessageError

HANG_GUARD_SECONDS = 10.0  # generous: these must never be anywhere near it


def scan_or_reject(data: bytes) -> None:
    try:
        result = scan_bytes(data)
    except NotAMessageError:
        return
    assert result.verdict.label in ("clean", "suspicious", "malicious")


def timed(data: bytes) -> float:
    started = time.monotonic()
    scan_or_reject(data)
    return time.monotonic() - started


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_never_crash(data: bytes) -> None:
    scan_or_reject(data)


header_names = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Subject",
        "Reply-To",
        "Sender",
        "Content-Type",
        "Received",
        "Content-Disposition",
        "Message-ID",
        "References",
        "Date",
    ]
)
header_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=200
) | st.sampled_from(
    [
        '"',
        "<",
        "=?utf-8?B?",
        "=?iso-2022-jp?B?GyRC?=",
        'multipart/mixed; boundary="',
        "@",
        '"a@b" <',
        "a@b, , ,",
        "=?x?Q?=ZZ?=",
        "attachment; filename*=utf-8''%ZZ",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(header_names, header_values), min_size=1, max_size=12),
    st.binary(max_size=500),
)
def test_random_headers_never_crash(headers: list[tuple[str, str]], body: bytes) -> None:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    scan_or_reject(b"From: a@example.com\r\n" + head.encode("utf-8") + b"\r\n" + body)


def test_huge_header_parses_quickly() -> None:
    value = "=?utf-8?B?5bGx55Sw?= " * 40000  # ~800 KB of encoded words
    assert timed(eml(f"Subject: {value}", "From: a@example.com")) < HANG_GUARD_SECONDS


def test_many_folded_lines_parse_quickly() -> None:
    folded = "To: " + ",\r\n ".join(f"user{i}@example.com" for i in range(30000))
    assert timed(eml("From: a@example.com", folded)) < HANG_GUARD_SECONDS


def test_pathological_address_syntax_parses_quickly() -> None:
    nasty = "From: " + '"' * 20000 + "<" * 20000 + "@" * 20000
    assert timed(eml(nasty)) < HANG_GUARD_SECONDS


def test_deep_multipart_nesting_is_bounded() -> None:
    depth = 300
    opening = "".join(
        f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n'
        for i in range(depth)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    data = eml(
        "From: a@example.com",
        body=opening + "--b300\r\n\r\nx\r\n" + closing,
        content_type='multipart/mixed; boundary="b0"',
    )
    started = time.monotonic()
    result = scan_bytes(data)
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    assert result.verdict.incomplete
    assert "limit.max_depth" in {f.id for f in result.findings}


def test_deep_message_nesting_is_bounded() -> None:
    data = eml("From: z@example.com")
    for level in range(30):
        data = nested(data, f"n{level}")
    result = scan_bytes(data)
    assert "limit.max_depth" in {f.id for f in result.findings}
    assert result.verdict.incomplete


def test_many_parts_are_bounded() -> None:
    parts = "".join("--p\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(3000))
    data = eml(
        "From: a@example.com",
        body=parts + "--p--\r\n",
        content_type='multipart/mixed; boundary="p"',
    )
    result = scan_bytes(data)
    assert "limit.max_parts" in {f.id for f in result.findings}
    # Nameless text parts past the bound are not worth a line each.
    assert sum(len(a.walk()) for a in result.attachments) == 1000


def test_filenames_never_become_paths() -> None:
    body = (
        "--x\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\nroot\r\n--x--\r\n'
    )
    result = scan_bytes(
        eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="x"')
    )
    node = result.attachments[0]
    assert node.filename == "../../etc/passwd"
    assert node.path == "1/.._.._etc_passwd"


def test_padding_header_does_not_hide_the_sender() -> None:
    data = eml(
        "Received: from x by y; Tue, 1 Mar 2022 09:00:00 +0900",
        "X-Pad: " + "A" * (1024 * 1024 + 10),
        'From: "boss@corp.example" <x@hacked.example>',
        "Subject: urgent",
    )
    result = scan_bytes(data)
    found = {f.id for f in result.findings}
    assert "limit.max_header_bytes" in found
    assert "sender.display_name_has_address" in found
    assert result.message.subject == "urgent"
    assert result.verdict.label == "suspicious"


def test_many_text_parts_are_not_each_split_for_quotes(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailcheck.analyzers import reply_hijack as thread

    calls: list[int] = []
    real = thread.split_thread

    def counting(text: str, *, html: bool = False) -> object:
        calls.append(1)
        return real(text, html=html)

    monkeypatch.setattr(thread, "split_thread", counting)
    parts = "".join("--p\r\nContent-Type: text/plain\r\n\r\nFrom: a\r\n\r\n" for _ in range(300))
    data = eml(
        "From: a@example.com",
        "Subject: Re: x",
        body=parts + "--p--\r\n",
        content_type='multipart/mixed; boundary="p"',
    )
    scan_bytes(data)
    assert 1 <= len(calls) <= 2


def test_huge_mbox_message_is_cut_at_the_input_bound() -> None:
    import dataclasses
    import io

    from mailcheck.api import scan_stream
    from mailcheck.limits import DEFAULT

    limits = dataclasses.replace(DEFAULT, max_input_bytes=100_000)
    huge = b"From a@b Mon Mar  7 09:00:00 2022\nFrom: a@example.com\n\n" + b"x" * 5_000_000
    tail = b"\n\nFrom c@d Mon Mar  7 09:00:00 2022\nFrom: c@example.com\n\nlast\n"
    results = list(scan_stream(io.BytesIO(huge + b"\n" + b"y" * 300_000 + tail), limits=limits))
    assert [r.source.index for r in results] == [0, 1]  # type: ignore[union-attr]
    first = results[0]
    assert "limit.max_input_bytes" in {f.id for f in first.findings}  # type: ignore[union-attr]
