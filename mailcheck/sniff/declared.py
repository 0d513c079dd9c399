"""Whether a declared MIME type or a file name extension agrees with the sniffed kind."""

from __future__ import annotations

from .kinds import (
    _ACCEPT,
    _IMAGE_EXTS,
    _KNOWN_EXTS,
    _MESSAGE_EXTS,
    _MESSAGE_KINDS,
    _TEXT_LIKE,
    Sniffed,
)

# --- consistency checks ----------------------------------------------------------------------

_GENERIC_EXTS = frozenset({".bin", ".dat", ".tmp", ".data"})  # claim nothing about content


def extension_matches(filename: str, sniffed: Sniffed) -> bool:
    """True if the name's last extension is plausible for the sniffed content."""
    # Windows drops trailing dots and spaces, so "invoice.pdf ." really is ".pdf".
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].rstrip(" .").lower()
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or sniffed.kind in ("unknown", "text", "empty"):
        return True
    ext = "." + ext
    return (
        ext not in _KNOWN_EXTS
        or ext in sniffed.extensions
        or ext in _GENERIC_EXTS
        or (ext == ".txt" and sniffed.kind in _TEXT_LIKE)  # opens in an editor: harmless
        # A PNG named .jpg, an .eml named .msg: sloppy, and opened by the same kind of viewer.
        or (ext in _IMAGE_EXTS and sniffed.mime.startswith("image/"))
        or (ext in _MESSAGE_EXTS and sniffed.kind in _MESSAGE_KINDS)
    )


_GENERIC_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "application/x-download",
        "application/force-download",
        "binary/octet-stream",
        "application/unknown",
        "application/x-unknown",
        "application/binary",
    }
)


def declared_matches(declared_type: str, sniffed: Sniffed) -> bool:
    """True if a declared Content-Type is compatible with the sniffed kind."""
    declared = declared_type.split(";", 1)[0].strip().lower()
    kind, mime = sniffed.kind, sniffed.mime.lower()
    # Plain text is inert whatever it is called (PGP signatures, delivery reports).
    if declared in _GENERIC_TYPES or kind in ("unknown", "empty", "text") or declared == mime:
        return True
    major = declared.partition("/")[0]
    if major in ("multipart", "message") and kind in _TEXT_LIKE | _MESSAGE_KINDS:
        return True  # structural types whose body the parser could not split
    if major == "text" and kind in _TEXT_LIKE:
        return True
    # A PNG sent as image/jpeg is sloppy, not deceptive: any subtype of the same major type is ok.
    if major in ("image", "audio", "video") and mime.startswith(major + "/"):
        return True
    if kind in ("text", "xml", "svg", "html") and declared.endswith(("+xml", "/xml")):
        return True
    return declared.startswith(_ACCEPT.get(kind, ()))
