"""Charset decoding: declared, mislabelled and Japanese (CP5022x) text, and RFC 2047 headers."""

from __future__ import annotations

import base64
import os
import quopri
import random
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import compat32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcheck.parse.charset import (
    DecodedText,
    decode_bytes,
    decode_header_value,
    normalise_charset,
)

# Characters cp932 has and plain ISO-2022-JP / Shift_JIS do not: NEC row 13, NEC-selected
# IBM extensions, and the Microsoft mappings of ～ − ¬.
NEC = "①②⑳㈱㍻№≒∵Ⅰ"
IBM = "ⅰⅱ髙﨑"
MS_MAPPED = "～－￢"
CP932_ONLY = NEC + IBM + MS_MAPPED
JAPANESE = "請求書を送付します。ご確認ください。"


ASCII, KANA, KANJI = b"\x1b(B", b"\x1b(I", b"\x1b$B"


def to_jis_ms(text: str, *, so_si: bool = False) -> bytes:
    """Encode like CP50220/CP50221: cp932 double-byte codes converted to JIS row and cell.

    With `so_si`, half-width katakana are shifted in with SO/SI (CP50222) from ASCII.
    """
    out, mode = bytearray(), ASCII
    for char in text:
        sjis = char.encode("cp932")
        if len(sjis) == 2:
            lead, trail = sjis
            row = (lead - (0xB0 if lead >= 0xE0 else 0x70)) * 2 - 1
            if trail >= 0x9F:
                row, cell = row + 1, trail - 0x7E
            else:
                cell = trail - 0x1F - (trail >= 0x80)
            want, payload = KANJI, bytes([row, cell])
        elif sjis[0] >= 0x80:
            want, payload = KANA, bytes([sjis[0] - 0x80])
        else:
            want, payload = ASCII, sjis
        if want != mode:
            if so_si and mode == KANA:
                out += b"\x0f"  # SI: back to ASCII
                mode = ASCII
            if so_si and want == KANA:
                out += (ASCII if mode != ASCII else b"") + b"\x0e"
            elif want != mode:
                out += want
            mode = want
        out += payload
    if so_si and mode == KANA:
        out += b"\x0f"
    elif mode != ASCII:
        out += ASCII
    return bytes(out)


def b_word(data: bytes, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def q_word(data: bytes, charset: str) -> str:
    return f"=?{charset}?Q?{quopri.encodestring(data, header=True).decode()}?="


def raw_header(data: bytes) -> str:
    """A header value as BytesParser keeps it: 8-bit bytes as surrogate escapes."""
    return data.decode("ascii", "surrogateescape")


# --- labels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("ISO-2022-JP", "iso-2022-jp"),
        ("csISO2022JP", "iso-2022-jp"),
        ("iso-2022-jp-ms", "iso-2022-jp"),
        ("CP50220", "iso-2022-jp"),
        ("cp50221", "iso-2022-jp"),
        ("cp50222", "iso-2022-jp"),
        ("iso-2022-jp-2", "iso-2022-jp"),
        ("Shift_JIS", "cp932"),
        ("x-sjis", "cp932"),
        ("shift-jis", "cp932"),
        ("Windows-31J", "cp932"),
        ("MS_Kanji", "cp932"),
        (' "utf-8" ', "utf-8"),
        ("UTF8", "utf-8"),
        ("us-ascii", "us-ascii"),
        ("'latin1'", "iso-8859-1"),
        ("ISO_8859-1:1987", "iso-8859-1"),
        ("windows-1252", "cp1252"),
        ("EUC-JP", "euc-jp"),
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("ks_c_5601-1987", "euc-kr"),
        ("koi8-r", "koi8-r"),
        ("x-unknown", None),
        ("foo", None),
        ("base64", None),  # a Python codec, but not a charset
        ("unicode_escape", None),
        ("", None),
        (None, None),
        ("utf-8" * 100, None),
    ],
)
def test_normalise_charset(label: str | None, expected: str | None) -> None:
    assert normalise_charset(label) == expected


# --- bodies: declared charsets that fit ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "charset"),
    [
        ("plain text\r\n", "us-ascii", "us-ascii"),
        ("Grüße, café — 日本語 ✓", "utf-8", "utf-8"),
        ("Grüße aus Köln", "iso-8859-1", "iso-8859-1"),
        ("Prix: 10 €, œuvre", "iso-8859-15", "iso-8859-15"),
        ("“quoted” – dash €", "windows-1252", "cp1252"),
        ("Привет, мир", "koi8-r", "koi8-r"),
        ("Привет, мир", "windows-1251", "cp1251"),
        ("中文邮件测试", "gb2312", "gb18030"),
        ("中文郵件測試", "big5", "big5"),
        ("한국어 메일", "euc-kr", "euc-kr"),
        ("Unicode ✓ 日本", "utf-16", "utf-16"),
        (JAPANESE, "euc-jp", "euc-jp"),
        (JAPANESE + CP932_ONLY + "ｱｲｳ", "shift_jis", "cp932"),
        (JAPANESE, "cp932", "cp932"),
    ],
)
def test_declared_charset_that_fits(text: str, label: str, charset: str) -> None:
    result = decode_bytes(text.encode("cp932" if label == "shift_jis" else label), label)
    assert result == DecodedText(text=text, charset=charset)


def test_utf8_bom_is_dropped() -> None:
    assert decode_bytes(b"\xef\xbb\xbfhello", "utf-8").text == "hello"
    assert decode_bytes("\ufeff日本".encode(), None) == DecodedText(text="日本", charset="utf-8")


def test_euc_jis_2004_extension() -> None:
    data = "𠀋と㋐".encode("euc_jis_2004")  # JIS X 0213 characters plain EUC-JP lacks
    result = decode_bytes(data, "euc-jp")
    assert (result.text, result.charset, result.mislabelled) == ("𠀋と㋐", "euc-jis-2004", False)


@pytest.mark.parametrize("label", ["x-sjis", "shift-jis", "windows-31j", "ms_kanji", "SJIS"])
def test_shift_jis_labels_decode_with_cp932(label: str) -> None:
    data = (JAPANESE + CP932_ONLY).encode("cp932") + b"\xfa\x40"  # IBM ⅰ, cp932-only bytes
    assert decode_bytes(data, label) == DecodedText(
        text=JAPANESE + CP932_ONLY + "ⅰ", charset="cp932"
    )


# --- ISO-2022-JP and the CP5022x variants --------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "iso-2022-jp",
        "ISO-2022-JP",
        "csISO2022JP",
        "iso-2022-jp-ms",
        "cp50220",
        "cp50221",
        "cp50222",
        "iso-2022-jp-2",
        None,
    ],
)
def test_iso_2022_jp_labels(label: str | None) -> None:
    data = "日本語のメールです。".encode("iso2022_jp")
    result = decode_bytes(data, label)
    assert result == DecodedText(text="日本語のメールです。", charset="iso-2022-jp")


def test_jis_uses_microsoft_mappings() -> None:
    # Python's iso2022_jp reads 0x2141/0x215D as U+301C/U+2212; Windows mailers mean ～ and －.
    data = "〜−".encode("iso2022_jp")
    assert decode_bytes(data, "iso-2022-jp").text == "～－" == "〜−".encode("cp932").decode("cp932")


def test_cp50220_nec_and_ibm_characters_in_body() -> None:
    text = f"お世話になっております。{CP932_ONLY}株式会社テスト\r\nabc ｶﾀｶﾅ\r\n"
    data = to_jis_ms(text)
    with pytest.raises(UnicodeDecodeError):
        data.decode("iso2022_jp")  # why the module has its own decoder
    result = decode_bytes(data, "ISO-2022-JP")
    assert result == DecodedText(text=text, charset="iso-2022-jp")
    assert "\x1b" not in result.text


def test_half_width_katakana_via_shift_out() -> None:
    data = to_jis_ms("ﾃｽﾄ abc ﾃｽﾄ 日本ｶﾅ", so_si=True)
    assert b"\x0e" in data and b"\x1b(I" not in data
    assert decode_bytes(data, "cp50222").text == "ﾃｽﾄ abc ﾃｽﾄ 日本ｶﾅ"


def test_jis_roman_and_line_breaks_inside_kanji_mode() -> None:
    data = b'\x1b(Jabc\x1b$B$"\r\n$$\x1b(B'  # no shift back before CRLF: tolerated
    assert decode_bytes(data, "iso-2022-jp").text == "abcあ\r\nい"


def test_jis_x_0212_falls_back_to_python_codec() -> None:
    data = "丂と鶴".encode("iso2022_jp_2")
    assert b"\x1b$(D" in data
    result = decode_bytes(data, "iso-2022-jp")
    assert (result.text, result.charset, result.mislabelled) == ("丂と鶴", "iso-2022-jp-2", False)


def test_unknown_escape_and_stray_bytes_in_kanji_mode() -> None:
    data = b'\x1b$B$"\x1bx$" $\x1b(Bok'  # unknown escape, then a space splits a pair
    result = decode_bytes(data, "iso-2022-jp")
    assert result == DecodedText(text="あ\ufffdあ\ufffdok", charset="iso-2022-jp", lossy=True)


def test_broken_escape_is_lossy_not_fatal() -> None:
    data = "日本".encode("iso2022_jp") + b"\x1b$Zxx\x1b(B ok"
    result = decode_bytes(data, "iso-2022-jp")
    assert result.text.startswith("日本") and result.text.endswith(" ok")
    assert result.lossy and "\x1b" not in result.text


# --- mislabelled and undeclared ------------------------------------------------------------


@pytest.mark.parametrize("label", ["iso-8859-1", "us-ascii", "utf-8", "iso-2022-jp", "foo"])
def test_shift_jis_mislabelled(label: str) -> None:
    data = (JAPANESE + "①㈱").encode("cp932")
    assert decode_bytes(data, label) == DecodedText(
        text=JAPANESE + "①㈱", charset="cp932", mislabelled=True
    )


def test_euc_jp_mislabelled_as_shift_jis() -> None:
    result = decode_bytes(JAPANESE.encode("euc_jp"), "shift_jis")
    assert result == DecodedText(text=JAPANESE, charset="euc-jp", mislabelled=True)


def test_utf8_mislabelled_as_latin1() -> None:
    result = decode_bytes("Grüße 日本".encode(), "iso-8859-1")
    assert result == DecodedText(text="Grüße 日本", charset="utf-8", mislabelled=True)


def test_iso_2022_jp_labelled_ascii() -> None:
    result = decode_bytes(to_jis_ms("①テスト"), "us-ascii")
    assert result == DecodedText(text="①テスト", charset="iso-2022-jp", mislabelled=True)


@pytest.mark.parametrize(
    ("data", "text", "charset"),
    [
        (b"just ascii", "just ascii", "us-ascii"),
        ("日本語".encode(), "日本語", "utf-8"),
        (JAPANESE.encode("cp932"), JAPANESE, "cp932"),
        (JAPANESE.encode("euc_jp"), JAPANESE, "euc-jp"),
        ("請求書".encode("cp932"), "請求書", "cp932"),  # kanji only, not valid cp1252
        ("ﾃｽﾄです".encode("cp932"), "ﾃｽﾄです", "cp932"),
        ("“café” – naïve".encode("cp1252"), "“café” – naïve", "cp1252"),
        (b"\x81\xe9t\xe9", "\x81été", "iso-8859-1"),
    ],
)
@pytest.mark.parametrize("label", [None, "", "x-unknown"])
def test_detection(data: bytes, text: str, charset: str, label: str | None) -> None:
    result = decode_bytes(data, label)
    assert result == DecodedText(text=text, charset=charset, mislabelled=label == "x-unknown")


def test_declared_utf8_with_a_bad_byte_stays_utf8() -> None:
    result = decode_bytes("日本語".encode() + b"\xff" + "です".encode(), "utf-8")
    assert result == DecodedText(text="日本語\ufffdです", charset="utf-8", lossy=True)


def test_truncated_shift_jis_is_a_lossy_best_guess() -> None:
    data = (JAPANESE * 3).encode("cp932") + b"\x82"  # lead byte without its trail byte
    result = decode_bytes(data, None)
    assert result.text == JAPANESE * 3 + "\ufffd"
    assert (result.charset, result.lossy) == ("cp932", True)


# --- headers -------------------------------------------------------------------------------


def test_plain_header_is_clean() -> None:
    assert decode_header_value("Re: hello\tthere") == ("Re: hello\tthere", ())


def test_control_characters_are_kept() -> None:
    assert decode_header_value("a\x07b " + b_word(b"c\x00d", "utf-8")) == ("a\x07b c\x00d", ())


@pytest.mark.parametrize(
    "raw",
    [
        b_word("請求書".encode(), "UTF-8"),
        q_word("請求書".encode(), "utf-8"),
        b_word("請求書".encode(), "utf-8").replace("?B?", "?b?"),
        b_word("請求書".encode("iso2022_jp"), "ISO-2022-JP"),
        b_word("請求書".encode("iso2022_jp"), "ISO-2022-JP*ja"),
        b_word("請求書".encode("cp932"), "Shift_JIS"),
        b_word("請求書".encode("euc_jp"), "EUC-JP"),
    ],
)
def test_encoded_words(raw: str) -> None:
    assert decode_header_value(f"Re: {raw} (1)") == ("Re: 請求書 (1)", ())


def test_cp50220_characters_in_encoded_word() -> None:
    raw = b_word(to_jis_ms("①㈱テスト～－￢髙ｱ"), "iso-2022-jp")
    assert decode_header_value(raw) == ("①㈱テスト～－￢髙ｱ", ())


def test_whitespace_between_encoded_words_is_dropped() -> None:
    raw = f"{b_word(b'ab', 'utf-8')} \r\n\t{q_word(b'cd', 'iso-8859-1')}  x {b_word(b'e', 'x')}"
    assert decode_header_value(raw) == ("abcd  x e", ("charset_unknown",))


@pytest.mark.parametrize("charset", ["utf-8", "shift_jis", "euc-jp"])
def test_character_split_across_adjacent_words(charset: str) -> None:
    data = "日本語の件名".encode("cp932" if charset == "shift_jis" else charset)
    raw = f"{b_word(data[:3], charset)} {q_word(data[3:7], charset)}{b_word(data[7:], charset)}"
    assert decode_header_value(raw) == ("日本語の件名", ())


def test_split_character_with_differently_spelled_labels() -> None:
    data = "請求".encode("cp932")
    raw = f"{b_word(data[:1], 'Shift_JIS')} {b_word(data[1:], 'x-sjis')}"
    assert decode_header_value(raw) == ("請求", ())


def test_encoded_word_glued_to_text() -> None:
    prefix = raw_header("Re:【重要】".encode())
    value = prefix + b_word("ご請求".encode("iso2022_jp"), "iso-2022-jp") + "書"
    assert decode_header_value(value) == ("Re:【重要】ご請求書", ("raw_8bit",))
    assert decode_header_value("abc" + b_word(b"def", "us-ascii") + "ghi") == ("abcdefghi", ())


def test_missing_base64_padding_is_repaired() -> None:
    word = b_word("日本!".encode(), "utf-8")
    assert word.endswith("==?=")
    for stripped in (word.replace("==?=", "?="), word.replace("==?=", "=?=")):
        assert decode_header_value(stripped) == ("日本!", ("encoded_word_invalid",))
    assert decode_header_value(word) == ("日本!", ())


def test_invalid_base64_characters() -> None:
    raw = "=?utf-8?B?5pel!5pys?="  # "!" is not base64
    assert decode_header_value(raw) == ("日本", ("encoded_word_invalid",))
    raw = "=?utf-8?B?5pel=5pys?="  # padding in the middle: each run decoded on its own
    assert decode_header_value(raw) == ("日本", ("encoded_word_invalid",))
    raw = "=?utf-8?B?5pelx?="  # one stray sextet cannot make a byte
    assert decode_header_value(raw) == ("日", ("encoded_word_invalid",))


def test_invalid_quoted_printable() -> None:
    assert decode_header_value("=?utf-8?Q?a=ZZb_c?=") == ("a=ZZb c", ("encoded_word_invalid",))


def test_unknown_charset_is_detected() -> None:
    raw = b_word("請求書を送付します".encode("cp932"), "x-unknown")
    assert decode_header_value(raw) == ("請求書を送付します", ("charset_unknown",))


def test_mislabelled_encoded_word() -> None:
    raw = b_word("請求書を送付します".encode("cp932"), "iso-8859-1")
    assert decode_header_value(raw) == ("請求書を送付します", ("charset_mislabelled",))


@pytest.mark.parametrize("codec", ["utf-8", "cp932", "euc_jp"])
def test_raw_8bit_header(codec: str) -> None:
    message = b"Subject: Re: " + "請求書のご確認".encode(codec) + b"\r\n\r\nbody\r\n"
    parsed = BytesParser(policy=compat32).parsebytes(message)
    raw = dict(parsed.raw_items())["Subject"]
    assert "\udc80" <= max(raw) <= "\udcff"
    assert decode_header_value(raw) == ("Re: 請求書のご確認", ("raw_8bit",))


def test_raw_8bit_mixed_with_encoded_word() -> None:
    raw = raw_header("【至急】".encode("cp932")) + " " + b_word(b"Invoice", "utf-8")
    assert decode_header_value(raw) == ("【至急】 Invoice", ("raw_8bit",))


def test_raw_iso_2022_jp_escape_in_header() -> None:
    raw = "Re: " + to_jis_ms("①ご請求書").decode("ascii")
    assert decode_header_value(raw) == ("Re: ①ご請求書", ())


def test_undecodable_bytes_reported() -> None:
    text, problems = decode_header_value(b_word(b"ok\xff", "utf-8"))
    assert text == "ok\ufffd" and problems == ("undecodable",)
    text, problems = decode_header_value("bad \ud800 surrogate")
    assert "\ud800" not in text and "undecodable" in problems


# --- robustness and speed ------------------------------------------------------------------

LABELS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "utf-8",
            "iso-2022-jp",
            "cp50221",
            "shift_jis",
            "euc-jp",
            "us-ascii",
            "iso-8859-1",
            "utf-16",
            "gb2312",
            "big5",
            "base64",
            "x-unknown",
            "",
        ]
    ),
    st.text(max_size=60),
)
WORD_PARTS = st.sampled_from(
    [
        "=?",
        "?=",
        "?B?",
        "?q?",
        "utf-8",
        "iso-2022-jp",
        "*ja",
        "=",
        "_",
        "YQ",
        "=1B",
        "\x1b$B",
        "\udc82\udca0",
        " ",
        "\t",
        "\ud800",
        "あ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), label=LABELS)
def test_decode_bytes_never_raises(data: bytes, label: str | None) -> None:
    result = decode_bytes(data, label)
    assert isinstance(result.text, str) and result.charset
    if data.isascii() and not set(data) & {0x0E, 0x0F, 0x1B}:  # plain ASCII stays as it is
        assert result.text == data.decode("ascii") or normalise_charset(label) in (
            "utf-16",
            "gb18030",
            "big5",
        )


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.text(max_size=200), st.lists(WORD_PARTS, max_size=40).map("".join)))
def test_decode_header_value_never_raises(raw: str) -> None:
    text, problems = decode_header_value(raw)
    assert isinstance(text, str)
    assert set(problems) <= {
        "encoded_word_invalid",
        "charset_unknown",
        "charset_mislabelled",
        "raw_8bit",
        "undecodable",
    }


@given(st.text(alphabet=JAPANESE + CP932_ONLY + "ｱｲｳﾃｽﾄ abc\r\n", max_size=80), st.booleans())
def test_jis_round_trip(text: str, so_si: bool) -> None:
    result = decode_bytes(to_jis_ms(text, so_si=so_si), "iso-2022-jp")
    assert result == DecodedText(text=text, charset="iso-2022-jp")


@given(data=st.binary(max_size=200))
def test_surrogate_escaped_header_never_raises(data: bytes) -> None:
    text, _ = decode_header_value(raw_header(data))
    assert isinstance(text, str)


def _elapsed(func: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "raw",
    [
        " ".join([b_word("日本".encode(), "utf-8")] * 100_000),
        "x".join(b_word("日本".encode(), ("utf-8", "shift_jis")[i % 2]) for i in range(100_000)),
        "=?utf-8?B?" * 100_000,
        "=?" * 500_000,
        "=?utf-8?Q?" + "a" * 1_000_000,
        raw_header(os.urandom(1_000_000)),
    ],
    ids=["same-charset", "alternating", "unterminated", "openers", "long-word", "random-8bit"],
)
def test_pathological_header_is_fast(raw: str) -> None:
    assert _elapsed(decode_header_value, raw) < 5


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (("日本語テキスト" * 500_000).encode()[:10_000_000], "utf-8"),
        ((JAPANESE * 300_000).encode("cp932")[:10_000_000], None),
        ((JAPANESE * 300_000).encode("euc_jp")[:10_000_000], "shift_jis"),
        (to_jis_ms("①日本語のメール。" * 50_000) * 20, None),
        (random.Random(1).randbytes(10_000_000), None),
        (random.Random(2).randbytes(10_000_000), "iso-2022-jp"),
        (bytes(b & 0x7F for b in random.Random(3).randbytes(1_000_000)) * 10, "iso-2022-jp"),
        (b'\x1b$B$"\x1b(Ba\r\n' * 900_000, None),  # an escape every few bytes
    ],
    ids=[
        "utf-8",
        "cp932",
        "euc-as-sjis",
        "jis",
        "random",
        "random-jis",
        "random-7bit-jis",
        "escape-storm",
    ],
)
def test_large_body_is_fast(data: bytes, label: str | None) -> None:
    assert len(data) >= 9_000_000
    assert _elapsed(decode_bytes, data, label) < 5
