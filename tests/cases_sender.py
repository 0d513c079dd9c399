"""One message per sender finding id (merged into `cases.CASES` by tests/cases.py).

Cases run with the default configuration, so the impersonation case copies the name of a
person the reply is also sent to: the reply-all hijack needs no configuration to be seen.
"""

from __future__ import annotations

from cases import Case
from conftest import eml

from mailcheck.limits import DEFAULT

YAMADA_TARO = "=?utf-8?b?5bGx55SwIOWkqumDjg==?="  # 山田 太郎
SATO_HANAKO = "=?utf-8?b?5L2Q6JekIOiKseWtkA==?="  # 佐藤 花子

CASES: dict[str, Case] = {
    "sender.impersonates_known_correspondent": lambda: (
        eml(
            # Emotet sent from real hijacked mailboxes: their own domain passes.
            "Authentication-Results: mx.corp.example.co.jp; spf=pass"
            " smtp.mailfrom=ohno.k@hacked-shop.example; dkim=pass header.d=hacked-shop.example",
            f"From: {YAMADA_TARO} <ohno.k@hacked-shop.example>",
            f"To: {SATO_HANAKO} <sato@corp.example.co.jp>",
            f"Cc: {YAMADA_TARO} <yamada@partner.example.jp>",
            "Subject: Re: quotation",
        ),
        DEFAULT,
    ),
    "sender.display_name_own_domain": lambda: (
        eml(
            'From: "news@example.com" <subscriber-news@mail.example.com>',
            "To: alex.morgan@corp.example.com",
            "Subject: Our March newsletter",
        ),
        DEFAULT,
    ),
    "sender.display_name_via_relay": lambda: (
        eml(
            'From: "alice@example.org" <alice_at_example_org_7kq2@privaterelay.appleid.com>',
            "To: x7f3k9@privaterelay.appleid.com",
            "Subject: Your order",
        ),
        DEFAULT,
    ),
    "sender.reply_to_mismatch": lambda: (
        eml(
            "From: Billing <billing@supplier.example.com>",
            "Reply-To: billing-dept@payments-desk.example.net",
            "To: alex.morgan@corp.example.com",
            "Subject: Updated bank details",
        ),
        DEFAULT,
    ),
}
