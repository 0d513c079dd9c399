"""Who is who: display-name normalisation and organisation (registrable domain) comparison.

The only importer of `publicsuffixlist`: `mail.corp.example.co.jp` and `corp.example.co.jp`
are one organisation because the Public Suffix List says `co.jp` is a public suffix.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

# Mailbox providers where one domain holds millions of unrelated people: sharing the domain
# says nothing about sharing an organisation, so only the exact address counts there.
FREEMAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.jp", "ymail.com",
        "yahoo.co.uk", "outlook.com", "outlook.jp", "hotmail.com", "hotmail.co.jp",
        "hotmail.co.uk", "live.com", "live.jp", "msn.com", "aol.com", "icloud.com",
        "me.com", "mac.com", "gmx.net", "gmx.de", "gmx.com", "web.de", "mail.ru",
        "yandex.ru", "protonmail.com", "proton.me", "zoho.com", "qq.com", "163.com",
        "126.com", "naver.com", "docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp",
        "i.softbank.jp", "nifty.com", "biglobe.ne.jp", "ocn.ne.jp", "so-net.ne.jp",
        "comcast.net", "earthlink.net", "att.net", "verizon.net", "excite.com",
        "excite.co.jp", "mail.com", "fastmail.com", "fastmail.fm", "hushmail.com",
        "netscape.net", "juno.com", "pobox.com", "eircom.net", "btinternet.com",
        "users.sourceforge.net",
    }
)  # fmt: skip

_ADDRESS = re.compile(r"<?[^\s<>@]{1,64}@[^\s<>@]{1,255}>?")
# Bracketed additions that are not part of the name: (営業部), 【至急】, [ext], 〔社外〕.
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|《[^《》]*》|<[^<>]*>")
_VIA = re.compile(r"\s+via\s+.*$", re.IGNORECASE)
# Outlook's shared-mailbox wording names two people: "A on behalf of B", "A が B の代理で送信".
_BEHALF_EN = re.compile(r"\s+on\s+behalf\s+of\s+", re.IGNORECASE)
_BEHALF_JA = re.compile(r"^(.*?)\s*が\s*(.*?)\s*の代理(?:で送信)?\s*$")
_HONORIFIC_SUFFIX = re.compile(r"(?:様|さま|さん|殿|御中|君|くん|氏|先生)$")
_TITLE_PREFIX = re.compile(r"^(?:mr|mrs|ms|miss|dr|prof)\.?\s+", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;・･·.'\"`_/|]+")
# Words that make a name a role or a system rather than a person ("Contoso Support",
# "経理部"): a match on them proves nothing, and ticketing systems reuse them everywhere.
ROLE_WORDS = frozenset(
    {
        "admin", "administrator", "info", "information", "support", "sales", "billing",
        "accounts", "accounting", "office", "team", "desk", "helpdesk", "service",
        "services", "customer", "noreply", "no-reply", "donotreply", "webmaster",
        "postmaster", "mailer-daemon", "root", "system", "notification", "notifications",
        "it", "hr", "営業部", "総務部", "経理部", "人事部", "事務局", "窓口", "サポート",
        "カスタマーサポート", "お客様窓口", "インフォメーション", "システム管理者", "管理者",
    }
)  # fmt: skip


@functools.cache
def _psl() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList

    # Without the punycode copy of every rule the list loads in a third of the time;
    # punycode domains are read as Unicode before the lookup instead (organisation()).
    return PublicSuffixList(accept_encoded_idn=False)


def domain_of(addr: str) -> str:
    return addr.rpartition("@")[2].strip().strip(".").lower()


def is_ip(host: str) -> bool:
    """A literal IPv4 or IPv6 address (brackets allowed), not a name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def organisation(domain: str) -> str:
    """Registrable domain (`example.co.jp`); the domain itself when the PSL cannot say."""
    domain = domain.strip().strip(".").lower()
    if not domain:
        return ""
    if is_ip(domain):
        return domain
    if domain in FREEMAIL:
        return domain
    if "xn--" in domain:  # the list is loaded without punycode forms (see _psl)
        with contextlib.suppress(UnicodeError):
            domain = domain.encode("ascii").decode("idna")
    try:
        found = _psl().privatesuffix(domain)
    except (ValueError, UnicodeError):
        found = None
    return str(found) if found else domain


def org_of(addr: str) -> str:
    return organisation(domain_of(addr))


def is_freemail(addr_or_domain: str) -> bool:
    domain = domain_of(addr_or_domain) if "@" in addr_or_domain else addr_or_domain.lower()
    return domain in FREEMAIL or organisation(domain) in FREEMAIL


def brand(org: str) -> str:
    """First label of an organisation: `acme` for acme.co.jp and for acme.zendesk.com."""
    return org.split(".", 1)[0]


def brands(addr: str) -> set[str]:
    """Names an address may carry its organisation under: `acme` for support@acme.co.jp and
    for support@acme.zendesk.com (a ticketing service on the organisation's subdomain)."""
    domain = domain_of(addr)
    org = organisation(domain)
    out = {brand(org)}
    if domain != org and domain.endswith("." + org):
        out.add(domain[: -len(org) - 1].rsplit(".", 1)[-1])
    return out


def same_org(a: str, b: str) -> bool:
    """Two addresses of one organisation; never on a free-mail domain (exact address only)."""
    if not a or not b:
        return False
    if a.lower() == b.lower():
        return True
    org_a, org_b = org_of(a), org_of(b)
    return bool(org_a) and org_a == org_b and org_a not in FREEMAIL


def person_names(display: str) -> tuple[str, ...]:
    """The person names a display name stands for (two for "A on behalf of B")."""
    text = unicodedata.normalize("NFKC", display)
    text = _ADDRESS.sub(" ", text)
    text = _VIA.sub("", text)
    ja = _BEHALF_JA.match(text)
    parts = list(ja.groups()) if ja else _BEHALF_EN.split(text)
    return tuple(p for p in (part.strip(" \t\"'") for part in parts) if p)


def normalise(name: str) -> tuple[str, ...]:
    """Tokens of a name: NFKC, case-folded, brackets, honorifics and titles removed."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _ADDRESS.sub(" ", text)
    previous = None
    while previous != text:  # nested brackets: (営業部[東京])
        previous, text = text, _BRACKETS.sub(" ", text)
    text = _TITLE_PREFIX.sub("", text.strip())
    tokens = [t for t in _SEPARATORS.split(text) if t]
    tokens = [_HONORIFIC_SUFFIX.sub("", t) or t for t in tokens]
    return tuple(t for t in tokens if t not in {"様", "さん", "殿", "御中", "君"})


def _people(display: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(joined, tokens) of each person a display name stands for, leaving out roles and
    names too short to tell people apart."""
    for person in person_names(display):
        tokens = normalise(person)
        joined = "".join(tokens)
        if joined in ROLE_WORDS or any(t in ROLE_WORDS for t in tokens):
            continue
        # One or two Latin letters ("JM") or a single kanji match far too much.
        if len(joined) < (2 if is_cjk(joined) else 4):
            continue
        yield joined, tokens


def name_keys(name: str) -> frozenset[str]:
    """Comparable forms: word order free ("Yamada, Taro" = "Taro Yamada") and spacing free
    ("山田太郎" = "山田 太郎"). Empty when the name is too short or only names a role."""
    keys: set[str] = set()
    for joined, tokens in _people(name):
        keys.add(joined)
        keys.add(" ".join(sorted(tokens)))
    return frozenset(keys)


def is_cjk(text: str) -> bool:
    """Written in wide (CJK) characters: names without spaces between their parts."""
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def names_match(a: str, b: str) -> bool:
    return bool(name_keys(a) & name_keys(b))


def name_key(display: str) -> str:
    """One comparable form of a display name, for counting names across a folder: spacing
    free for CJK names ("山田 太郎" = "山田太郎"), word-order free for Latin ones; "" for
    a role, a system or a name too short to tell people apart."""
    for joined, tokens in _people(display):
        return joined if is_cjk(joined) else " ".join(sorted(tokens))
    return ""
