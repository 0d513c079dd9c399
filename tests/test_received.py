"""The Received-chain reader, on MTA shapes and against mail-parser on real mail."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

import pytest
from conftest import corpus_dir

from mailcheck.parse.received import MAX_HOPS, parse_hop, parse_received


def test_postfix_hop_with_comments() -> None:
    hop = parse_hop(
        "from mail.example.com (mail.example.com [192.0.2.1]) by mx.corp.example (Postfix)"
        " with ESMTPS id 4ABC for <a@corp.example>; Tue, 1 Mar 2022 09:00:00 +0900 (JST)"
    )
    assert hop.from_host == "mail.example.com (mail.example.com [192.0.2.1])"
    assert hop.by_host == "mx.corp.example (Postfix)"
    assert hop.with_protocol == "ESMTPS"
    assert hop.date == "2022-03-01T00:00:00+00:00"


def test_keywords_inside_comments_are_not_clauses() -> None:
    hop = parse_hop(
        "from pc (helo=from by with) (authenticated by id 7) by mail.example.com with esmtpa"
        " (Exim 4.94) (envelope-from <x@example.com>) id 1nO; Tue, 01 Mar 2022 00:59:58 -0000"
    )
    assert hop.from_host == "pc (helo=from by with) (authenticated by id 7)"
    assert hop.by_host == "mail.example.com"
    assert hop.with_protocol.startswith("esmtpa (Exim 4.94)")
    assert hop.date == "2022-03-01T00:59:58+00:00"  # -0000: unknown zone, read as UTC


def test_odd_and_hostile_values_never_raise() -> None:
    for value in ("", ";", "(((((", "from", "by ; ;", "x" * 100_000, "from \udcff; Tue, 99 Foo"):
        parse_hop(value)
    assert parse_hop("qmail 123 invoked by uid 510); 28 Aug 2002 08:29:49 -0000").date


def test_hops_are_in_transit_order_and_bounded() -> None:
    values = [f"from h{i} by h{i + 1}; Tue, 1 Mar 2022 09:00:0{i % 10} +0000" for i in range(80)]
    hops = parse_received(values)
    assert len(hops) == MAX_HOPS
    assert hops[-1].from_host == "h0"  # the header block lists the newest hop first


def test_agrees_with_mail_parser_on_real_mail() -> None:
    mailparser_utils = pytest.importorskip("mailparser.utils")
    folder = corpus_dir("ham", "spamassassin-easy-ham-1")
    fields = {"from_host": "from", "by_host": "by", "with_protocol": "with", "date": "date_utc"}
    total = 0
    agree = dict.fromkeys(fields, 0)
    for path in sorted(folder.iterdir())[:600]:
        message = BytesParser(policy=policy.compat32).parsebytes(path.read_bytes(), True)
        values = [
            re.sub(r"\r?\n[ \t]*", " ", str(v)).strip()
            for k, v in message.raw_items()
            if k.lower() == "received"
        ]
        if not values:
            continue
        theirs = mailparser_utils.receiveds_parsing(values)
        ours = parse_received(values)
        assert len(theirs) == len(ours)
        for reference, hop in zip(theirs, ours, strict=True):
            total += 1
            for field, key in fields.items():
                expected = re.sub(r"\s+", " ", str(reference.get(key, ""))).strip()
                agree[field] += expected == getattr(hop, field)
    assert total > 3_000
    for field, count in agree.items():
        assert count / total > 0.99, (field, count, total)
