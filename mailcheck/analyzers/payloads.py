"""Payload files that infect when opened: shortcuts, OneNote, executables, scripts, padding.

Each kind lives in its own module; this one only lists them for `analyzers/__init__.py`.
`attachment.inflated` (padding) is defined with the archive findings, whose text covers
both ways of inflating a file.
"""

from __future__ import annotations

from . import executables, onenote, padding, shortcut
from .interface import AttachmentAnalyzer

ANALYZERS: tuple[AttachmentAnalyzer, ...] = (
    *shortcut.ANALYZERS,
    *onenote.ANALYZERS,
    *executables.ANALYZERS,
    *padding.ANALYZERS,
)
