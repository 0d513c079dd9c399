"""Authentication-Results / Received-SPF: parsed as recorded, shown, saved, never trusted."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner
from conftest import eml
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcheck.api import scan_bytes
from mailcheck.catalog import load
from mailcheck.cli import main
from mailcheck.model import AuthResult
from mailcheck.parse.auth import (
    MAX_ARC_INSTANCES,
    MAX_FIELD_CHARS,
    MAX_FIELDS,
    MAX_RESULTS,
    MAX_TEXT,
    arc_recorded,
    parse_auth,
    parse_authentication_results,
    parse_received_spf,
    summary,
)
from mailcheck.parse.types import Header
from mailcheck.report import json_codec

CORP = (
    "mx.corp.example; spf=pass smtp.mailfrom=x@a.example; dkim=fail header.d=a.example; dmarc=none"
)
GOOGLE = (
    "mx.google.com; dkim=pass header.i=@example.com header.s=s1 header.b=Ab/cd+; "
    "spf=pass (google.com: domain of bounce@example.com designates 192.0.2.1 as permitted "
    "sender) smtp.mailfrom=bounce@example.com; "
    "dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com"
)
SPF = (
    "Pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted "
    'sender) receiver=mybox.example.org; client-ip=192.0.2.1; envelope-from="myname@example.com"; '
    "helo=foo.example.com;"
)


def header(name: str, value: str) -> Header:
    return Header(name=name, value=value, raw=value)


def test_rfc8601_example_from_the_issue() -> None:
    assert parse_authentication_results(CORP) == [
        AuthResult(
            method="spf",
            result="pass",
            detail="smtp.mailfrom=x@a.example",
            authserv_id="mx.corp.example",
        ),
        AuthResult(
            method="dkim", result="fail", detail="header.d=a.example", authserv_id="mx.corp.example"
        ),
        AuthResult(method="dmarc", result="none", detail="", authserv_id="mx.corp.example"),
    ]


def test_comments_reasons_versions_and_quotes() -> None:
    results = parse_authentication_results(GOOGLE)
    assert [(r.method, r.result, r.detail) for r in results] == [
        ("dkim", "pass", "header.i=@example.com"),
        ("spf", "pass", "smtp.mailfrom=bounce@example.com"),
        ("dmarc", "pass", "header.from=example.com"),
    ]
    quoted = parse_authentication_results(
        'mx.example 1; dkim/1 = "PASS" reason="good; really" header.d=x.example'
    )
    assert quoted == [
        AuthResult(
            method="dkim", result="pass", detail="header.d=x.example", authserv_id="mx.example"
        )
    ]


def test_no_result_and_missing_authserv_id() -> None:
    assert parse_authentication_results("mx.example 1; none") == []
    assert parse_authentication_results("spf=fail smtp.mailfrom=a@b.example") == [
        AuthResult(method="spf", result="fail", detail="smtp.mailfrom=a@b.example")
    ]


def test_received_spf() -> None:
    assert parse_received_spf(SPF) == AuthResult(
        method="spf",
        result="pass",
        detail="smtp.mailfrom=myname@example.com",
        authserv_id="mybox.example.org",
    )
    helo = parse_received_spf("softfail (mx.example: transitioning) helo=h.example; identity=helo")
    assert helo == AuthResult(
        method="spf", result="softfail", detail="smtp.helo=h.example", authserv_id="mx.example"
    )
    assert parse_received_spf("") is None


def test_header_order_is_kept_and_other_fields_ignored() -> None:
    headers = [
        header("Received-SPF", SPF),
        header("Subject", "spf=pass"),
        header("ARC-Authentication-Results", "i=1; mx.example; spf=pass"),
        header("authentication-results", CORP),
    ]
    results = parse_auth(headers)
    assert [r.authserv_id for r in results] == ["mybox.example.org"] + ["mx.corp.example"] * 3
    assert (
        summary(results)
        == "spf=pass (mybox.example.org); spf=pass dkim=fail dmarc=none (mx.corp.example)"
    )


def test_bounded() -> None:
    many = [header("Authentication-Results", CORP)] * (MAX_FIELDS * 3)
    assert len(parse_auth(many)) <= MAX_RESULTS
    long_id = "a" * 10_000 + "; " + "spf=pass smtp.mailfrom=" + "b" * 10_000
    started = time.monotonic()
    results = parse_auth([header("Authentication-Results", long_id * 50)])
    assert time.monotonic() - started < 10  # generous hang guard
    assert all(len(r.authserv_id) <= MAX_TEXT and len(r.detail) <= MAX_TEXT + 20 for r in results)
    deep = "mx; spf=pass " + "(" * MAX_FIELD_CHARS
    assert parse_auth([header("Authentication-Results", deep)])[0].result == "pass"


def test_arc_chain_pairs_each_sealer_with_its_own_record() -> None:
    chain = [
        header("ARC-Seal", "i=2; a=rsa-sha256; cv=pass; d=Outlook.example.; s=x; b=AA"),
        header("ARC-Authentication-Results", "i=2; mx.outlook.example; dmarc=fail"),
        header("ARC-Seal", "i=1; a=rsa-sha256; cv=none; d=google.com; s=y; b=BB"),
        header("ARC-Authentication-Results", "i=1; mx.google.com; dmarc=pass header.from=a.jp"),
        header("ARC-Authentication-Results", "i=0; mx.evil.example; dmarc=pass"),  # no such i
        header("ARC-Seal", "i=3; d=orphan.example"),  # no record of its own
    ]
    recorded = arc_recorded(chain)
    assert list(recorded) == ["google.com", "outlook.example"]
    assert [(r.method, r.result) for r in recorded["google.com"]] == [("dmarc", "pass")]
    assert recorded["outlook.example"][0].result == "fail"


def test_arc_chain_is_bounded() -> None:
    flood = [
        header(name, f"i={n}; d=s{n}.example; mx; dmarc=pass")
        for n in range(1, 10_000)
        for name in ("ARC-Seal", "ARC-Authentication-Results")
    ]
    started = time.monotonic()
    recorded = arc_recorded([*flood, header("ARC-Seal", "i=x" * 100_000)])
    assert time.monotonic() - started < 10  # generous hang guard
    assert len(recorded) <= MAX_ARC_INSTANCES


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.text(alphabet=' ;=()"\\.@abcdefpsimx\t', max_size=400))
def test_never_raises_on_garbage(text: str, structured: str) -> None:
    for value in (text, structured):
        results = parse_auth(
            [header("Authentication-Results", value), header("Received-SPF", value)]
        )
        assert len(results) <= MAX_RESULTS
        assert all(r.method and r.result for r in results)
        summary(results)
        arc_recorded([header("ARC-Seal", value), header("ARC-Authentication-Results", value)])


def auth_message() -> bytes:
    return eml(
        f"Authentication-Results: {CORP}",
        "From: Sender <x@a.example>",
        "To: b@corp.example",
        "Subject: hello",
    )


def test_in_the_summary_json_and_round_trip() -> None:
    result = scan_bytes(auth_message())
    assert [r.method for r in result.message.auth] == ["spf", "dkim", "dmarc"]
    line = json_codec.dumps(result, load(), "en")
    saved = json.loads(line)["message"]["auth"]
    assert saved[0] == {
        "method": "spf",
        "result": "pass",
        "detail": "smtp.mailfrom=x@a.example",
        "authserv_id": "mx.corp.example",
    }
    assert json_codec.loads(line).message.auth == result.message.auth


def test_older_json_without_auth_still_loads() -> None:
    line = json_codec.dumps(scan_bytes(auth_message()), load(), "en")
    raw = json.loads(line)
    del raw["message"]["auth"]
    assert json_codec.from_dict(raw).message.auth == ()


def test_terminal_shows_one_line() -> None:
    out = CliRunner().invoke(main, ["scan", "--lang", "en", "-"], input=auth_message()).stdout
    assert "Auth:" in out
    assert "spf=pass dkim=fail dmarc=none (mx.corp.example)" in out
    plain = CliRunner().invoke(main, ["scan", "--lang", "en", "-"], input=eml("From: a@b.example"))
    assert "Auth:" not in plain.stdout
