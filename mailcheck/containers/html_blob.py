"""HTML and SVG files whose embedded data decodes to files: each becomes a member.

An HTML-smuggling page carries its ZIP as a base64 string, a `data:` URI or a character-code
array (see `mailcheck/pages/`). What decodes without running anything is a member
named as the page would save it (`2/invoice.html/invoice.zip`), so the archive inside is
opened and analysed like any attached one. Pictures and fonts a page shows are not members.
A message's own HTML body is never opened: mail readers do not run its scripts.
"""

from __future__ import annotations

from .interface import Opened, OpenRequest
from .session import Drained, Session

KINDS = ("html", "svg")


def open_page(request: OpenRequest) -> Opened:
    session = Session(request)
    from ..pages import member_names, read_page

    page = read_page(request.data, svg=request.kind == "svg", max_bytes=session.keep)
    if page.cut:
        session.mark("truncated")
    for name, blob in member_names(page):
        if not session.admit(name):
            if session.listing:
                continue
            break
        drained = Drained(
            data=blob.data,
            counted=blob.size,
            crc=0,
            finished=True,
            ratio_cut=False,
        )
        session.add(name, drained, packed=blob.size, claimed=-1)
    return session.opened()
