"""Turning message bytes into text: declared charsets, mislabelled ones, Japanese variants.

Japanese mail is the hard case: Outlook and friends send CP50220/CP50221 ("ISO-2022-JP" with
cp932-only characters such as ① or ㈱) which Python's `iso2022_jp` rejects, Shift_JIS is
routinely labelled iso-8859-1 or not at all, and mailers split a character across two RFC 2047
words. Everything here is lenient, linear-time and never raises.
"""

from __future__ import annotations

import binascii
import codecs
import re
import sys
from collections.abc import Callable
from functools import lru_cache

from ..records import record


@record
class DecodedText:
    text: str
    charset: str  # the codec that actually decoded the bytes
    mislabelled: bool = False  # the declared charset was wrong or unknown
    lossy: bool = False  # some bytes could not be decoded and were replaced


# --- charset labels ------------------------------------------------------------------------

_JIS = "iso-2022-jp"  # served by our own decoder, not by Python's iso2022_jp
# canonical name: labels seen in mail that Python does not know or maps to a narrower codec.
# Python's own Shift_JIS, GB2312/GBK and ISO-2022-JP names are widened in `_lookup`.
_ALIAS_TABLE = """
iso-2022-jp: iso-2022-jp-ms cp50220 cp50221 cp50222 jis x-jis iso-2022-jp-3
cp932: x-sjis windows-31j cswindows31j x-ms-cp932 cp943 ibm-943
euc-jp: x-euc-jp eucjp cseucpkdfmtjapanese cp51932
gb18030: x-gbk csgb2312 cp936 x-euc-cn
big5: x-big5 csbig5 big5-hkscs
euc-kr: ks-c-5601-1987 cseuckr x-euc-kr windows-949 uhc
cp874: windows-874 x-windows-874
"""
_ALIASES = {
    alias: target
    for group in re.split(r"\n(?=\S)", _ALIAS_TABLE.strip())
    for target, _, labels in [group.partition(":")]
    for alias in labels.split()
}
# Codecs tried in order for a label; later ones are supersets or sibling extensions.
_PLANS = {
    _JIS: (_JIS, "iso-2022-jp-2", "iso-2022-jp-ext", "iso-2022-jp-2004"),
    "euc-jp": ("euc-jp", "euc-jis-2004"),
    "big5": ("big5", "cp950", "big5hkscs"),
    "euc-kr": ("euc-kr", "cp949"),
}
# Text codecs that are not charsets a mail could legitimately carry.
_NOT_CHARSETS = {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode"}
_LABEL = re.compile(r"[a-z0-9][a-z0-9._:+-]{0,39}")
_LAX = ("cp932", "euc-jp", "euc-jis-2004")  # multi-byte, yet accept most byte strings
_MULTIBYTE = ("utf", "iso-2022", "cp9", "euc", "gb", "big5", "hz", "johab", "shift")


def normalise_charset(label: str | None) -> str | None:
    """Map a MIME charset label to a canonical Python codec name, or None if unknown.

    Shift_JIS spellings map to "cp932", the ISO-2022-JP family (CP5022x, -ms, -2) to
    "iso-2022-jp", GB2312/GBK to "gb18030". Every result is accepted by `codecs.lookup`.
    """
    key = (label or "")[:100].strip().strip("\"'").strip().lower().replace("_", "-")
    return _lookup(key) if _LABEL.fullmatch(key) else None  # bounded keys for the cache


@lru_cache(maxsize=512)
def _lookup(key: str) -> str | None:
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        info = codecs.lookup(key)
    except (LookupError, ValueError):
        return None
    name = info.name.replace("_", "-")
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_CHARSETS:
        return None
    name = re.sub(r"^iso(8859|2022)-", r"iso-\1-", name)
    if name.startswith(_JIS):
        return _JIS
    # cp932 is the superset of Shift_JIS as actually sent (NEC and IBM extensions, ～ and −).
    wider = {"ascii": "us-ascii", "shift-jis": "cp932", "gbk": "gb18030", "gb2312": "gb18030"}
    return wider.get(name, name)


# --- ISO-2022-JP ---------------------------------------------------------------------------

# Escapes, runs of SO/SI (only the last counts) and line breaks (kept in any mode) split
# the input into segments; every segment is then decoded together with those of its mode.
_JIS_SPLIT = re.compile(rb"(\x1b[\x20-\x2f]*+[\x30-\x7e]?|[\x0e\x0f]++|[\r\n]++)")
_JIS_SIGNATURE = re.compile(rb"\x1b(?:\$[@B]|\(I|\$\([@BDOQ])")  # a non-ASCII set
_MODES = {b"\x1b(I": "kana", b"\x1b&@": ""}  # ESC & @ only announces the 1990 revision
_MODES |= dict.fromkeys((b"\x1b(B", b"\x1b(J", b"\x1b(H"), "ascii")  # JIS-Roman kept as ASCII
_MODES |= dict.fromkeys((b"\x1b$@", b"\x1b$B", b"\x1b$(B"), "kanji")
# ESC never occurs inside a segment, so it separates the segments of a batch.
_KANA_TABLE = {b: chr(b) if b in b"\t\x1b " else "\ufffd" for b in range(256)}
_KANA_TABLE |= {b: chr(0xFF40 + b) for b in range(0x21, 0x60)}  # JIS X 0201 0x21 is U+FF61


@lru_cache(maxsize=1)
def _kanji_table() -> list[str]:
    """Every byte pair (as a native-order uint16) to text, via the Shift_JIS arithmetic.

    Decoding the Shift_JIS form with cp932 is what makes NEC row 13 and the NEC-selected IBM
    rows work; a table lets a whole batch decode with C-level `map` instead of a loop.
    """
    table = ["\ufffd"] * 65536
    for j1 in range(0x21, 0x7F):
        s1 = (j1 + 1) // 2 + (0x70 if j1 < 0x5F else 0xB0)
        for j2 in range(0x21, 0x7F):
            s2 = j2 + 0x7E if j1 % 2 == 0 else j2 + 0x1F + (j2 >= 0x60)
            try:
                text = bytes((s1, s2)).decode("cp932")
            except UnicodeDecodeError:
                continue
            table[int.from_bytes(bytes((j1, j2)), sys.byteorder)] = text
    table[0x1B1B] = "\x1b"  # the batch separator
    return table


def _kanji_batch(segments: list[bytes]) -> str:
    even = [s + b"\x7f" if len(s) % 2 else s for s in segments]  # a lone last byte is lost
    return "".join(map(_kanji_table().__getitem__, memoryview(b"\x1b\x1b".join(even)).cast("H")))


_BATCH: dict[str, Callable[[list[bytes]], str]] = {
    "ascii": lambda segments: b"\x1b".join(segments).decode("ascii", "replace"),
    "kana": lambda segments: b"\x1b".join(segments).decode("latin-1").translate(_KANA_TABLE),
    "kanji": _kanji_batch,
}


def _decode_jis(data: bytes) -> tuple[str, bool]:
    """Decode ISO-2022-JP and its Microsoft variants; returns (text, every byte was valid)."""
    parts = _JIS_SPLIT.split(data)
    modes, glue = ["ascii"], []  # the mode of each segment, the text of each delimiter
    pending: dict[str, list[bytes]] = {"ascii": [parts[0]], "kana": [], "kanji": []}
    mode = before_shift = "ascii"
    for delimiter, segment in zip(parts[1::2], parts[2::2], strict=True):
        if delimiter[0] == 0x1B:
            new = _MODES.get(delimiter)
            mode = new or mode
            glue.append("\ufffd" if new is None else "")
        elif delimiter[0] in b"\r\n":
            glue.append(delimiter.decode("ascii"))
        else:  # SO shifts to katakana, SI back to the mode SO left
            before_shift = before_shift if mode == "kana" else mode
            mode = "kana" if delimiter[-1] == 0x0E else before_shift
            glue.append("")
        modes.append(mode)
        pending[mode].append(segment)
    decoded = {m: iter(_BATCH[m](segments).split("\x1b")) for m, segments in pending.items()}
    out = [""] * (len(modes) + len(glue))
    out[0::2], out[1::2] = [next(decoded[m]) for m in modes], glue
    text = "".join(out)
    return text, "\ufffd" not in text


def _detect_jis(data: bytes) -> tuple[str, str, bool]:
    """(text, codec, lossy) for bytes carrying ISO-2022-JP escapes."""
    text, clean = _decode_jis(data)
    for codec in () if clean or not data.isascii() else _PLANS[_JIS][1:]:
        alt = _decode(data, codec)
        if alt is not None and "\x1b" not in alt:  # these pass unknown escapes through
            return alt, codec, False
    return text, _JIS, not clean


# --- decoding and detection ----------------------------------------------------------------


def _decode(data: bytes, codec: str, errors: str = "strict") -> str | None:
    """Decode with one codec; None when `errors` is strict and the bytes do not fit."""
    try:
        return data.decode("utf-8-sig" if codec == "utf-8" else codec, errors)
    except (UnicodeError, LookupError, ValueError):
        return None


_SCORE_CLASSES = (
    (re.compile(r"[\u3041-\u30ff]"), 2),  # hiragana and katakana: the mark of Japanese text
    (re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e\u2460-\u24ff\u3200-\u33ff]"), 1),
    (re.compile(r"[\uff61-\uff9f]"), -1),  # half-width katakana: legitimate, but rare
    (re.compile(r"[\ue000-\uf8ff\x80-\x9f\ufffd]"), -2),  # noise of a wrong decoding
)


def _japanese_score(text: str) -> tuple[int, int]:
    """(score, kana count) over a prefix, so that scoring stays cheap on huge bodies."""
    sample = text[:65536]
    counts = [len(sample) - len(pattern.sub("", sample)) for pattern, _ in _SCORE_CLASSES]
    return sum(c * w for c, (_, w) in zip(counts, _SCORE_CLASSES, strict=True)), counts[0]


def _best_japanese(data: bytes, errors: str) -> tuple[int, int, str, str] | None:
    """The best of cp932 / EUC-JP for `data`: (score, kana, text, codec)."""
    texts = ((_decode(data, codec, errors), codec) for codec in ("cp932", "euc-jp", "euc-jis-2004"))
    scored = [(*_japanese_score(text), text, codec) for text, codec in texts if text is not None]
    return max(scored, key=lambda candidate: candidate[0], default=None)


def _mostly_fits(text: str) -> bool:
    """A declared multi-byte charset with a stray bad byte beats any guess."""
    bad = text.count("\ufffd")
    return bad * 20 <= len(text) - len(text.encode("ascii", "ignore")) + 20


def _detect(data: bytes, declared: str | None, wide: bool = True) -> tuple[str, str, bool]:
    """(text, codec, lossy) for bytes whose declared charset is missing, unknown or wrong.

    `wide`: UTF-16 is a possible reading (a body with a byte-order mark). Never for header
    bytes: headers are ASCII-compatible, and reading "\xff\xfe.exe" as UTF-16 would eat
    the extension a file name ends in."""
    if _JIS_SIGNATURE.search(data):
        text, codec, lossy = _detect_jis(data)
        if data.isascii() or not lossy or _mostly_fits(text):  # 8-bit strays in a JIS body
            return text, codec, lossy
    if data.isascii():
        return data.decode("ascii"), "us-ascii", False
    bom = wide and data[:2] in (b"\xff\xfe", b"\xfe\xff")
    for codec in ("utf-8", "utf-16") if bom else ("utf-8",):
        unicode = _decode(data, codec)
        if unicode is not None:
            return unicode, codec, False
    western = _decode(data, "cp1252")
    jp = _best_japanese(data, "strict")
    # Kanji-only text can be a plausible cp1252 byte sequence; kana cannot.
    if jp and jp[0] > 0 and (jp[1] > 0 or western is None):
        return jp[2], jp[3], False
    if declared and declared != _JIS and declared.startswith(_MULTIBYTE):
        guess = _decode(data, declared, "replace")
        if guess is not None and _mostly_fits(guess):
            return guess, declared, True
    if western is not None:
        return western, "cp1252", False
    jp = _best_japanese(data, "replace")
    if jp and jp[0] > 0 and jp[1] > 0 and jp[2].count("\ufffd") * 10 <= jp[1]:
        return jp[2], jp[3], True
    return data.decode("latin-1"), "iso-8859-1", False


def _implausible(data: bytes, codec: str, text: str) -> tuple[str, str] | None:
    """A better decoding when the declared charset "fits" only because it accepts anything.

    ISO-2022-JP is 7-bit, so ASCII and UTF-8 labels accept it; every byte is valid in most
    single-byte charsets, and cp932 or EUC-JP accept most byte strings, so Shift_JIS labelled
    iso-8859-1 or EUC-JP labelled Shift_JIS decode "strictly" too.
    """
    if data.isascii():
        if not _JIS_SIGNATURE.search(data):
            return None
        jis, clean = _decode_jis(data)
        return (jis, _JIS) if clean else None
    if codec.startswith(_MULTIBYTE) and codec not in _LAX:
        return None
    utf8 = _decode(data, "utf-8")
    if utf8 is not None:
        return utf8, "utf-8"
    if codec in _LAX and _japanese_score(text)[0] > 0:
        return None
    jp = _best_japanese(data, "strict")
    if not jp or jp[0] <= 0 or jp[3] == codec:
        return None
    # Kana never comes out of Western text; C1 controls rarely appear in real text.
    if codec not in _LAX and jp[1] == 0 and not re.search("[\x80-\x9f]", text):
        return None
    return jp[2], jp[3]


def decode_bytes(data: bytes, declared: str | None, *, wide: bool = True) -> DecodedText:
    """Decode body or parameter bytes, trusting `declared` only when it fits the bytes.

    A label fits when the bytes decode strictly and, for charsets that accept nearly any
    bytes (single-byte ones, cp932, EUC-JP), no reading as UTF-8 or Japanese is clearly
    better. Otherwise the charset is detected (`mislabelled`), decoding with replacement
    characters (`lossy`) only when nothing decodes strictly but the best guess is close.
    """
    codec = normalise_charset(declared)
    plan = _PLANS.get(codec, (codec,)) if codec else ()
    if codec == _JIS and data.isascii():  # 7-bit: the JIS reading, even if lossy, is best
        text, used, lossy = _detect_jis(data)
        return DecodedText(text=text, charset=used, lossy=lossy)
    for name in plan if codec != _JIS else ():  # 8-bit bytes never fit any JIS variant
        decoded = _decode(data, name)
        if decoded is not None:
            better = _implausible(data, name, decoded)
            if better is None:
                return DecodedText(text=decoded, charset=name)
            return DecodedText(text=better[0], charset=better[1], mislabelled=True)
    text, used, lossy = _detect(data, codec, wide)
    named = bool(declared and declared.strip().strip("\"'").strip())
    return DecodedText(text=text, charset=used, mislabelled=named and used not in plan, lossy=lossy)


# --- headers -------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s*]++)(?:\*[^?\s]*+)?\?([bBqQ])\?([^?\s]*+)\?=")
_BLANK = re.compile(r"[ \t\r\n]*+")
_B64_JUNK = re.compile(r"[^A-Za-z0-9+/]")
_QP_BAD = re.compile(r"=(?![0-9A-Fa-f]{2})")
_BAD_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_PROBLEMS = "encoded_word_invalid charset_unknown charset_mislabelled raw_8bit undecodable"


def _to_bytes(text: str) -> tuple[bytes, bool]:
    """Recover the original bytes of a surrogate-escaped str (False if some were lost)."""
    try:
        return text.encode("utf-8", "surrogateescape"), True
    except UnicodeEncodeError:
        return _BAD_SURROGATE.sub("\ufffd", text).encode("utf-8", "surrogateescape"), False


def _unbase64(payload: str) -> tuple[bytes, bool]:
    ok = "=" not in payload.rstrip("=") and len(payload) % 4 == 0
    out = []
    for piece in payload.split("="):  # padding in the middle: decode each run on its own
        clean = _B64_JUNK.sub("", piece)
        ok = ok and clean == piece
        clean = clean[: len(clean) - (len(clean) % 4 == 1)]
        out.append(binascii.a2b_base64(clean + "=" * (-len(clean) % 4)))
    return b"".join(out), ok


def _unquote(payload: str) -> tuple[bytes, bool]:
    raw, ok = _to_bytes(payload)
    ok = ok and payload.isascii() and not _QP_BAD.search(payload)
    return binascii.a2b_qp(raw, header=True), ok


def _charset_key(label: str) -> str:
    return normalise_charset(label) or label.lower()


def decode_header_value(raw: str) -> tuple[str, tuple[str, ...]]:
    """Decode an unfolded raw header value (RFC 2047 words, raw 8-bit as surrogate escapes).

    Returns the text and a tuple of problem codes (empty when the value was clean).
    """
    if raw.isascii() and "=?" not in raw and "\x1b" not in raw:  # most headers: nothing to do
        return raw, ()
    problems: set[str] = set()
    pieces: list[str | tuple[str, bytearray]] = []  # text, and runs of same-charset words
    pos = 0
    for match in _ENCODED_WORD.finditer(raw):
        gap, pos = raw[pos : match.start()], match.end()
        last = pieces[-1] if pieces else None
        if gap and not (isinstance(last, tuple) and _BLANK.fullmatch(gap)):  # RFC 2047 6.2
            pieces.append(last := gap)
        label, kind, payload = match.groups()
        data, ok = _unbase64(payload) if kind in "bB" else _unquote(payload)
        if not ok:
            problems.add("encoded_word_invalid")
        if isinstance(last, tuple) and _charset_key(last[0]) == _charset_key(label):
            last[1].extend(data)  # decoded together: mailers split a character across words
        else:
            pieces.append((label, bytearray(data)))
    pieces.append(raw[pos:])

    raw_bytes = {
        i: _to_bytes(piece)
        for i, piece in enumerate(pieces)
        if isinstance(piece, str) and (not piece.isascii() or "\x1b" in piece)
    }
    if not all(ok for _, ok in raw_bytes.values()):
        problems.add("undecodable")
    # One guess for all raw 8-bit runs: together they give detection more to go on.
    eight_bit = b" ".join(data for data, _ in raw_bytes.values() if not data.isascii())
    hint = decode_bytes(eight_bit, None, wide=False).charset if eight_bit else None
    if eight_bit:
        problems.add("raw_8bit")

    out = []
    for i, piece in enumerate(pieces):
        if isinstance(piece, tuple):
            result = decode_bytes(bytes(piece[1]), piece[0])
            if normalise_charset(piece[0]) is None:
                problems.add("charset_unknown")
            elif result.mislabelled:
                problems.add("charset_mislabelled")
        elif i in raw_bytes:
            data = raw_bytes[i][0]
            result = decode_bytes(data, None if data.isascii() else hint, wide=False)
        else:
            out.append(piece)
            continue
        if result.lossy:
            problems.add("undecodable")
        out.append(result.text)
    return "".join(out), tuple(sorted(problems, key=_PROBLEMS.index))


# Readings of raw 8-bit name bytes that are evidence rather than a guess.
_FAITHFUL = frozenset({"utf-8", "cp932", "shift_jis", "euc-jp", "euc-jis-2004", "iso-2022-jp"})


def decode_name(data: bytes, declared: str | None = None) -> str:
    """A file name from raw bytes: text when the declared charset, UTF-8 or a Japanese
    charset reads it strictly; otherwise the bytes themselves, kept as surrogate escapes so
    that the name can be written back exactly (reports print them as U+FFFD)."""
    result = decode_bytes(data, declared, wide=False)
    if data.isascii():  # plain ASCII, or 7-bit ISO-2022-JP: a reading, not a guess
        return result.text
    if not result.lossy and (result.charset in _FAITHFUL or (not result.mislabelled and declared)):
        return result.text
    return data.decode("utf-8", "surrogateescape")


