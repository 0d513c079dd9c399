"""Attachments whose name or declared type disagrees with their bytes."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Evidence
from ..sniff import declared_matches, extension_matches
from .interface import AttachmentAnalyzer, AttachmentContext, Hit


def type_mismatch(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    if item.role == "body" or not item.data:
        return
    name_ok = extension_matches(item.filename, item.sniffed)
    declared_ok = declared_matches(item.declared_type, item.sniffed)
    if name_ok and declared_ok:
        return
    disagrees = "name" if not name_ok else "declared type"
    yield Hit(
        id="attachment.type_mismatch",
        evidence=(
            Evidence(
                location=item.location,
                excerpt=f"{item.filename or '-'} ({item.declared_type}) is {item.sniffed.mime}",
                facts=(
                    ("attachment", item.path),
                    ("filename", item.filename or "-"),
                    ("declared_type", item.declared_type),
                    ("detected_type", item.sniffed.mime),
                    ("disagrees", disagrees),
                ),
            ),
        ),
    )


ANALYZERS = (
    AttachmentAnalyzer(
        name="attachment.type",
        emits=("attachment.type_mismatch",),
        run=type_mismatch,
    ),
)
