"""HTML and SVG attachments that smuggle a payload, redirect, or ask for a password.

The page is read by `mailcheck/pages/` (bounded regular expressions, nothing run);
what its data decodes to is analysed as members by `containers/html_blob.py`. This module
judges the shapes:

- `attachment.html_smuggling` (critical): the page decodes an archive, program, script,
  shortcut, disk image or macro document and has the means to save it (a Blob, a download
  link, `msSaveOrOpenBlob`, `atob`), or builds a file under a payload's name
  (`invoice.zip`, `.iso`, `.js`...) from embedded data or a Blob;
- `attachment.html_smuggling_suspected` (high): the shape is there (embedded data that is
  not a picture, font or text, and a Blob or download built by script) but what it builds
  does not decode without running the script (XOR, AES...);
- `attachment.html_redirect` (high): the page's script sends the browser to a remote
  address when it opens (`location` set at load, plain or built with `atob`...), or a meta
  refresh carries an e-mail address (the recipient's, for a prefilled phishing login);
- `attachment.html_redirect_meta` (medium): a plain meta refresh to a remote address.
  Documentation sites ship such redirect stubs, so alone it is evidence, not a verdict;
- `attachment.html_credential_form` (high): a password field in a form or a script that
  posts it;
- `attachment.svg_script` (high): a picture with a script, event handlers, `javascript:`
  links, or an HTML form or frame inside `foreignObject`.

A message's own HTML body is not an attachment: mail readers do not run its scripts, and
links in bodies are judged elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..extract import Item
from ..model import Evidence
from ..pages import (
    Blob,
    Page,
    Redirect,
    member_names,
    payload_name,
    read_page,
    smuggling_sources,
)
from ..text import defang
from .interface import AttachmentContext, Hit

EMITS = (
    "attachment.html_smuggling",
    "attachment.html_smuggling_suspected",
    "attachment.html_redirect",
    "attachment.html_redirect_meta",
    "attachment.html_credential_form",
    "attachment.svg_script",
)
PAGE_EXTS = (".html", ".htm", ".shtml", ".xhtml", ".svg", ".svgz")
KINDS = frozenset({"html", "svg", "text", "xml", "unknown"})
_DECODERS = frozenset({"atob()", "Uint8Array", "String.fromCharCode"})
_BUILDERS = frozenset({"new Blob()", "URL.createObjectURL", "msSaveOrOpenBlob", "new File()"})
_BUILDERS |= {"saveAs()", "data: URI built by script"}
_ADDRESS = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+\.[\w.-]+")


def _is_page(item: Item) -> tuple[bool, bool]:
    """(is a web page or SVG, is SVG)"""
    kind = item.sniffed.kind
    name = item.filename.lower().rstrip(" .")
    if kind == "svg" or (kind != "html" and name.endswith((".svg", ".svgz"))):
        return True, True
    return kind == "html" or name.endswith(PAGE_EXTS), False


def _size(blob: Blob) -> str:
    return f"{blob.size:,} bytes" + (" (cut at the bound)" if blob.cut else "")


def _evidence(item: Item, excerpt: str, **facts: str) -> tuple[Evidence, ...]:
    return (
        Evidence(
            location=item.location,
            excerpt=excerpt[:300],
            facts=(("attachment", item.path), *facts.items()),
        ),
    )


def _smuggling(item: Item, page: Page) -> Iterator[Hit]:
    techniques = frozenset(page.techniques)
    sources = smuggling_sources(page)
    payloads = [b for b in page.blobs if b.payload]
    named = [n for n in page.download_names if payload_name(n)]
    sinks = page.sinks | ({"data: URI link or frame"} & techniques)
    decoders = _DECODERS & techniques
    builders = _BUILDERS & techniques
    critical = bool(payloads and (sinks or decoders)) or bool(
        named and (sources or payloads or builders)
    )
    suspected = bool(sources or page.undecoded) and bool(builders or (decoders and sinks))
    if not critical and not (suspected or payloads):
        return
    members = {id(blob): name for name, blob in member_names(page)}
    described = []
    for blob in sorted(page.blobs, key=lambda b: (not b.payload, -b.size)):
        if blob.benign:
            continue
        text = f"{blob.sniffed.mime} from a {blob.origin}, {_size(blob)}"
        if blob.reversed:
            text += ", reversed"
        if id(blob) in members:
            text += f", analysed as {item.path}/{members[id(blob)]}"
        described.append(text)
    shown = [*named, *(n for n in page.download_names if n not in named)]
    file_name = ", ".join(shown[:4]) or next(
        (members[id(b)] for b in payloads if id(b) in members), "-"
    )
    how = [t for t in page.techniques if t != "data: URI link or frame"]
    if "data: URI link or frame" in techniques:
        how.append("a data: URI link or frame")
    if page.undecoded:
        how.append(f"{page.undecoded} more embedded blobs not decoded")
    payload = "; ".join(described[:4]) or "nothing decodes without running the script"
    finding_id = "attachment.html_smuggling" if critical else "attachment.html_smuggling_suspected"
    yield Hit(
        id=finding_id,
        evidence=_evidence(
            item,
            f"builds {file_name}: {payload}",
            page="SVG" if page.svg else "HTML",
            file_name=file_name,
            payload=payload,
            how=", ".join(how) or "embedded data only",
        ),
    )


def _strong(redirect: Redirect) -> bool:
    """A script moves the browser, the address is hidden, or it carries an address."""
    return not redirect.how.startswith("meta refresh") or bool(_ADDRESS.search(redirect.target))


def _redirect(item: Item, page: Page) -> Iterator[Hit]:
    if not page.redirects:
        return
    strong = [r for r in page.redirects if _strong(r)]
    first = (strong or list(page.redirects))[0]
    target = defang(first.target)
    hows = ", ".join(dict.fromkeys(r.how for r in page.redirects))
    yield Hit(
        id="attachment.html_redirect" if strong else "attachment.html_redirect_meta",
        evidence=_evidence(item, f"{first.how}: {target}", target=target, how=hows),
    )


def _credentials(item: Item, page: Page) -> Iterator[Hit]:
    if not page.password_fields:
        return
    targets = ", ".join(defang(t) for t in page.form_targets)
    if not targets:
        targets = "a script in the page" if page.script_sends else "-"
    fields = ", ".join(page.password_fields)
    yield Hit(
        id="attachment.html_credential_form",
        evidence=_evidence(
            item, f"password form posting to {targets}", target=targets, fields=fields
        ),
    )


def _svg(item: Item, page: Page) -> Iterator[Hit]:
    if page.svg and page.svg_active:
        how = ", ".join(page.svg_active)
        yield Hit(id="attachment.svg_script", evidence=_evidence(item, how, how=how))


def pages(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    if item.role == "body" or not item.data:
        return
    is_page, svg = _is_page(item)
    if not is_page:
        return
    page = read_page(item.data, svg=svg, max_bytes=ctx.limits.max_member_bytes)
    yield from _smuggling(item, page)
    yield from _redirect(item, page)
    yield from _credentials(item, page)
    yield from _svg(item, page)
