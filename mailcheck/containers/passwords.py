"""Password candidates for encrypted archives, harvested from the subject and body.

Emotet and Japanese PPAP mail put the password right next to a keyword: "パスワード：Ab12",
"Password: sa", "解凍パスワードは「xy#9」です", "pwd=xyz", or alone on the line after
"パスワード"; other languages write "Kennwort:", "mot de passe :", "contraseña:",
"senha:", "wachtwoord:", "密码：", "비밀번호:", and short forms "PW:", "PIN:",
"Archive code:". An HTML body is read as a mail client shows it: tags gone, `<br>` and
blocks as line breaks, entities decoded, a picture's `alt` and `title` text kept.

Only text anchored to such a keyword becomes a candidate, so ordinary words of a message
are never tried. Keywords and separators are matched on the NFKC form of a line (full-width
"ＰＷ：" is "PW:"), and a password typed in full-width characters is kept both normalised
("AB12") and as written ("ＡＢ１２"), because archivers hash whatever was typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser

# Candidates harvested per message: the tries are bounded separately (max_password_tries),
# and candidates left untried are reported as a limit, never dropped in silence.
MAX_CANDIDATES = 200
_MAX_TEXT = 200_000  # characters read per text: the password sits near the top of a message
_MAX_LEN = 64
_MAX_HITS_PER_LINE = 4

_KEYWORD = re.compile(
    r"パスワード|暗証番号|解凍キー|解凍コード|密码|密碼|口令|비밀번호|암호"
    r"|(?<![ァ-ヴー])パス(?=\s*(?:[:=]|は))"  # "パス：" but not コンパス or パスポート
    r"|(?<![A-Za-z])(?:pass\s?word|passwd|passcode|pwd|pw|pass"
    r"|(?:datei|zip|archiv)?(?:passwort|kennwort)|mot\s+de\s+passe|contrase[ñn]a|senha"
    r"|wachtwoord|parola\s+d'ordine|(?:archive|zip|file|unzip|access)\s+code|pin)(?![A-Za-z])",
    re.IGNORECASE,
)
# Keywords that are words of prose too ("pin", "pass"): a value counts only after ":" or "=".
_COLON_ONLY = frozenset({"pass", "pin"})
# Remarks between the keyword and the value: "(半角英数字)", "【ZIP】", "for the attached file".
_REMARK = re.compile(r"\s*(?:\([^()]{0,30}\)|【[^】]{0,30}】|\[[^\]]{0,30}\])")
_PHRASE = re.compile(r"\s+(?:for|to|of)\s+[^:=\n]{1,40}?(?=\s*(?:[:=]|\bis\b))", re.IGNORECASE)
_STRONG = re.compile(
    r"\s*(?:[:=]|は[、,]?|\bis\s*:?|\s-{1,2}|-{1,2}\s|→|⇒|=>|】|\]|>)\s*", re.IGNORECASE
)
_ANNOUNCE = re.compile(r"^(?:以下|下記|次|below|as follows|the following|following)", re.I)
_QUOTES = {"「": "」", "『": "』", "【": "】", '"': '"', "'": "'", "“": "”", "‘": "’", "<": ">"}
_ASCII_RUN = re.compile(r"[!-~]+")
_WIDE_RUN = re.compile(r"[!-~\uff01-\uff5e]+")  # ASCII and its full-width forms, 1:1 in NFKC
_COLON = re.compile(r"\s*[:=]")
_QUOTE_MARKS = re.compile(r"^\s*(?:>\s*)+")
_TRAILING = ".,;:"
_PASSWORD_SYMBOLS = frozenset("#$%&*+!@?^~=_")
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<", '"': '"', "'": "'"}
# Words that follow "password" in prose ("password is sent separately", "password reset").
_STOPWORD_TEXT = """
    a an the is are was were be been being will would shall should can could may might must
    has have had not no yes and or but to of in on at for from by with as if it its this that
    these those here there below above following follows attached enclosed separately separate
    sent send sending later soon next same again please pls your you my our we they their
    required protected reset change changed expired expire expires expiring policy manager
    field hint none null n/a unknown mail email e-mail message file files zip document link
    click entered enter incorrect wrong invalid forgot forgotten"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _unquote(line: str) -> str:
    """A line without the '>' markers of quoted replies."""
    return _QUOTE_MARKS.sub("", line)


def _token(rest: str) -> tuple[str, ...]:
    """The value at the start of `rest` (NFKC), and a variant keeping a trailing '.' or ','."""
    if rest[:1] in _QUOTES:
        end = rest.find(_QUOTES[rest[0]], 1)
        if 1 < end <= _MAX_LEN + 1:
            return (rest[1:end].strip(),)
        return ()
    match = _ASCII_RUN.match(rest)
    if not match or match.group()[0] in "([{":  # a remark such as "(same as before)"
        return ()
    whole = match.group()
    cut = len(whole)
    for at, char in enumerate(whole):  # "abc123(半角)": an opening bracket ends the value
        if char in "([{" and not any(c in _CLOSERS for c in whole[at:]):
            cut = at
            break
    value = whole[:cut]
    dots = ""  # trailing punctuation that may belong to the password ("Abc123.")
    while value:
        last = value[-1]
        if last in _TRAILING:
            dots = last + dots
        elif last in _CLOSERS and value.count(_CLOSERS[last]) < value.count(last):
            dots = ""  # "(... crackers)." is prose, not a password ending in ")."
        else:
            break
        value = value[:-1]
    return (value, value + dots) if dots else (value,)


def _plausible(value: str, *, weak: bool) -> bool:
    if not 2 <= len(value) <= _MAX_LEN or not any(c.isalnum() for c in value):
        return False
    low = value.lower()
    if low.rstrip(_TRAILING) in _STOPWORDS or "://" in low or low.startswith("www."):
        return False
    if not weak:
        return True
    # Only a space after the keyword ("password protected"): it must look like a password.
    if any(c.isspace() for c in value):
        return False
    mixed_case = value != low and value != value.upper() and len(value) >= 4
    return mixed_case or any(c.isdigit() or c in _PASSWORD_SYMBOLS for c in value)


def _values(tail: str) -> tuple[list[str], int, bool]:
    """Values right after a keyword: (values, tier, whether it announces the next line).

    Tiers order candidates: 0 quoted, 1 after a separator, 2 on the next line, 3 after a space.
    """
    if not tail.strip():
        return [], 2, True
    rest = tail
    while remark := _REMARK.match(rest):
        rest = rest[remark.end() :]
    if phrase := _PHRASE.match(rest):
        rest = rest[phrase.end() :]
    if sep := _STRONG.match(rest):
        rest = rest[sep.end() :]
    elif rest[:1].isspace():
        rest = rest.lstrip()
    elif rest[:1] not in _QUOTES:
        return [], 3, False
    if not rest.strip():
        return [], 2, bool(sep)
    tier = 0 if rest[:1] in _QUOTES else 1 if sep else 3
    values = [v for v in _token(rest) if _plausible(v, weak=tier == 3)]
    return values, tier, bool(sep) and bool(_ANNOUNCE.match(rest.strip()))


def _next_value(lines: list[str], index: int) -> list[str]:
    """The password standing alone on the first non-empty one of the next three lines."""
    for line in lines[index + 1 : index + 4]:
        text = _nfkc(_unquote(line)).strip()
        if not text:
            continue
        if text[:1] in _QUOTES:
            return [v for v in _token(text) if _plausible(v, weak=False)]
        if " " in text or not _ASCII_RUN.fullmatch(text):
            return []
        return [v for v in _token(text) if _plausible(v, weak=True)]
    return []


def _raw_form(raw_line: str, value: str) -> str:
    """`value` as written in `raw_line`, if it was typed in full-width characters."""
    for match in _WIDE_RUN.finditer(raw_line):
        run = match.group()
        at = _nfkc(run).find(value)
        if at >= 0:
            return run[at : at + len(value)]
    return value


# Words that say a line is about the attached file (besides the file's own name).
_MENTION = re.compile(r"zip|7z|rar|添付|解凍|展開|圧縮|attach|archive|unzip|extract|file", re.I)
_FAR = 10_000


def _mention_lines(lines: list[str], names: Sequence[str]) -> list[int]:
    wanted = [n.lower() for n in names if len(n) >= 3]
    return [
        number
        for number, line in enumerate(lines)
        if _MENTION.search(line) or any(name in line.lower() for name in wanted)
    ]


def _distance(number: int, mentions: list[int]) -> int:
    return min((abs(number - m) for m in mentions), default=_FAR)


Key = tuple[int, int, int, int, int]


def _scan(text: str, order: int, names: Sequence[str]) -> Iterator[tuple[Key, str]]:
    """(sort key, candidate) for one text; the key is (tier, distance to the nearest line
    about the attachment, text, line, variant)."""
    lines = text[:_MAX_TEXT].splitlines()
    mentions = _mention_lines(lines, names)
    for number, raw in enumerate(lines):
        line = _nfkc(_unquote(raw))
        for hits, keyword in enumerate(_KEYWORD.finditer(line)):
            if hits >= _MAX_HITS_PER_LINE:
                break
            tail = line[keyword.end() :]
            if keyword.group().lower() in _COLON_ONLY and not _COLON.match(tail):
                continue  # without "pass:" or "pin=", "pass" is the English verb
            values, tier, announces = _values(tail)
            source = raw
            if not values and announces:
                values, tier = _next_value(lines, number), 2
                source = next((ln for ln in lines[number + 1 : number + 4] if ln.strip()), "")
            near = _distance(number, mentions)
            for variant, value in enumerate(values):
                yield (tier, near, order, number, 2 * variant), value
                wide = _raw_form(source, value)
                if wide != value:
                    yield (tier, near, order, number, 2 * variant + 1), wide


def candidates(subject: str, texts: Sequence[str], names: Sequence[str] = ()) -> tuple[str, ...]:
    """Distinct password candidates, most likely first, at most MAX_CANDIDATES.

    `names` are the attachments' file names: a password next to a line about the attached
    file ("invoice.zip のパスワード", "the zip password") is tried before others, so decoy
    lines elsewhere in the body cannot push it past the bound on tries.
    """
    found: list[tuple[Key, str]] = []
    stressed: list[str] = []
    for order, text in enumerate([subject, *texts]):
        if not text:
            continue
        if _HTML.search(text):
            text, emphasised = _read(text)
            stressed.append(emphasised)
        found.extend(_scan(text, order, names))
    # A value a reader sees in bold or colour is the one the sender pointed at.
    marked = " ".join(stressed)
    found.sort(key=lambda item: (not (marked and item[1] in marked), item[0]))
    return tuple(dict.fromkeys(value for _key, value in found))[:MAX_CANDIDATES]


# "The password follows in another mail": PPAP's promise, in the languages read above.
_ELSEWHERE = re.compile(
    r"別途|後ほど|のちほど|追って|別メール|別送|次のメール|改めて|另行|单独|稍后|별도|따로|추후"
    r"|separate(?:ly)?|(?:another|next|following|second)\s+(?:e-?mail|mail|message)"
    r"|(?:send|sent|follow|come|comes|coming)\s+(?:later|shortly|soon)"
    r"|separat|gesondert|(?:folgt|kommt)\s+(?:separat|gleich|später|in\s+einer)"
    r"|s[ée]par[ée]ment|suivra|dans\s+un\s+(?:autre|prochain)\s+(?:e-?mail|mail|courriel|message)"
    r"|por\s+separado|en\s+otro\s+correo|em\s+outro\s+e-?mail|separadamente"
    r"|apart\s+verstuurd|afzonderlijk|a\s+parte|separatamente",
    re.IGNORECASE,
)


_SENTENCE_END = (".", "。", "!", "！", "?", "？")


def promised_elsewhere(texts: Sequence[str]) -> str:
    """The line saying an archive's password comes in another mail ("パスワードは別途お送り
    します", "the password follows in a separate mail"), or ""."""
    for text in texts:
        shown = readable(text) if _HTML.search(text) else text
        lines = shown[:_MAX_TEXT].splitlines()
        for number, raw in enumerate(lines):
            line = _nfkc(_unquote(raw))
            if not _KEYWORD.search(line):
                continue
            if not line.rstrip().endswith(_SENTENCE_END):  # the sentence goes on below
                line = " ".join(
                    [line, *(_nfkc(_unquote(x)) for x in lines[number + 1 : number + 2])]
                )
            if _ELSEWHERE.search(line):
                return raw.strip()[:200]
    return ""


_HTML = re.compile(r"<(?:html|body|br|p|div|td|span|img|font|table)\b", re.IGNORECASE)
_BLOCKS = frozenset(
    {"br", "p", "div", "tr", "td", "th", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"table", "blockquote", "pre", "hr", "dd", "dt"}
)
_HIDDEN = frozenset({"script", "style", "head", "title"})
_BLANK_LINES = re.compile(r"\n[ \t\r\xa0]*(?:\n[ \t\r\xa0]*)+")


# Markup a reader never sees (decoy passwords hidden in the body), and markup that draws
# the eye (the real one in bold or red): the first is dropped, the second tried first.
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all"
    r"|(?<![-\w])font-size\s*:\s*0(?:\.0*)?(?:px|pt|em|%)?\s*(?:;|$)"
    r"|(?<![-\w])(?:max-)?height\s*:\s*0(?:px)?\s*;[^\"]*overflow\s*:\s*hidden",
    re.IGNORECASE,
)
# White text is hidden on the white page, unless the element paints a background of its own.
_WHITE = re.compile(r"(?<![-\w])color\s*:\s*(?:#fff(?:fff)?|white|transparent)\b", re.I)
_BACKGROUND = re.compile(r"background", re.IGNORECASE)
_EMPHASIS_TAGS = frozenset({"b", "strong", "mark", "u", "font", "code", "kbd", "tt"})
_EMPHASIS_STYLE = re.compile(
    r"font-weight\s*:\s*(?:bold|[6-9]00)|(?<![-\w])color\s*:|background(?:-color)?\s*:"
    r"|font-size\s*:\s*(?:1[4-9]|[2-9]\d)(?:px|pt)|text-decoration\s*:\s*underline",
    re.IGNORECASE,
)
_VOID = frozenset({"br", "img", "hr", "meta", "input", "wbr", "link", "area", "col", "source"})


def _hidden(style: str) -> bool:
    if _HIDDEN_STYLE.search(style):
        return True
    return bool(_WHITE.search(style)) and not _BACKGROUND.search(style)


class _Readable(HTMLParser):
    """The text of an HTML body as a mail client shows it, line breaks where blocks end;
    what is hidden by style left out, what is emphasised collected on the side."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.hidden = 0
        # Open elements inside a hidden (or emphasised) region, to find where it ends.
        self.concealed: list[str] = []
        self.stressed: list[str] = []
        self.emphasised: list[str] = []

    def _add(self, text: str) -> None:
        if self.size < _MAX_TEXT:
            self.parts.append(text)
            self.size += len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        style = " ".join(v for k, v in attrs if k == "style" and v)
        if tag not in _VOID:
            if self.concealed or _hidden(style) or any(k == "hidden" for k, _ in attrs):
                self.concealed.append(tag)
            if self.stressed or tag in _EMPHASIS_TAGS or _EMPHASIS_STYLE.search(style):
                self.stressed.append(tag)
        if self.concealed:
            return
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self._add("\n")
        elif tag == "img":  # a password shown as a picture is often spelt out in its alt
            shown = " ".join(v for k, v in attrs if k in ("alt", "title") and v)
            if shown:
                self._add(f"\n{shown}\n")

    def handle_endtag(self, tag: str) -> None:
        for stack in (self.concealed, self.stressed):
            if tag in stack:  # close up to the element that ends here (unclosed ones too)
                while stack.pop() != tag:
                    pass
        if self.concealed:
            return
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self._add("\n")

    def handle_data(self, data: str) -> None:
        if self.hidden or self.concealed:
            return
        self._add(data)
        if self.stressed and len(self.emphasised) < MAX_CANDIDATES:
            self.emphasised.append(data)


# A "<" that does not open a complete tag within reach: the stdlib parser rescans from each
# unclosed "<" to the end, so hostile markup ("<a<a<a...") would cost the square of its size.
_NOT_A_TAG = re.compile(r"<(?![a-zA-Z/!?][^<>]{0,2000}>)")


def readable(markup: str) -> str:
    """`markup` (an HTML body) as text a reader sees, bounded."""
    return _read(markup)[0]


def _read(markup: str) -> tuple[str, str]:
    """(the text a reader sees, the part of it set in bold, colour or the like)."""
    parser = _Readable()
    try:
        parser.feed(_NOT_A_TAG.sub("&lt;", markup[: _MAX_TEXT * 4]))
        parser.close()
    except Exception:  # malformed beyond what the parser forgives: what was read stays
        pass
    # Blocks nest (a cell in a row in a table): one line break between them, as shown.
    return _BLANK_LINES.sub("\n", "".join(parser.parts)), _nfkc(" ".join(parser.emphasised))
