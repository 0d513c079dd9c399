"""Payload files that infect when opened: shortcuts, OneNote, executables, scripts.

STUB: analyzers are being written.
"""

from __future__ import annotations

from .interface import AttachmentAnalyzer

ANALYZERS: tuple[AttachmentAnalyzer, ...] = ()
