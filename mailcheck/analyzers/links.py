"""Payloads delivered as links: a body that links to an archive, a macro document, a disk
image, a script or a program instead of attaching it.

Emotet's hijacked replies carried such links to files on compromised web servers
(`https://<hacked WordPress>/wp-content/uploads/2022/03/invoice_0301.zip`). Only the URL
text is judged, never fetched. A payload link alone is a weak note (`link.payload`); it is
`link.payload_suspicious_host` when its host is unrelated to the sender's organisation and
the link shows one of the tricks such links used: link text showing another host than the
real one, a bare IP address, or a path in a content-management system's own folders
(`/wp-content/`, `/wp-includes/`, `/wp-admin/`, `/cgi-bin/`, `/.well-known/`), or a file type
business mail does not link to (a notebook, a script, a shortcut). A displayed
URL whose host differs from the real one is `link.anchor_mismatch` even without a payload.
A link without such a file name to an unrelated WordPress site's folders or to a bare IP
address (`https://<hacked site>/wp-admin/css/Q2/`, `http://203.0.113.5/invoice/`: Emotet's
links served the document from a script, with no file name in the URL) is
`link.suspicious_target`, a weak payload trait that decides nothing on its own but makes a
stranger's reply to a stolen thread malicious. One finding per trick; the other tricks of
the same link are its facts. A link written defanged (`hxxps://`, `[.]`) cannot be clicked
as it stands, so it is at most a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from ..body_links import URL_PATTERN, Link, find_links, is_handler_link, on_file_share, refang
from ..model import Evidence
from ..names import (
    ARCHIVE_EXTS,
    BINARY_EXTS,
    DISK_IMAGE_EXTS,
    INSTALLER_EXTS,
    MACRO_DOCUMENT_EXTS,
    ONENOTE_EXTS,
    SCRIPT_EXTS,
    SHORTCUT_EXTS,
    real_extension,
)
from ..people.identity import FREEMAIL, domain_of, is_ip, organisation
from ..records import record
from ..text import clean_text, defang
from .interface import Hit, MessageAnalyzer, MessageContext

# What a link may download that infects: the name sets every payload check shares, plus
# the legacy Office formats that may hold macros. Not .com: in a URL, "/redhotjazz.com"
# names a site, not a DOS program.
PAYLOAD_EXTENSIONS = tuple(
    sorted(
        ARCHIVE_EXTS
        | MACRO_DOCUMENT_EXTS
        | {".xls", ".doc"}
        | ONENOTE_EXTS
        | DISK_IMAGE_EXTS
        | SCRIPT_EXTS
        | (BINARY_EXTS - {".com"})
        | INSTALLER_EXTS
        | SHORTCUT_EXTS
    )
)
_PAYLOAD = frozenset(PAYLOAD_EXTENSIONS)
# Folders of a content-management system's own code and uploads: files there were dropped
# on compromised sites far more often than published on purpose.
CMS_FOLDERS = ("/wp-content/", "/wp-includes/", "/wp-admin/", "/cgi-bin/", "/.well-known/")
# File types a business mail has no reason to link to from another organisation's server:
# OneNote notebooks, scripts and shortcuts (2022-2023 campaigns linked them once Office
# blocked macros). Disk images are left out: software vendors link .iso downloads.
_RARELY_LINKED = ONENOTE_EXTS | SCRIPT_EXTS | SHORTCUT_EXTS
# What a site's own folders serve to every visitor (a newsletter's images, a theme's
# styles, a published PDF): no script stands behind them.
_STATIC_EXTS = frozenset(
    (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".bmp", ".css", ".woff",
     ".woff2", ".ttf", ".eot", ".mp3", ".mp4", ".webm", ".txt", ".pdf", ".xml", ".json")
)  # fmt: skip
_MAX_EVIDENCE = 5  # links shown per finding; the rest are counted
_MAX_QUERY_PARAMS = 50
_MAX_EMBEDDED = 3  # URLs inside a link's query (redirectors, Safe Links) that are judged
_URL_CHARS = 200  # URL length shown in evidence


@record
class _Target:
    url: str
    host: str  # lower case, no port, no trailing dot
    name: str  # the file name that ends in a payload type ("" when none)


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


# A library that answers a query runs on the server (IIS ISAPI, `eBayISAPI.dll?ViewItem`):
# nothing is downloaded. Not .exe: `setup.exe?dl=1` is how file-sharing sites serve one.
_SERVER_PROGRAMS = (".dll",)


def _payload_name(segment: str, query: str = "") -> str:
    name = unquote(segment).strip().lower()
    if query and name.endswith(_SERVER_PROGRAMS):
        return ""
    return name if real_extension(name) in _PAYLOAD else ""


def _target(url: str) -> tuple[_Target, str] | None:
    """The target and the query of one URL; None when it names no host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = _host(url)
    if not host:
        return None
    name = _payload_name(parts.path.rpartition("/")[2], parts.query)
    return _Target(url=url, host=host, name=name), parts.query


def _targets(url: str) -> Iterator[_Target]:
    """The link itself, and any URL handed over in its query (a redirector's target)."""
    read = _target(url)
    if read is None:
        return
    target, query = read
    embedded: list[_Target] = []
    for _, value in parse_qsl(query)[:_MAX_QUERY_PARAMS]:
        if URL_PATTERN.match(value):
            inner = _target(refang(value)[0])
            if inner is not None and len(embedded) < _MAX_EMBEDDED:
                embedded.append(inner[0])
        elif not target.name and len(value) < 256:
            # download.php?file=invoice.zip
            name = _payload_name(value.rpartition("/")[2])
            target = _Target(url=target.url, host=target.host, name=name)
    yield target
    yield from embedded


def _shown_host(shown: str) -> str:
    """The host of a URL the link's text displays ("" when it displays no URL)."""
    match = URL_PATTERN.search(shown)
    if match is None:
        return ""
    return _host(refang(match.group(0))[0])


def _same_org(a: str, b: str) -> bool:
    return a == b or organisation(a) == organisation(b)


@record
class _Sender:
    orgs: frozenset[str]  # organisations of From and Sender (not free-mail providers)
    domains: tuple[str, ...]  # internal and trusted domains of the configuration

    def related(self, host: str) -> bool:
        if any(host == d or host.endswith("." + d) for d in self.domains):
            return True
        return organisation(host) in self.orgs


def _sender(ctx: MessageContext) -> _Sender:
    message = ctx.message
    addresses = [a.addr for a in (message.from_, message.sender) if a is not None]
    orgs = {organisation(domain_of(addr)) for addr in addresses if "@" in addr}
    orgs = {org for org in orgs if org and org not in FREEMAIL}
    domains = tuple(d.lower() for d in (*ctx.config.internal_domains, *ctx.config.trusted_domains))
    return _Sender(orgs=frozenset(orgs), domains=domains)


def _show(url: str) -> str:
    return defang(clean_text(url, _URL_CHARS))


def _show_host(host: str) -> str:
    return clean_text(host, 100).replace(".", "[.]")


def _mismatch(link: Link, host: str) -> str:
    """The host the link's text shows when it is another organisation's than `host` and the
    link does not hand it over either (a redirector passing on the shown address)."""
    shown = _shown_host(link.shown)
    if not shown or _same_org(shown, host):
        return ""
    handed_over = [t.host for t in _targets(link.url)][1:]
    if any(_same_org(shown, inner) for inner in handed_over):
        return ""
    return shown


def _tricks(link: Link, target: _Target, shown: str) -> list[str]:
    tricks = []
    if shown:
        tricks.append(f"shown {_show_host(shown)}")
    if is_ip(target.host):
        tricks.append("IP address")
    path = urlsplit(target.url).path.lower()
    tricks.extend(folder for folder in CMS_FOLDERS if folder in path)
    ext = real_extension(target.name)
    if ext in _RARELY_LINKED:
        tricks.append(f"{ext} file")
    return tricks


def _target_tricks(url: str, host: str) -> list[str]:
    """A link with no payload file name: an IP address for a host, or a path into
    WordPress's own folders that names no static file."""
    if is_ip(host):
        return ["IP address"]
    try:
        path = urlsplit(url).path.lower()
    except ValueError:
        return []
    if real_extension(unquote(path.rpartition("/")[2])) in _STATIC_EXTS:
        return []
    # WordPress folders only: /cgi-bin/ pages are everyday links on older sites.
    return [folder for folder in CMS_FOLDERS if folder.startswith("/wp-") and folder in path]


def _evidence(link: Link, *facts: tuple[str, str]) -> Evidence:
    return Evidence(
        location=link.location,
        excerpt=_show(link.url),
        # url is for people (defanged, clipped); url_exact is the address as found, for
        # machines (the audit's indicators to block): no text shows it.
        facts=(("url", _show(link.url)), *facts, ("url_exact", link.url)),
    )


_INNER_TARGET = re.compile(r"(?:https?://|\\\\|//)[^\s&|\"'<>]+", re.I)


def handler_target(url: str) -> str:
    """Where a click on a handler link or UNC path reaches out to, when that is a share on
    the Internet, WebDAV or a web address ("" for local paths and LAN shares): what makes
    it dangerous. ms-msdt and ms-officecmd are dangerous whatever they name (CVE-2022-30190
    runs the link's own arguments)."""
    scheme = url.partition(":")[0].lower()
    if url.startswith("\\\\") or scheme == "file":
        return "" if on_file_share(url) else url
    if scheme in ("ms-msdt", "ms-officecmd"):
        return url
    for inner in _INNER_TARGET.findall(unquote(url)):
        if inner.lower().startswith("http") or not on_file_share(inner):
            return str(inner)
    return ""


def _sources(ctx: MessageContext) -> Iterator[tuple[str, str, str]]:
    """(location, mime type, text) of what holds the message's links: its text and HTML
    bodies, then the documents attached to it that hold links of their own (a PDF's link
    annotations and actions, as a text/uri-list), located at the attachment."""
    for body in ctx.message.bodies:
        if body.mime_type in ("text/plain", "text/html"):
            yield f"{ctx.prefix}part {body.location}", body.mime_type, body.text
    for item in ctx.items:
        if item.links and item.prefix == ctx.prefix:
            yield item.location, "text/uri-list", "\n".join(item.links)


def check_links(ctx: MessageContext) -> Iterator[Hit]:
    found = find_links(
        _sources(ctx), max_urls=ctx.limits.max_urls, max_chars=ctx.limits.max_text_chars
    )
    sender = _sender(ctx)
    sender_org = ", ".join(sorted(sender.orgs)) or "-"
    by_id: dict[str, list[Evidence]] = {}
    for link in found.links:
        if is_handler_link(link.url):
            reached = handler_target(link.url)
            if reached and not link.defanged:
                scheme = "UNC" if link.url.startswith("\\\\") else link.url.partition(":")[0]
                evidence = _evidence(link, ("scheme", scheme.lower()), ("target", _show(reached)))
                by_id.setdefault("link.handler", []).append(evidence)
            continue
        outer_host = _host(link.url)
        shown = _mismatch(link, outer_host) if link.shown and outer_host else ""
        reported = False
        for target in _targets(link.url):
            if not target.name:
                continue
            host_facts = (
                ("host", _show_host(target.host)),
                ("file_name", clean_text(target.name, 100)),
                ("sender_org", sender_org),
            )
            tricks = _tricks(link, target, shown)
            if tricks and not link.defanged and not sender.related(target.host):
                evidence = _evidence(link, *host_facts, ("tricks", ", ".join(tricks)))
                by_id.setdefault("link.payload_suspicious_host", []).append(evidence)
            else:
                defanged = "yes" if link.defanged else "no"
                evidence = _evidence(link, *host_facts, ("defanged", defanged))
                by_id.setdefault("link.payload", []).append(evidence)
            reported = True
            break
        tricks = _target_tricks(link.url, outer_host) if outer_host and not reported else []
        if tricks and not link.defanged and not sender.related(outer_host):
            evidence = _evidence(
                link,
                ("host", _show_host(outer_host)),
                ("tricks", ", ".join(tricks)),
                ("sender_org", sender_org),
            )
            by_id.setdefault("link.suspicious_target", []).append(evidence)
        if (
            shown
            and not reported
            and not link.defanged
            # The sender's own site redirecting, or its mailer's click tracker showing it.
            and not sender.related(outer_host)
            and not sender.related(shown)
        ):
            evidence = _evidence(
                link,
                ("host", _show_host(outer_host)),
                ("shown", _show(link.shown)),
                ("shown_host", _show_host(shown)),
                ("sender_org", sender_org),
            )
            by_id.setdefault("link.anchor_mismatch", []).append(evidence)
    for finding_id, seen in by_id.items():
        first = seen[0]
        facts = (*first.facts, ("links", str(len(seen))))
        first = Evidence(location=first.location, excerpt=first.excerpt, facts=facts)
        yield Hit(id=finding_id, evidence=(first, *seen[1:_MAX_EVIDENCE]))
    if found.cut:
        evidence = Evidence(
            location=f"{ctx.prefix}body",
            facts=(
                ("limit", str(ctx.limits.max_urls)),
                ("max_chars", str(ctx.limits.max_text_chars)),
            ),
        )
        yield Hit(id="limit.max_urls", evidence=(evidence,))


ANALYZERS = (
    MessageAnalyzer(
        name="links.payload",
        emits=(
            "link.handler",
            "link.payload",
            "link.payload_suspicious_host",
            "link.suspicious_target",
            "link.anchor_mismatch",
            "limit.max_urls",
        ),
        run=check_links,
    ),
)
