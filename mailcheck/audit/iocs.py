"""Indicators to block, gathered from the flagged messages' findings: the URLs, hosts,
sender addresses and attachment hashes an IT team pastes into a proxy, a firewall, a mail
gateway or an EDR after an incident ("what do we block?").

Only suspicious and malicious messages contribute, and only what their findings involve:
the From address (not the quoted thread participants a hijacked reply names), the URLs and
hosts in scoring evidence (not the text a link displays), the attachments and archive
members. Left out, because no one should block them: the organisation's own domains (the
configured internal domains and the domains a message was addressed to), the hosts of the
FAQ links mailcheck adds, and the domains of big providers (free mail, file sharing,
office suites), whose URLs and addresses are kept but never their whole domain.

Values are in their real form, for machines: evidence shows URLs defanged and clipped for
people, so a link's exact address is taken from its `url_exact` fact and a defanged form is
read back only when it was not clipped. Control characters never reach a file: they are
percent-encoded in URLs (a browser does the same) and removed from names.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..advice import LINKS
from ..body_links import refang
from ..people.identity import FREEMAIL, is_ip, organisation
from ..records import record
from ..text import ELLIPSIS, clean_text
from .index import message_key, timestamp_of
from .rows import spreadsheet_cell, walk

IOCS_CSV = "iocs.csv"
IOCS_JSON = "iocs.json"
IOCS_STIX = "iocs.stix.json"
URLS_TXT = "urls.txt"
DOMAINS_TXT = "domains.txt"
SHA256_TXT = "sha256.txt"
SENDERS_TXT = "senders.txt"
IOC_FILES = (IOCS_CSV, IOCS_JSON, IOCS_STIX, URLS_TXT, DOMAINS_TXT, SHA256_TXT, SENDERS_TXT)

# In this order in every file.
KINDS = ("url", "host", "domain", "email", "email-domain", "sha256", "file-name")
CSV_COLUMNS = ("kind", "value", "findings", "first_seen", "last_seen", "messages")

# Registrable domains of providers whose URLs and addresses attackers borrow (a payload on
# a file-sharing service, a free-mail sender): the URL or address is an indicator, the
# provider's whole domain never is. Free-mail providers are added from people.identity.
_PROVIDERS = frozenset(
    {
        "google.com", "googleusercontent.com", "googleapis.com", "gstatic.com", "goo.gl",
        "microsoft.com", "office.com", "office365.com", "live.com", "sharepoint.com",
        "1drv.ms", "onedrive.com", "windows.net", "azureedge.net", "microsoftonline.com",
        "apple.com", "icloud.com", "dropbox.com", "dropboxusercontent.com", "box.com",
        "github.com", "githubusercontent.com", "gitlab.com", "amazonaws.com", "cloudfront.net",
        "adobe.com", "w3.org", "wetransfer.com", "discord.com", "discordapp.com",
        "bit.ly", "t.co", "yahoo.co.jp", "line.me",
    }
)  # fmt: skip
_ADVICE_ORGS = frozenset(
    organisation(refang(link.url)[0].partition("://")[2].partition("/")[0]) for link in LINKS
)
_WEB = re.compile(r"^(?:https?|ftp)://", re.IGNORECASE)
# Invisible characters that make a value read as something else (as text.clean_text drops).
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\u2028\u2029]")
_HOST = re.compile(r"^[\w.\-]+$|^\[[0-9a-fA-F:.]+\]$")
_ADDRESS = re.compile(r"^[^\s@\"'<>,;()\\]+@[\w.\-]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@record
class Indicator:
    kind: str  # one of KINDS
    value: str  # the real form (refanged), free of control characters
    findings: tuple[str, ...]  # finding ids that involved it, in first-seen order
    first_seen: str  # ISO 8601 UTC from the messages' Date ("" when no Date was readable)
    last_seen: str
    messages: int  # flagged messages it was seen in

    def to_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in ("kind", "value", *CSV_COLUMNS[2:])} | {
            "findings": list(self.findings)
        }


def _iso(timestamp: float) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return ""


def exact_url(url: str) -> str:
    """A URL fit for a machine's block list: tab and line breaks removed (a browser removes
    them too), other control, space and invisible characters percent-encoded."""
    url = url.replace("\t", "").replace("\n", "").replace("\r", "")
    out: list[str] = []
    for char in url:
        code = ord(char)
        if code <= 0x20 or 0x7F <= code < 0xA0 or _INVISIBLE.match(char) or 0xD800 <= code < 0xE000:
            data = char.encode("utf-8", "surrogateescape")
            out.append("".join(f"%{byte:02X}" for byte in data))
        else:
            out.append(char)
    return "".join(out)


def _from_shown(shown: str) -> str:
    """The URL a defanged evidence form stands for; "" when it was clipped (unknowable)."""
    shown = shown.strip()
    if not shown or shown == "-" or shown.endswith(ELLIPSIS):
        return ""
    return refang(shown)[0]


def host_of(url: str) -> str:
    """The host of a web URL, lower case, without user info or port ("" when none)."""
    authority = re.split(r"[/?#\\]", url.partition("://")[2], maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    host = host.partition("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
    host = host.strip(".").lower()
    return host if _HOST.match(host) else ""


class _Message:
    """What one flagged message's findings involve."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.findings = [f for f in result.get("findings", []) if int(f.get("score", 0)) > 0]
        reasons = result.get("reasons") or [f["id"] for f in self.findings]
        self.reasons = tuple(dict.fromkeys(str(i) for i in reasons))

    def naming(self, wanted: str) -> tuple[str, ...]:
        """Ids of the findings whose evidence names `wanted` (case-insensitive)."""
        wanted = wanted.lower()
        return tuple(
            dict.fromkeys(
                str(f["id"])
                for f in self.findings
                for e in f.get("evidence", [])
                if any(wanted == str(v).lower() for v in e.get("facts", {}).values())
            )
        )

    def at(self, path: str) -> tuple[str, ...]:
        """Ids of the findings located at attachment `path` or inside it."""

        def inside(place: str) -> bool:
            return place == path or place.startswith((path + "/", path + ":"))

        return tuple(
            dict.fromkeys(
                str(f["id"])
                for f in self.findings
                for e in f.get("evidence", [])
                if inside(str(e.get("location", "")).removeprefix("attachment "))
                or inside(str(e.get("facts", {}).get("attachment", "")))
            )
        )

    def urls(self) -> Iterator[tuple[str, str]]:
        """(url, finding id) for each web address in scoring evidence."""
        for finding in self.findings:
            for evidence in finding.get("evidence", []):
                facts = {str(k): str(v) for k, v in evidence.get("facts", {}).items()}
                found = [facts["url_exact"]] if facts.get("url_exact") else []
                if not found:
                    found = [_from_shown(facts.get("url", ""))]
                found.extend(_from_shown(u) for u in facts.get("urls", "").split(", "))
                found.append(_from_shown(facts.get("target", "")))
                for url in dict.fromkeys(found):
                    if url and _WEB.match(url):
                        yield exact_url(url), str(finding["id"])

    def hosts(self) -> Iterator[tuple[str, str]]:
        """(host, finding id) of the `host` facts (a link's target, a shortcut's server)."""
        for finding in self.findings:
            for evidence in finding.get("evidence", []):
                for key, value in evidence.get("facts", {}).items():
                    if key != "host":  # not shown_host: what a link displays is context
                        continue
                    for shown in str(value).split(", "):
                        host = refang(shown.strip())[0].strip(".").lower()
                        if host and host != "-" and _HOST.match(host):
                            yield host, str(finding["id"])

    def forwarded_only(self, result: dict[str, Any]) -> bool:
        """Every scoring finding lies inside an attached message: the outer sender forwarded
        it (a colleague asking "is this real?"), the attacker is the inner one."""
        inner = [
            str(node.get("path", ""))
            for node in walk(result.get("attachments", []))
            if node.get("detected_type") in ("message/rfc822", "application/vnd.ms-outlook")
        ]
        if not inner or not self.findings:
            return False
        starts = tuple(p + end for p in inner for end in ("/", ":"))
        return all(
            str(e.get("location", "")).removeprefix("attachment ").startswith(starts)
            for f in self.findings
            for e in f.get("evidence", [])
        )


class Collector:
    """Indicators of every flagged message added, merged by (kind, value)."""

    def __init__(self, internal_domains: Iterable[str] = ()) -> None:
        self.internal = frozenset(organisation(d) for d in internal_domains if d)
        self._seen: dict[tuple[str, str], list[Any]] = {}  # [findings, first, last, keys]

    def add(self, result: dict[str, Any]) -> None:
        """One result's JSON form (`scan --json`); clean messages add nothing."""
        if result.get("verdict") not in ("suspicious", "malicious"):
            return
        message = result.get("message", {})
        source = result.get("source", {})
        key = message_key(str(source.get("path", "")), source.get("index"))
        when = timestamp_of(str(message.get("date", "")))
        own = self.internal | {
            organisation(str(to.get("address", "")).rpartition("@")[2])
            for to in message.get("to", []) or []
            if "@" in str(to.get("address", ""))
        }
        seen = _Message(result)
        for kind, value, ids in self._of(result, seen, own):
            entry = self._seen.setdefault((kind, value), [{}, when, when, set()])
            entry[0].update(dict.fromkeys(ids or seen.reasons))
            if when is not None:
                entry[1] = when if entry[1] is None else min(entry[1], when)
                entry[2] = when if entry[2] is None else max(entry[2], when)
            entry[3].add(key)

    def _of(
        self, result: dict[str, Any], seen: _Message, own: set[str] | frozenset[str]
    ) -> Iterator[tuple[str, str, tuple[str, ...]]]:
        def blocked_org(host: str) -> str:
            """The registrable domain to list; "" when the host is ours or a provider's."""
            org = organisation(host)
            if org in own or org in _ADVICE_ORGS:
                return ""
            return "" if org in _PROVIDERS or org in FREEMAIL else org

        hosts: dict[str, tuple[str, ...]] = {}
        for url, finding_id in seen.urls():
            host = host_of(url)
            if not host or organisation(host) in own or organisation(host) in _ADVICE_ORGS:
                continue
            yield "url", url, (finding_id,)
            hosts[host] = (*hosts.get(host, ()), finding_id)
        for host, finding_id in seen.hosts():
            hosts[host] = (*hosts.get(host, ()), finding_id)
        for host, ids in hosts.items():
            org = blocked_org(host)
            if not org:
                continue
            yield "host", host, ids
            if not is_ip(host):
                yield "domain", org, ids
        sender = str((result.get("message", {}).get("from") or {}).get("address", "")).strip()
        if _ADDRESS.match(sender) and not seen.forwarded_only(result):
            domain = sender.rpartition("@")[2].lower()
            if organisation(domain) not in own:
                ids = seen.naming(sender)
                yield "email", sender.lower(), ids
                if blocked_org(domain):
                    yield "email-domain", domain, ids
        for node in walk(result.get("attachments", [])):
            path = str(node.get("path", ""))
            ids = seen.at(path)
            if node.get("role") == "inline" and not ids:
                continue  # a picture in the text (a signature's logo): context
            sha256 = str(node.get("sha256", "")).lower()
            if _SHA256.match(sha256):
                yield "sha256", sha256, ids
            name = clean_text(str(node.get("filename", "")), 255)
            if name:
                yield "file-name", name, ids

    def indicators(self) -> tuple[Indicator, ...]:
        ordered = sorted(self._seen.items(), key=lambda item: (KINDS.index(item[0][0]), item[0][1]))
        return tuple(
            Indicator(
                kind=kind,
                value=value,
                findings=tuple(findings),
                first_seen="" if first is None else _iso(first),
                last_seen="" if last is None else _iso(last),
                messages=len(keys),
            )
            for (kind, value), (findings, first, last, keys) in ordered
        )


# --- the files --------------------------------------------------------------------------------


def write_csv(handle: IO[str], indicators: Iterable[Indicator]) -> None:
    """UTF-8 with BOM (opened by the caller), no cell a spreadsheet would run."""
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    for item in indicators:
        row = (
            item.kind,
            item.value,
            " ".join(item.findings),
            item.first_seen,
            item.last_seen,
            str(item.messages),
        )
        writer.writerow([spreadsheet_cell(clean_text(cell, 4000)) for cell in row])


def write_json(handle: IO[str], indicators: Iterable[Indicator], tool_version: str) -> None:
    document = {
        "schema_version": 1,
        "tool_version": tool_version,
        "indicators": [item.to_json() for item in indicators],
    }
    json.dump(document, handle, ensure_ascii=False, indent=1)
    handle.write("\n")


# Which kinds go to which plain list (one value a line, for a proxy, DNS, EDR or gateway).
LISTS = {
    URLS_TXT: ("url",),
    DOMAINS_TXT: ("host", "domain"),
    SHA256_TXT: ("sha256",),
    SENDERS_TXT: ("email", "email-domain"),
}


def plain_list(indicators: Iterable[Indicator], kinds: tuple[str, ...]) -> str:
    """The values of `kinds`, one a line, each once; a value with any whitespace or
    control character left (none should be) is dropped rather than split a line."""
    values = dict.fromkeys(
        item.value
        for item in indicators
        if item.kind in kinds
        and item.value == clean_text(item.value, 4000)
        and " " not in item.value
    )
    return "".join(value + "\n" for value in values)


def defanged(item: Indicator) -> str:
    """How a person reads an indicator (report.html, terminal): never a live link."""
    from ..text import defang

    value = clean_text(item.value, 200)
    if item.kind in ("host", "domain", "email-domain"):
        return value.replace(".", "[.]")
    return defang(value)


def file_text(name: str, indicators: tuple[Indicator, ...], tool_version: str) -> str:
    """The contents of one of `IOC_FILES` (or a file named like one: `*.csv`, `*.json`,
    `*.stix.json`), for `indicators`."""
    if name.endswith(".stix.json"):
        from .stix import bundle_json

        return bundle_json(indicators, tool_version=tool_version)
    buffer = io.StringIO(newline="")
    if name.endswith(".csv"):
        write_csv(buffer, indicators)
    elif name.endswith(".json"):
        write_json(buffer, indicators, tool_version)
    else:
        return plain_list(indicators, LISTS[Path(name).name])
    return buffer.getvalue()


def encoding_of(name: str) -> str:
    """CSV carries a BOM so that Excel reads Japanese file names; the rest is plain UTF-8."""
    return "utf-8-sig" if name.endswith(".csv") else "utf-8"
