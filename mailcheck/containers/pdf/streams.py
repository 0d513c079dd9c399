"""Decoding a PDF stream's filters with bounds, for embedded files and scripts.

pypdf decodes a stream whole and in memory (older releases without any bound), so a
kilobyte of Flate data can ask for gigabytes. Here the filters embedded files use are
decoded in steps into an `Accumulator`, which keeps the member bound and counts the rest,
as archive members are read: Flate (also with a PNG or TIFF predictor), ASCIIHex, ASCII85
and RunLength. Other filters (LZW, image codecs, a crypt filter) are not decoded; the file
is then reported as damaged rather than guessed at. Pure Python and zlib: no pypdf here.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterator

from ..decoders import flate
from ..session import CHUNK, Accumulator

_ALIASES = {
    "/Fl": "/FlateDecode",
    "/AHx": "/ASCIIHexDecode",
    "/A85": "/ASCII85Decode",
    "/RL": "/RunLengthDecode",
    "/LZW": "/LZWDecode",
}
_SUPPORTED = frozenset({"/FlateDecode", "/ASCIIHexDecode", "/ASCII85Decode", "/RunLengthDecode"})
_NOT_HEX = re.compile(rb"[^0-9A-Fa-f]")
_SPACE = re.compile(rb"\s+")


class StreamError(ValueError):
    """A filter this module does not decode, or data its filter cannot read."""


def filter_names(filters: list[str]) -> list[str]:
    """The filter names as the specification spells them (abbreviations expanded)."""
    return [_ALIASES.get(name, name) for name in filters]


def _hex(data: bytes) -> bytes:
    data = data.split(b">", 1)[0]
    digits = _NOT_HEX.sub(b"", data)
    if len(digits) % 2:
        digits += b"0"  # the specification's rule for an odd final digit
    return bytes.fromhex(digits.decode("ascii"))


def _a85(data: bytes) -> bytes:
    text = _SPACE.sub(b"", data)
    if text.startswith(b"<~"):
        text = text[2:]
    text = text.split(b"~>", 1)[0]
    try:
        return base64.a85decode(text)
    except ValueError as exc:
        raise StreamError(f"damaged ASCII85 data ({exc})") from None


def _run_length(data: bytes, limit: int) -> bytes:
    out = bytearray()
    at = 0
    while at < len(data) and len(out) <= limit:
        length = data[at]
        if length == 128:  # end of data
            break
        if length < 128:
            out += data[at + 1 : at + 2 + length]
            at += length + 2
        else:
            out += data[at + 1 : at + 2] * (257 - length)
            at += 2
    return bytes(out[: limit + 1])


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0


def _inflate(data: bytes) -> Iterator[bytes]:
    """Flate output in chunks of at most CHUNK bytes; damaged or cut data ends it with an
    error after what could be decoded. Raw deflate (no zlib header) is read too."""
    stream = flate(data, header=_zlib_header(data))
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    except zlib.error as exc:
        raise StreamError(f"damaged Flate data ({exc})") from None
    if not stream.complete:
        raise StreamError("Flate data ends early")


def _whole(name: str, data: bytes, limit: int) -> bytes:
    """One filter decoded whole, but never past `limit` bytes (an inner step of a chain)."""
    if name == "/FlateDecode":
        out = bytearray()
        for chunk in _inflate(data):
            out += chunk
            if len(out) > limit:
                break
        return bytes(out[: limit + 1])
    if name == "/ASCIIHexDecode":
        return _hex(data)[: limit + 1]
    if name == "/ASCII85Decode":
        return _a85(data)[: limit + 1]
    if name == "/RunLengthDecode":
        return _run_length(data, limit)
    raise StreamError(f"filter {name[1:40]} is not decoded")


def _png_rows(data: bytes, columns: int, colors: int, bits: int) -> Iterator[bytes]:
    """Undo the PNG predictors row by row (PDF's /Predictor 10-15)."""
    pixel = max(1, colors * bits // 8)
    width = (columns * colors * bits + 7) // 8
    previous = bytearray(width)
    for at in range(0, len(data) - width, width + 1):
        kind = data[at]
        row = bytearray(data[at + 1 : at + 1 + width])
        for i in range(width):
            left = row[i - pixel] if i >= pixel else 0
            up = previous[i]
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = previous[i - pixel] if i >= pixel else 0
                guess = left + up - corner
                near = min(
                    (abs(guess - left), 0, left),
                    (abs(guess - up), 1, up),
                    (abs(guess - corner), 2, corner),
                )
                row[i] = (row[i] + near[2]) & 0xFF
        previous = row
        yield bytes(row)


def _predicted(data: bytes, params: dict[str, int]) -> bytes:
    predictor = params.get("/Predictor", 1)
    if predictor <= 1:
        return data
    columns = max(1, min(params.get("/Columns", 1), 1 << 20))
    colors = max(1, min(params.get("/Colors", 1), 32))
    bits = params.get("/BitsPerComponent", 8)
    if predictor >= 10:
        return b"".join(_png_rows(data, columns, colors, bits))
    if predictor == 2 and bits == 8:  # TIFF: each byte adds the one a pixel before it
        out = bytearray(data)
        width = columns * colors
        for start in range(0, len(out), width):
            for i in range(start + colors, min(start + width, len(out))):
                out[i] = (out[i] + out[i - colors]) & 0xFF
        return bytes(out)
    raise StreamError(f"predictor {predictor} is not decoded")


def decode(
    raw: bytes, filters: list[str], params: dict[str, int], acc: Accumulator
) -> tuple[bool, str]:
    """Feed the decoded stream to `acc`: (the stream ended by itself, error or "").

    `filters` are applied in order; `params` are the last filter's /DecodeParms numbers.
    Inner steps of a chain are decoded whole up to the accumulator's bound; the last one is
    streamed, so a bomb costs counting time, never memory.
    """
    names = filter_names(filters)
    try:
        unknown = [name for name in names if name not in _SUPPORTED]
        if unknown:
            raise StreamError(f"filter {unknown[0][1:40]} is not decoded")
        data = raw
        for name in names[:-1]:
            data = _whole(name, data, acc.keep)
        last = names[-1] if names else ""
        if last == "/FlateDecode" and params.get("/Predictor", 1) <= 1:
            for chunk in _inflate(data):
                if not acc.feed(chunk):
                    return False, ""
            return True, ""
        if last:
            data = _whole(last, data, acc.keep)
        if last == "/FlateDecode":
            data = _predicted(data, params)
        for at in range(0, len(data), CHUNK):
            if not acc.feed(data[at : at + CHUNK]):
                return False, ""
        return True, ""
    except StreamError as exc:
        return False, str(exc)
    except (ValueError, MemoryError) as exc:  # bytes.fromhex, a85decode, allocation
        return False, f"damaged stream ({type(exc).__name__})"
