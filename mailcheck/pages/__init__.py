"""Bounded reading of HTML and SVG attachments: what their scripts would build, never run.

HTML smuggling (2022 onward, Emotet-adjacent and QakBot campaigns) mails a web page whose
script turns a large embedded string into a file in the browser (`atob`, `Uint8Array`,
`new Blob`, `URL.createObjectURL`, `msSaveOrOpenBlob`, a link with `download` clicked by
script), so the ZIP or ISO never passes a mail filter as an attachment. Phishing pages
redirect the browser or ask for a password; SVG pictures carry the same scripts.

Everything here is regular expressions over bytes, each linear in its input: the embedded
data is found in at most `RAW_BYTES` of the page, cut out, and the rest (the "skeleton",
at most `SKELETON_BYTES`) is searched for the shapes. Data that decodes without running
anything is decoded: a base64 string literal (or adjacent literals joined by `+` or `,`,
also reversed), a `data:` URI, a character-code array, percent-encoded text. Nothing is
executed, no variable is followed.
"""

from .blobs import Blob, payload_name
from .reading import Page, Redirect, member_names, read_page, smuggling_sources

__all__ = [
    "Blob",
    "Page",
    "Redirect",
    "member_names",
    "payload_name",
    "read_page",
    "smuggling_sources",
]
