"""Reading one page: its embedded data, the shapes of its scripts, its redirects and
forms, and the names of the files it would hand the browser."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..records import record
from .blobs import Blob, _as_bytes, _b64, _cut_out, _decode
from .patterns import (
    _AT_LOAD,
    _CONTROL,
    _DOWNLOAD_NAMES,
    _FOREIGN,
    _FOREIGN_ACTIVE,
    _FORM,
    _FORM_ACTION,
    _INPUT_NAMES,
    _JOINS,
    _LOCATION,
    _MAX_LOCATIONS,
    _META,
    _OBFUSCATED,
    _ONLOAD_ATTR,
    _PASSWORD,
    _REFRESH,
    _REFRESH_URL,
    _REMOTE,
    _SCRIPT,
    _SENDS,
    _SVG_ACTIVE,
    _TECHNIQUES,
    _URL_IN,
    LARGE,
    MARKUP_KINDS,
    MAX_BLOBS,
    MIN_BASE64,
    RAW_BYTES,
    SINKS,
    SKELETON_BYTES,
)


@record
class Redirect:
    target: str  # as written, at most 300 characters
    how: str  # "meta refresh", "script sets location", ...


@record
class Page:
    """What one HTML or SVG file does when opened, as far as reading it tells."""

    svg: bool
    blobs: tuple[Blob, ...]
    embedded: int  # candidates found (decoded or not), for evidence
    undecoded: int  # large candidates not decoded (over MAX_BLOBS)
    techniques: tuple[str, ...]
    download_names: tuple[str, ...]
    redirects: tuple[Redirect, ...]
    password_fields: tuple[str, ...]
    form_targets: tuple[str, ...]  # form actions and URLs a script posts to
    script_sends: bool
    svg_active: tuple[str, ...]
    cut: bool  # the page was larger than what was read

    @property
    def sinks(self) -> frozenset[str]:
        return SINKS & frozenset(self.techniques)

# --- the shapes ----------------------------------------------------------------------------


def _redirects(skeleton: bytes) -> Iterator[Redirect]:
    for meta in _META.finditer(skeleton):
        tag = meta.group(0)
        if _REFRESH.search(tag):
            target = _REFRESH_URL.search(tag)
            if target and _REMOTE.match(target.group(2)):
                delay = target.group(1).decode() or "0"
                yield Redirect(target=_text(target.group(2)), how=f"meta refresh after {delay} s")
    scripts = [m.group(1) for m in _SCRIPT.finditer(skeleton)]
    scripts += [m.group(1) or m.group(2) for m in _ONLOAD_ATTR.finditer(skeleton)]
    looked = 0
    for script in scripts:
        for m in _LOCATION.finditer(script):
            looked += 1
            if looked > _MAX_LOCATIONS:
                return
            expression = m.group(1) or m.group(2) or m.group(3) or b""
            flat = _JOINS.sub(b"", expression)
            if not (_REMOTE.match(flat) or _OBFUSCATED.search(flat[:200])):
                continue
            enclosing = _enclosing(script, m.start())
            if enclosing is not None and (m.group(3) or not enclosing):
                continue  # inside a function nothing calls at load: a button's handler
            how = "script opens a window" if m.group(3) else "script sets the location"
            yield Redirect(target=_shown_target(expression), how=how)


_ATOB_LITERAL = re.compile(rb"atob\s*\(\s*[\"'`]([A-Za-z0-9+/=]{4,2000})[\"'`]\s*\)")
_SIMPLE_LITERAL = re.compile(rb"^\s*\(?\s*[\"'`]([^\"'`]*)[\"'`]\s*\)?\s*,?\s*$")


def _shown_target(expression: bytes) -> str:
    """The address as evidence: a plain literal without its quotes, atob("...") decoded."""

    def decoded(m: re.Match[bytes]) -> bytes:
        value, _ = _b64(m.group(1), 2000)
        return b'"' + value + b'"' if all(32 <= c < 127 for c in value) else m.group(0)

    expression = _ATOB_LITERAL.sub(decoded, expression.strip())
    simple = _SIMPLE_LITERAL.match(_JOINS.sub(b"", expression))
    return _text(simple.group(1) if simple else expression)


def _enclosing(script: bytes, at: int) -> bool | None:
    """None at the top level of a script; else whether the innermost function around `at`
    runs at load (window.onload, DOMContentLoaded, setTimeout, jQuery's ready). Blocks of
    if / else / try / loops are looked through. Reads at most 4 KiB backwards."""
    start = max(0, at - 4096)
    depth = 0
    i = at
    while i > start:
        i -= 1
        char = script[i]
        if char == 0x7D:  # }
            depth += 1
        elif char == 0x7B:  # {
            if depth:
                depth -= 1
                continue
            header = re.split(rb"[;{}]", script[max(start, i - 200) : i])[-1]
            if _AT_LOAD.search(header):
                return True
            if not _CONTROL.search(header):
                return False
    return None


def _text(raw: bytes, limit: int = 300) -> str:
    return raw[:limit].decode("utf-8", "replace")


def _techniques(skeleton: bytes, blobs: list[Blob]) -> tuple[str, ...]:
    found = [name for name, pattern in _TECHNIQUES if pattern.search(skeleton)]
    if any(b.context == "link" and b.name for b in blobs) and "download name" not in found:
        found.append("download name")
    if any(b.context in ("link", "frame") for b in blobs):
        found.append("data: URI link or frame")
    return tuple(found)


def read_page(data: bytes, *, svg: bool, max_bytes: int) -> Page:
    """Read an HTML or SVG file: never runs anything, never raises on any bytes."""
    cut = len(data) > RAW_BYTES
    original = _as_bytes(data[:RAW_BYTES])
    skeleton, candidates = _cut_out(original)
    if len(skeleton) > SKELETON_BYTES:
        cut = True
        tail = SKELETON_BYTES // 4
        skeleton = skeleton[: SKELETON_BYTES - tail] + b"\n" + skeleton[-tail:]
    chosen = sorted(
        (c for c in candidates if c.length >= MIN_BASE64 * 3 // 4 or not c.encoded),
        key=lambda c: -c.length,
    )
    blobs = [
        blob for c in chosen[:MAX_BLOBS] if (blob := _decode(c, original, max_bytes)) is not None
    ]
    undecoded = sum(1 for c in chosen[MAX_BLOBS:] if c.length >= LARGE)
    names = tuple(
        dict.fromkeys(
            _text(m.group(1), 200).strip()
            for m in _DOWNLOAD_NAMES.finditer(skeleton)
            if m.group(1).strip()
        )
    )
    names = tuple(dict.fromkeys((*names, *(b.name for b in blobs if b.name))))[:8]
    password = _PASSWORD.findall(skeleton)
    fields: tuple[str, ...] = ()
    targets: list[str] = []
    sends = False
    if password:
        fields = tuple(
            dict.fromkeys(_text(m.group(1), 40) for m in _INPUT_NAMES.finditer(skeleton))
        )[:8]
        targets = [_text(m.group(1)) for m in _FORM_ACTION.finditer(skeleton)]
        sends = bool(_SENDS.search(skeleton))
        if sends:
            for script in _SCRIPT.finditer(skeleton):
                targets += [_text(u.group(0)) for u in _URL_IN.finditer(script.group(1))][:4]
        if not _FORM.search(skeleton) and not sends:
            password = []
    active: tuple[str, ...] = ()
    if svg:
        active = tuple(name for name, pattern in _SVG_ACTIVE if pattern.search(skeleton))
        foreign = _FOREIGN.search(skeleton)
        if foreign and _FOREIGN_ACTIVE.search(skeleton, foreign.end()):
            active += ("HTML form or frame inside foreignObject",)
    return Page(
        svg=svg,
        blobs=tuple(blobs),
        embedded=len(candidates),
        undecoded=undecoded,
        techniques=_techniques(skeleton, blobs),
        download_names=names,
        redirects=tuple(dict.fromkeys(_redirects(skeleton)))[:4],
        password_fields=fields if password else (),
        form_targets=tuple(dict.fromkeys(targets))[:4] if password else (),
        script_sends=sends,
        svg_active=active,
        cut=cut,
    )


def smuggling_sources(page: Page) -> list[Blob]:
    """Embedded data that is not page content (pictures, fonts, text data)."""
    return [b for b in page.blobs if not b.benign and b.size >= LARGE]


def member_names(page: Page) -> list[tuple[str, Blob]]:
    """The decoded data that becomes members of the page, each with its file name.

    A page's payloads and the markup it writes are always analysed; with a way to save a
    file (a sink), everything it embeds that is not page content is. The download name
    the page gives goes to the data of its own tag, else to the largest payload.
    """
    sinks = bool(page.sinks)
    chosen = [
        b
        for b in page.blobs
        if b.payload
        or b.sniffed.kind in MARKUP_KINDS
        or (sinks and not b.benign and b.sniffed.kind not in ("unknown", "empty"))
    ]
    free = [n for n in page.download_names if n not in {b.name for b in chosen if b.name}]
    out: list[tuple[str, Blob]] = []
    used: set[str] = set()
    for index, blob in enumerate(chosen, start=1):
        name = blob.name
        if not name and free and (blob.payload or sinks):
            name = free.pop(0)
        if not name or name in used:
            ext = blob.sniffed.extensions[0] if blob.sniffed.extensions else ".bin"
            name = f"embedded-{index}{ext}"
        used.add(name)
        out.append((name, blob))
    return out
