"""One message per sender finding id (merged into `cases.CASES` by tests/cases.py).

Cases run with the default configuration, so the impersonation case copies the name of a
person the reply is also sent to: the reply-all hijack needs no configuration to be seen.
"""

from __future__ import annotations

from cases import Case
from cases_thread import ASK_JA, REPLY_JA, SATO, YAMADA, build, outlook_ja
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
    "sender.reply_to_freemail": lambda: (
        eml(
            "From: Billing <billing@supplier.example.com>",
            "Reply-To: supplier.billing.desk@gmail.com",
            "To: alex.morgan@corp.example.com",
            "Subject: Updated bank details",
        ),
        DEFAULT,
    ),
    # The reply comes from the quoted participant's own address, but the receiving server
    # says that domain did not send it.
    "sender.spoofed_address": lambda: (
        build(
            sender=YAMADA,
            to=[SATO],
            subject="RE: 見積書の件",
            body=REPLY_JA + outlook_ja(SATO, [YAMADA], "見積書の件", ASK_JA),
            headers=[
                (
                    "Authentication-Results",
                    "mx.corp.example.co.jp; spf=fail smtp.mailfrom=yamada@partner.example.jp;"
                    " dkim=none; dmarc=fail header.from=partner.example.jp",
                )
            ],
        ),
        DEFAULT,
    ),
    "sender.multiple_from": lambda: (
        eml(
            f"From: {YAMADA_TARO} <yamada@partner.example.jp>, ohno.k@hacked-shop.example",
            "Sender: ohno.k@hacked-shop.example",
            "To: sato@corp.example.co.jp",
            "Subject: Re: quotation",
        ),
        DEFAULT,
    ),
}
