"""What to tell the reader to do, by verdict."""

from __future__ import annotations

from .model import Advice, Link, Verdict

JPCERT_EMOTET_FAQ = "https://blogs.jpcert.or.jp/ja/2019/12/emotetfaq.html"
SERVICE_FAQ = "https://www.fujifilm.com/fb/support/service/ma_ep/faq_00035.html"

LINKS = (
    Link(title_key="link.jpcert_emotet_faq", url=JPCERT_EMOTET_FAQ),
    Link(title_key="link.service_faq", url=SERVICE_FAQ),
)
_WARN = (
    "advice.do_not_open",
    "advice.check_address",
    "advice.confirm_separately",
    "advice.if_opened",
)


def advise(verdict: Verdict) -> Advice:
    keys: tuple[str, ...] = ("advice.clean",) if verdict.label == "clean" else _WARN
    if verdict.incomplete:
        keys = (*keys, "advice.incomplete")
    return Advice(keys=keys, links=LINKS)
