"""Containers: archives and wrappers whose members are analysed like attachments.

Each opener handles some sniffed kinds and returns the members it could read, bounded by
the scan's `Budget`. Adding a format is one module plus a line in `OPENERS`, and the
finding ids it may emit in `EMITS` (the catalog meta-test reads them).
"""

from __future__ import annotations

import importlib

from ..model import Evidence, Hit
from . import office_crypto
from .interface import DocumentAction, Member, Opened, Opener, OpenRequest


def _lazy(module: str, name: str) -> Opener:
    """An opener whose module (and archive library) is imported on its first use: a scan of
    plain mail never pays for py7zr, pycdlib, pyzipper or tnefparse."""

    def run(request: OpenRequest) -> Opened:
        opener: Opener = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        return opener(request)

    return run


def _guarded(opener: Opener) -> Opener:
    """extract.py calls openers directly: a library bug on hostile bytes must not end the scan."""

    def run(request: OpenRequest) -> Opened:
        from ..quiet import silenced_logging  # archive libraries log every oddity they meet

        try:
            with silenced_logging():
                return opener(request)
        except Exception as exc:  # every expected failure is handled inside the opener
            reason = f"the opener failed ({type(exc).__name__}: {exc})"[:200]
            facts = (("attachment", request.path), ("format", request.kind), ("reason", reason))
            evidence = Evidence(location=request.location, excerpt=reason, facts=facts)
            hit = Hit(id="attachment.archive_unsupported", evidence=(evidence,))
            return Opened(status="broken", hits=(hit,))

    return run


# Web pages: opened only as attachments. A message's own HTML body is shown by the mail
# client, never saved and opened in a browser, so nothing its scripts build is a member.
PAGE_KINDS = frozenset({"html", "svg"})
# OOXML packages (and Flat OPC XML): what they embed (office_embeddings; the module is
# light, its kinds are named here so that importing it is left to the first document).
OOXML_KINDS = ("docx", "docm", "xlsx", "xlsm", "xlsb", "pptx", "pptm", "ooxml", "xml")
# Documents that carry files (a PDF's embedded files) but are opened and read as documents:
# each embedded file is a member, and the document is still analysed as a file of its own.
DOCUMENT_KINDS = frozenset({"pdf"})
# What the PDF opener may report (kept here so that the catalog test needs no import of it).
_PDF_EMITS = (
    "attachment.pdf_encrypted",
    "attachment.pdf_password_in_body",
    "attachment.pdf_unreadable",
    "analyzer.timeout",
    "analyzer.error",
)

OPENERS: dict[str, Opener] = {
    kind: _guarded(opener)
    for kinds, opener in (
        (("zip", "zip-encrypted"), _lazy("zip_archive", "open_zip")),
        (("7z",), _lazy("sevenzip", "open_7z")),
        (("gzip", "bzip2", "xz"), _lazy("compressed_stream", "open_stream")),
        (("tnef",), _lazy("tnef", "open_tnef")),
        (("iso", "img"), _lazy("disk_image", "open_image")),
        (("vhd", "vhdx"), _lazy("virtual_disk", "open_virtual_disk")),
        (("rar", "cab", "tar", "lzh", "xar"), _lazy("libarchive_formats", "open_libarchive")),
        (("onenote",), _lazy("libarchive_formats", "open_onenote_package")),
        (("ace",), _lazy("unsupported", "open_unsupported")),
        (tuple(PAGE_KINDS), _lazy("html_blob", "open_page")),
        (tuple(DOCUMENT_KINDS), _lazy("pdf", "open_pdf")),
        (office_crypto.KINDS, office_crypto.open_encrypted_office),
        (OOXML_KINDS, _lazy("office_embeddings", "open_embeddings")),
    )
    for kind in kinds
}

# Kinds whose members are analysed one by one; the Office kinds above only ever yield a
# decrypted copy of an encrypted document or what it embeds, so a plain .doc or .docx is
# still one file to analyse. Web pages (html_blob) only yield what their scripts would
# decode, a PDF only the files it embeds: the page and the document stay files (padding,
# type and their own checks). A OneNote section is a file too; only a package (.onepkg, a
# cabinet) has members.
ARCHIVE_KINDS = (
    frozenset(OPENERS)
    - frozenset(office_crypto.KINDS)
    - frozenset(OOXML_KINDS)
    - PAGE_KINDS
    - DOCUMENT_KINDS
    - {"onenote"}
)

EMITS: tuple[str, ...] = (
    "attachment.archive_password_in_body",
    "attachment.encrypted_archive",
    "attachment.encrypted_program",
    "attachment.encrypted_macro_document",
    "attachment.payload_past_limit",
    "attachment.archive_unsupported",
    "attachment.archive_path_traversal",
    "attachment.archive_symlink",
    "attachment.inflated",
    "attachment.onenote_unchecked",
    # Through the scan's Budget:
    "limit.max_archive_members",
    "limit.max_member_bytes",
    "limit.max_compression_ratio",
    "limit.max_password_tries",
    "limit.archive_timeout",
    "limit.max_parts",
    "limit.max_total_bytes",
    "limit.max_pdf_objects",
    "limit.max_urls",
    *office_crypto.EMITS,
    *_PDF_EMITS,
)

__all__ = [
    "ARCHIVE_KINDS",
    "DOCUMENT_KINDS",
    "EMITS",
    "OPENERS",
    "PAGE_KINDS",
    "DocumentAction",
    "Member",
    "OpenRequest",
    "Opened",
    "Opener",
]
