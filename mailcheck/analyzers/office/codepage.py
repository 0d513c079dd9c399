"""Decoding VBA text as Windows does.

Python's cp1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D); Windows maps
them to the same code points. olevba decodes module source with `errors="replace"`, so a
macro that hides its command line in such bytes (`Chr(Asc(Mid(s, i, 1)) - 33)` over a
literal full of them) would lose characters before the folder sees them. The error handler
registered here keeps them, and `decode_like_windows` is what olevba's project decoding is
set to in the worker.
"""

from __future__ import annotations

import codecs
from typing import Any

HANDLER = "windows_cp1252"


def _keep_byte(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(map(chr, error.object[error.start : error.end])), error.end


codecs.register_error(HANDLER, _keep_byte)


def decode_like_windows(self: Any, bytes_string: bytes, errors: str = "replace") -> str:
    """olevba's `VBA_Project.decode_bytes`, keeping undefined bytes as Windows does."""
    codec = str(getattr(self, "codec", "cp1252"))
    return bytes(bytes_string).decode(codec, errors=HANDLER if errors == "replace" else errors)


# The same text as Python's cp1252 with errors="replace" decodes it (pcodedmp's p-code
# strings), for comparing the two.
AS_REPLACED = str.maketrans(dict.fromkeys("\x81\x8d\x8f\x90\x9d", "\ufffd"))
