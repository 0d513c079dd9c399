"""The verdict rule (score.py): "malicious" needs a payload trait, or two independent strong
identity proofs; weak or relay-explained signs never add up to it."""

from __future__ import annotations

import pytest

from mailcheck.catalog import load
from mailcheck.model import FINDING_KINDS, Evidence, Finding
from mailcheck.score import IDENTITY_CAP, MALICIOUS_SCORE, kind_of, verdict

CATALOG = load()


def make(finding_id: str) -> Finding:
    entry = CATALOG.entry(finding_id)
    return Finding(
        id=finding_id,
        severity=entry.severity,
        score=entry.score,
        confidence="high",
        evidence=(Evidence(location="header From"),),
        analyzer="test",
    )


def judged(*finding_ids: str) -> tuple[str, int]:
    result = verdict([make(i) for i in finding_ids], (), CATALOG.kind)
    return result.label, result.score


def test_every_catalog_kind_is_known_and_the_notes_are_the_weak_ones() -> None:
    kinds = {i: kind_of(i, CATALOG.kind(i)) for i in CATALOG.entries}
    assert set(kinds.values()) <= set(FINDING_KINDS)
    assert kinds["link.anchor_mismatch"] == "note"
    assert kinds["link.payload"] == "payload"
    assert kinds["attachment.macro"] == "payload"
    assert kinds["attachment.unreadable"] == "note"
    assert kinds["limit.max_depth"] == "note"
    assert kinds["sender.spoofed_address"] == "forgery"
    assert kinds["sender.reply_to_freemail"] == "corroboration"
    assert kinds["thread.sender_not_in_thread"] == "identity"
    # A namespace nobody declared weighs as before kinds existed.
    assert kind_of("newarea.trait") == "payload"


@pytest.mark.parametrize(
    "finding_ids",
    [
        # The privacy-relay newsletter before relays were read: 70 + 10 was "malicious".
        ("sender.display_name_has_address", "link.anchor_mismatch"),
        ("thread.sender_not_in_thread", "link.anchor_mismatch", "limit.max_depth"),
        (
            "sender.impersonates_known_correspondent",
            "sender.reply_to_mismatch",
            "thread.fake_reply",
        ),
        ("thread.display_name_impersonates_participant", "sender.multiple_from", "limit.max_urls"),
        ("sender.spoofed_address", "sender.reply_to_mismatch", "link.anchor_mismatch"),
        ("sender.display_name_via_relay", "link.anchor_mismatch", "sender.reply_to_freemail"),
    ],
)
def test_identity_and_notes_never_add_up_to_malicious(finding_ids: tuple[str, ...]) -> None:
    label, score = judged(*finding_ids)
    assert label != "malicious"
    assert score < MALICIOUS_SCORE


def test_the_relay_newsletter_is_clean() -> None:
    assert judged("sender.display_name_via_relay", "link.anchor_mismatch") == ("clean", 10)


@pytest.mark.parametrize(
    "payload", ["attachment.macro", "attachment.encrypted_archive", "link.payload"]
)
def test_identity_and_the_weakest_payload_trait_is_malicious(payload: str) -> None:
    assert judged("thread.sender_not_in_thread", payload) == ("malicious", IDENTITY_CAP + 10)
    assert judged("sender.spoofed_address", payload)[0] == "malicious"


def test_two_independent_strong_proofs_are_malicious() -> None:
    label, _ = judged("sender.spoofed_address", "thread.display_name_impersonates_participant")
    assert label == "malicious"
    assert judged("sender.spoofed_address", "sender.display_name_has_address")[0] == "malicious"
    # Two findings about the same fact (the name or address copied) are one proof.
    assert judged("sender.impersonates_known_correspondent", "thread.sender_not_in_thread") == (
        "suspicious",
        IDENTITY_CAP,
    )
    assert judged("sender.spoofed_address") == ("suspicious", 70)


def test_corroboration_weighs_only_beside_a_payload() -> None:
    assert judged("sender.reply_to_freemail") == ("clean", 0)
    alone = verdict([make("sender.reply_to_freemail")], (), CATALOG.kind)
    assert alone.reasons == ()
    label, score = judged("sender.reply_to_freemail", "attachment.macro")
    assert (label, score) == ("suspicious", 50)
    assert judged("sender.reply_to_freemail", "attachment.html_credential_form")[0] == "malicious"


def test_a_critical_payload_alone_is_malicious() -> None:
    assert judged("attachment.executable")[0] == "malicious"
