"""Payload files that infect when opened: shortcuts, OneNote, PDF actions, executables,
scripts, padding.

Each kind lives in its own module; this one only lists them for `analyzers/__init__.py`.
`attachment.inflated` (padding) is defined with the archive findings, whose text covers
both ways of inflating a file.
"""

from __future__ import annotations

from . import executables, padding, pdf
from .interface import AttachmentAnalyzer, deferred

ANALYZERS: tuple[AttachmentAnalyzer, ...] = (
    # Shortcut and OneNote parsing loads only when such a file arrives.
    AttachmentAnalyzer(
        name="payload.shortcut",
        emits=("attachment.lnk", "attachment.lnk_shortcut"),
        run=deferred("mailcheck.analyzers.shortcut", "shortcuts"),
        kinds=frozenset({"lnk"}),
    ),
    # .url, .scf, .library-ms / .searchConnector-ms / .search-ms and .desktop files; text
    # kinds only when the name is one of these (shortcut_files.KINDS, kept in sync by a test).
    AttachmentAnalyzer(
        name="payload.shortcut_files",
        emits=(
            "attachment.url_shortcut",
            "attachment.url_shortcut_web",
            "attachment.remote_icon",
            "attachment.library_ms",
            "attachment.scf",
            "attachment.desktop_entry",
            "attachment.shortcut_file",
        ),
        run=deferred("mailcheck.analyzers.shortcut_files", "shortcut_files"),
        kinds=frozenset(
            {"internet-shortcut", "scf", "library-ms", "desktop", "text", "xml", "script"}
            | {"unknown"}
        ),
    ),
    AttachmentAnalyzer(
        name="payload.onenote",
        emits=(
            "attachment.onenote_embedded",
            "attachment.onenote_files",
        ),
        run=deferred("mailcheck.analyzers.onenote", "notebooks"),
        kinds=frozenset({"onenote"}),
    ),
    # HTML and SVG attachments (smuggling, redirects, password forms, SVG scripts); text
    # kinds only when the name is a page's (smuggling.KINDS, kept in sync by a test).
    AttachmentAnalyzer(
        name="payload.smuggling",
        emits=(
            "attachment.html_smuggling",
            "attachment.html_smuggling_suspected",
            "attachment.html_redirect",
            "attachment.html_redirect_meta",
            "attachment.html_credential_form",
            "attachment.svg_script",
        ),
        run=deferred("mailcheck.analyzers.smuggling", "pages"),
        kinds=frozenset({"html", "svg", "text", "xml", "unknown"}),
    ),
    # A DLL that Excel loads as an add-in; pefile loads only when a PE arrives.
    AttachmentAnalyzer(
        name="payload.xll",
        emits=("attachment.xll_addin",),
        run=deferred("mailcheck.analyzers.xll", "addins"),
        kinds=frozenset({"pe"}),
    ),
    *pdf.ANALYZERS,
    *executables.ANALYZERS,
    *padding.ANALYZERS,
)
