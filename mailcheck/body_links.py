"""Links in a message's text and HTML bodies, read from the text alone (no network).

Plain text yields every `http://`, `https://`, `ftp://` and bare `www.` URL, also in the
defanged forms people paste (`hxxps://`, `host[.]example`, `host(.)example`, `[:]//`),
which are read back ("refanged") and marked. HTML yields the `href` of every `<a>` and
`<area>` with the text the reader sees for it, plus the URLs written in its text.

Everything is bounded: at most `max_urls` links per message and `max_chars` characters of
body text scanned; `Links.cut` says when a bound was reached. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser

from .records import record

# A scheme (also defanged: hxxp, hXXps, fxp), "://" (also "[:]//", "[://]"), then printable
# ASCII up to whitespace, quotes, angle brackets or non-ASCII text: a Japanese sentence often
# continues right after a URL with no space ("…/invoice.zipをご確認ください").
_SCHEME_URL = r"(?:h[tx]{2}ps?|f[tx]p)(?:://|\[:\]//|\[://\]|\[:/\]/)[!#-&(-;=?-~]+"
_WWW_URL = r"(?<![\w@.\-/\[])www(?:\.|\[\.\]|\(\.\)|\[dot\])[a-z0-9\-]+[!#-&(-;=?-~]*"
URL_PATTERN = re.compile(f"{_SCHEME_URL}|{_WWW_URL}", re.IGNORECASE)
# Links a click hands to Windows rather than to a browser: the search and app-installer
# handlers, Office's own URI schemes, the diagnostics tool (CVE-2022-30190), file:// and
# UNC or WebDAV paths (\\host\share, \\host@SSL\DavWWWRoot\...).
HANDLER_SCHEMES = (
    "search-ms",
    "search",
    "ms-appinstaller",
    "ms-msdt",
    "ms-officecmd",
    "ms-word",
    "ms-excel",
    "ms-powerpoint",
    "ms-visio",
    "ms-access",
    "ms-publisher",
    "ms-project",
    "ms-spd",
    "ms-infopath",
    "file",
)
_HANDLER_URL = (
    r"(?<![\w.\-])(?:" + "|".join(re.escape(s) for s in HANDLER_SCHEMES) + r"):[!#-&(-;=?-~\\|]+"
)
_UNC_PATH = r"(?<![\w\\/])\\\\[A-Za-z0-9._\-]+(?:@(?:SSL|\d+))*\\[^\s<>\"'、。」』）]+"
_OTHER_LINK = re.compile(f"{_HANDLER_URL}|{_UNC_PATH}", re.IGNORECASE)
# Defanging written into a URL, and what it stands for.
_FANGS = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[:\]|\[://\]|\[:/\]", re.IGNORECASE)
_UNFANG = {
    "[.]": ".", "(.)": ".", "{.}": ".", "[dot]": ".", "(dot)": ".",
    "[:]": ":", "[://]": "://", "[:/]": ":/",
}  # fmt: skip
_DEFANGED_SCHEME = re.compile(r"^(h)xx(ps?)|^(f)xp", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*"
_MAX_URL_CHARS = 2_048  # longer is clipped: judging needs the host and the last path segment
_MAX_ANCHOR_CHARS = 500
_FEED_CHUNK = 64 * 1024  # HTML is fed in pieces so a full link budget stops the parse early


@record
class Link:
    url: str  # as it would be opened: refanged, entities decoded, clipped
    location: str  # where it came from, as the caller names it ("part 1.2", "attachment 2/a.pdf")
    shown: str = ""  # for an HTML link, the text the reader sees for it
    defanged: bool = False  # written defanged (hxxp, [.]): not clickable as it stands


@record
class Links:
    links: tuple[Link, ...]
    cut: bool  # max_urls or max_chars was reached: links beyond it were not read


def _strip_trailing(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets a URL does not end with."""
    pairs = {")": "(", "]": "["}
    opened = {close: url.count(open_) for close, open_ in pairs.items()}
    closed = {close: url.count(close) for close in pairs}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in pairs and opened[last] < closed[last]:
            closed[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def refang(text: str) -> tuple[str, bool]:
    """A URL written defanged, read back; True when anything had to be read back."""
    url = _FANGS.sub(lambda m: _UNFANG[m.group(0).lower()], text)
    if m := _DEFANGED_SCHEME.match(url):
        url = ("htt" + m.group(2) if m.group(1) else "ftp") + url[m.end() :]
    if url[:4].lower() == "www.":
        url = "http://" + url
    return url, url != text and url != "http://" + text


def urls_in_text(text: str) -> Iterator[tuple[str, bool]]:
    """(url, was defanged) for each URL written in `text`, in order; then the handler links
    and UNC paths (`HANDLER_SCHEMES`) written in it."""
    for match in URL_PATTERN.finditer(text):
        raw = _strip_trailing(match.group(0)[:_MAX_URL_CHARS])
        url, defanged = refang(raw)
        if "." in url.partition("://")[2].partition("/")[0]:
            yield url, defanged
    if ":" in text or "\\\\" in text:  # most bodies have neither handler links nor UNC paths
        for match in _OTHER_LINK.finditer(text):
            yield _strip_trailing(match.group(0)[:_MAX_URL_CHARS]), False


# UNC hosts reachable from the Internet: dotted names or addresses, SSL/WebDAV suffixes.
_INTERNET_UNC = re.compile(r"^\s*(?:\\\\|//)[^\\/]*(?:\.|@ssl|@\d+)|davwwwroot", re.I)


def on_file_share(target: str) -> bool:
    """A local path or a LAN share (NetBIOS name), as opposed to a host on the Internet."""
    unc = target.strip()
    if unc.lower().startswith("file:"):
        rest = unc[5:].replace("\\", "/")
        if not rest.startswith("//") or re.match(r"/*[a-z]:", rest, re.I):
            return True  # file:/C:/..., file:///C:/...: this computer
        unc = "//" + rest.lstrip("/")
    return unc.startswith(("\\\\", "//")) and not _INTERNET_UNC.search(unc)


def is_handler_link(url: str) -> bool:
    """A link Windows hands to a handler or the file system (`HANDLER_SCHEMES`, UNC)."""
    return url.startswith("\\\\") or url.partition(":")[0].lower() in HANDLER_SCHEMES


class _Anchors(HTMLParser):
    """hrefs with their visible text, and the text outside links, from one HTML body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (href, shown text)
        self.text: list[str] = []
        self._href: str | None = None
        self._shown: list[str] = []
        self._shown_len = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("a", "area"):
            return
        self._close()
        href = next((v for k, v in attrs if k == "href" and v), None)
        if href is None:
            return
        if tag == "area":
            self.found.append((href.strip()[:_MAX_URL_CHARS], ""))
        else:
            self._href = href.strip()[:_MAX_URL_CHARS]

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def handle_data(self, data: str) -> None:
        if self._href is None:
            self.text.append(data)  # a link's own text is what it shows, not where it goes
        elif self._shown_len < _MAX_ANCHOR_CHARS:
            self._shown.append(data)
            self._shown_len += len(data)

    def _close(self) -> None:
        if self._href is not None:
            shown = " ".join("".join(self._shown).split())[:_MAX_ANCHOR_CHARS]
            self.found.append((self._href, shown))
        self._href, self._shown, self._shown_len = None, [], 0

    def close(self) -> None:
        super().close()
        self._close()


def _hrefs(found: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, bool]]:
    """(url, shown text, defanged) of (href, shown text) pairs that name an address."""
    for href, shown in found:
        url, defanged = refang(href)
        if URL_PATTERN.match(url) or _OTHER_LINK.match(url):
            yield url, shown, defanged


def _drain(parser: _Anchors) -> Iterator[tuple[str, str, bool]]:
    yield from _hrefs(parser.found)
    parser.found.clear()
    text = "".join(parser.text)
    parser.text.clear()
    yield from ((url, "", defanged) for url, defanged in urls_in_text(text))


def _html_links(html: str) -> Iterator[tuple[str, str, bool]]:
    """(url, shown text, defanged) from an HTML body, parsed lazily a chunk at a time: a
    caller that has enough links stops consuming and the rest is never parsed."""
    parser = _Anchors()
    for start in range(0, len(html), _FEED_CHUNK):
        parser.feed(html[start : start + _FEED_CHUNK])
        yield from _drain(parser)
    parser.close()
    yield from _drain(parser)


def _uri_list(text: str) -> Iterator[tuple[str, str, bool]]:
    """(url, "", defanged) from a text/uri-list (RFC 2483: one address a line, "#" comments):
    the addresses a document opens (a PDF's links and actions), read as an href is."""
    lines = (line.strip() for line in text.splitlines())
    yield from _hrefs((line[:_MAX_URL_CHARS], "") for line in lines if line[:1] not in ("", "#"))


def find_links(bodies: Iterable[tuple[str, str, str]], *, max_urls: int, max_chars: int) -> Links:
    """The distinct links of (location, mime type, text) bodies, in order; the first
    sighting of a URL is kept (an href keeps its anchor text). A text/uri-list "body" holds
    the links of a document (a PDF's), one a line."""
    seen: dict[str, Link] = {}
    budget = max_chars
    cut = False
    for location, mime_type, text in bodies:
        if cut or budget <= 0:
            cut = cut or bool(text)
            break
        if len(text) > budget:
            text, cut = text[:budget], True
        budget -= len(text)
        if mime_type == "text/html":
            found: Iterable[tuple[str, str, bool]] = _html_links(text)
        elif mime_type == "text/uri-list":
            found = _uri_list(text)
        else:
            found = ((url, "", defanged) for url, defanged in urls_in_text(text))
        for url, shown, defanged in found:
            if url in seen:
                continue
            if len(seen) >= max_urls:
                cut = True
                break
            seen[url] = Link(url=url, location=location, shown=shown, defanged=defanged)
    return Links(links=tuple(seen.values()), cut=cut)
