"""Documents and programs inflated with padding to slip past size-limited scanners.

Emotet (2022-2023) and others grew documents and executables to hundreds of megabytes
with runs of one byte (mostly NUL): sandboxes and antivirus engines skip files that big,
and the padding compresses to almost nothing in a ZIP. Real files of that size are
images, media or disk images, whose kinds are left out; anything else that is mostly
one repeated byte is padded.

The padding byte is chosen from a sample; counting it over the whole file is one C-speed
pass, so even the largest attachment the limits admit costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..containers import ARCHIVE_KINDS
from ..model import Evidence
from .interface import AttachmentAnalyzer, AttachmentContext, Hit

MIN_PADDED_BYTES = 4 * 1024 * 1024  # "a few MB": smaller files are not worth padding
MIN_PADDING_SHARE = 0.5
_SAMPLES = 32
_SAMPLE_BYTES = 4096
# Big and mostly one byte for honest reasons: blank images, silence, empty disk space.
_NATURALLY_UNIFORM = frozenset(
    {"iso", "img", "vhd", "vhdx", "bmp", "tiff", "wav", "mp3", "mp4", "empty"}
)


def padding(data: bytes) -> tuple[int, int]:
    """(the most common byte in a spread-out sample, how often it occurs in `data`)."""
    step = max(len(data) // _SAMPLES, 1)
    sample = b"".join(data[at : at + _SAMPLE_BYTES] for at in range(0, len(data), step))
    byte = max(range(256), key=sample.count)
    return byte, data.count(byte)


def padded(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    data = item.data
    if len(data) < MIN_PADDED_BYTES or item.role == "body":
        return
    kind = item.sniffed.kind
    if kind in _NATURALLY_UNIFORM or item.sniffed.mime.startswith(("image/", "audio/", "video/")):
        return
    if kind in ARCHIVE_KINDS:  # an archive's members are checked one by one, where they are named
        return
    byte, count = padding(data)
    share = count / len(data)
    if share < MIN_PADDING_SHARE:
        return
    content = len(data) - count
    size = str(len(data))
    # The fact names follow the archive findings so that one catalog text serves both:
    # the "claimed" size of a padded file is its content without the padding.
    yield Hit(
        id="attachment.inflated",
        evidence=(
            Evidence(
                location=item.location,
                excerpt=(
                    f"{len(data):,} bytes, {share:.0%} of them the byte 0x{byte:02X}: "
                    f"about {content:,} bytes of content"
                ),
                facts=(
                    ("attachment", item.path),
                    ("member", item.filename or "-"),
                    ("archive", item.path.rpartition("/")[0] if item.role == "member" else "-"),
                    ("size", size),
                    ("claimed_size", str(content)),
                    ("inflated_size", size),
                    ("inflated_bytes", size),
                    ("ratio", str(len(data) // max(content, 1))),
                    ("padding_share", f"{share:.0%}"),
                    ("padding_byte", f"0x{byte:02X}"),
                ),
            ),
        ),
    )


ANALYZERS = (
    AttachmentAnalyzer(
        name="payload.padding",
        emits=("attachment.inflated",),
        run=padded,
    ),
)
