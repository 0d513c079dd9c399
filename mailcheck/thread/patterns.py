"""Recognisers for single lines of a body: separators, header fields, attribution lines.

Every function here looks at one line (or two or three joined) of capped length, and no
regex repeats a group that itself repeats: the cost per line is bounded whatever it holds.
"""

from __future__ import annotations

import re
import unicodedata

from ..records import record
from .participants import parse_one
from .types import Participant

MAX_LINE_CHARS = 400  # longer lines are body text, never a separator, field or attribution


def _japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


# --- separators --------------------------------------------------------------------------

# What a separator line says once its dashes are gone (lower case), and what it means.
_REPLY_PHRASES = frozenset(
    {
        "original message",
        "元のメッセージ",
        "オリジナル メッセージ",
        "ursprüngliche nachricht",  # German Outlook
        "message d'origine",  # French
        "mensaje original",  # Spanish
        "messaggio originale",  # Italian
        "mensagem original",  # Portuguese
        "oorspronkelijk bericht",  # Dutch
        "原始邮件",  # Chinese
        "원본 메시지",  # Korean
    }
)
_FORWARD_PHRASES = frozenset(
    {
        "forwarded message",
        "forwarded message follows",
        "forward message",
        "転送されたメッセージ",
        "転送メッセージ",
        "転送済みメッセージ",
        "message transféré",
        "weitergeleitete nachricht",
        "mensaje reenviado",
        "messaggio inoltrato",
        "mensagem encaminhada",
        "doorgestuurd bericht",
        "转发的邮件",
        "전달된 메시지",
    }
)
_FORWARD_LINES = frozenset(
    {
        "begin forwarded message:",
        "転送されたメッセージ:",
        "転送されたメッセージ：",
        "forwarded message:",
    }
)


@record(kw_only=False)
class Separator:
    forwarded: bool
    japanese: bool
    weak: bool  # a bare rule of underscores: a separator only when a header block follows


def separator(text: str) -> Separator | None:
    """`-----Original Message-----`, forward banners, Outlook's rule of underscores."""
    line = text.strip()
    if not line or len(line) > 120:
        return None
    # Every separator starts with "-" or "_" or is a banner ending in a colon: most lines
    # of a body stop here without being lowered.
    if line[0] not in "-_" and line[-1] not in ":：":
        return None
    if line[0] == "_" and len(line) >= 10 and not line.strip("_"):
        return Separator(forwarded=False, japanese=False, weak=True)
    lowered = line.lower()
    if lowered in _FORWARD_LINES:
        return Separator(forwarded=True, japanese=_japanese(lowered), weak=False)
    if not lowered.startswith("--"):
        return None
    phrase = " ".join(lowered.strip("-").split())
    japanese = _japanese(phrase)
    if phrase in _FORWARD_PHRASES or phrase.startswith("forwarded by "):  # Lotus Notes
        return Separator(forwarded=True, japanese=japanese, weak=False)
    if phrase in _REPLY_PHRASES:
        # Thunderbird's forward banner is "-------- Original Message --------" (8 dashes,
        # spaced); Outlook and Outlook Express reply with five.
        forwarded = lowered.startswith("-------- ")
        return Separator(forwarded=forwarded, japanese=japanese, weak=False)
    return None


# --- header fields -----------------------------------------------------------------------

FROM, DATE, TO, CC, SUBJECT, OTHER = "from", "date", "to", "cc", "subject", "other"


_KEYS = {"from_": FROM, "date": DATE, "to": TO, "cc": CC, "subject": SUBJECT, "other": OTHER}


def _labels(lang: str, **by_key: str) -> dict[str, tuple[str, str]]:
    """{label: (FROM…OTHER, lang)} from `key="label|label"` lists (`from_` for From)."""
    return {
        label: (_KEYS[key], lang) for key, labels in by_key.items() for label in labels.split("|")
    }


# The labels of Outlook's quoted header block (and of forwarded blocks) in the languages
# its clients write them, lower case after NFKC. A label two languages share ("de", "para",
# "cc") belongs to none: the block's other labels name its language.
_FIELDS = {
    **_labels("", from_="de", to="para", cc="cc|bcc"),
    **_labels(
        "en",
        from_="from",
        date="sent|date",
        to="to",
        subject="subject",
        other="reply-to|message-id|importance|attachments",
    ),
    **_labels(
        "ja",
        from_="差出人|送信者|送信元",
        date="送信日時|送信日|日付|日時",
        to="宛先|受信者|送信先",
        subject="件名",
        other="重要度|添付ファイル|添付",
    ),
    **_labels(
        "de",
        from_="von",
        date="gesendet|datum",
        to="an",
        cc="kopie",
        subject="betreff",
        other="wichtigkeit|anlagen",
    ),
    **_labels("fr", date="envoyé|date d'envoi", to="à", subject="objet", other="importance"),
    **_labels(
        "es", date="enviado el|enviado|fecha", subject="asunto", other="importancia|datos adjuntos"
    ),
    **_labels("it", from_="da", date="inviato|data", to="a", subject="oggetto", other="priorità"),
    **_labels("pt", date="enviada em|enviado em|data de envio", subject="assunto"),
    **_labels(
        "nl", from_="van", date="verzonden|datum", to="aan", subject="onderwerp", other="urgentie"
    ),
    **_labels(
        "zh",
        from_="发件人|寄件者|寄件人",
        date="发送时间|时间|日期|寄件日期",
        to="收件人|收件者",
        cc="抄送|副本",
        subject="主题|主旨",
    ),
    **_labels(
        "ko", from_="보낸 사람", date="보낸 날짜|날짜", to="받는 사람", cc="참조", subject="제목"
    ),
}


@record(kw_only=False)
class Field:
    key: str  # FROM, DATE, TO, CC, SUBJECT or OTHER
    value: str
    lang: str  # the label's language (en, ja, de, fr, es, it, pt, nl, zh, ko), "" if shared


def field(text: str) -> Field | None:
    """`From: …`, `*Sent:* …`, `件名：…`, `De :`, `보낸 사람:` (half- or full-width colon)."""
    head = text[:24]
    found = [at for at in (head.find(":"), head.find("：")) if at >= 0]
    colon = min(found) if found else -1
    if colon <= 0:
        return None
    label = unicodedata.normalize("NFKC", head[:colon]).strip(" *\t").lower()
    known = _FIELDS.get(label)
    if known is None:
        return None
    value = text[colon + 1 :].strip(" *\t")
    return Field(key=known[0], value=value, lang=known[1])


# --- attribution lines -------------------------------------------------------------------

# Attribution endings, matched against the last characters of a line only.
_TRAILER = re.compile(
    r"(?P<word>wrote|writes|said|a écrit|schrieb|escribió|ha scritto|escreveu|写道|님이 작성"
    r"|さんは書きました|は書きました|書きました|のメッセージ|のメール)\s?[:：]\s*$",
    re.IGNORECASE,
)
# German and Dutch put the verb before the name: "Am DATE schrieb NAME <addr>:".
_VERB_FIRST = (" schrieb ", " schreef ")
# The language of each ending, for the style ("gmail-de", "thunderbird-fr", …).
_WORD_LANG = {
    "a écrit": "fr",
    "schrieb": "de",
    "schreef": "nl",
    "escribió": "es",
    "ha scritto": "it",
    "escreveu": "pt",
    "写道": "zh",
    "님이 작성": "ko",
}
# Gmail (Japanese) ends "2022年3月1日(火) 9:00 山田太郎 <addr>:" with no word at all.
_JA_DATE_START = re.compile(r"^\d{4}\s?年\s?\d{1,2}\s?月\s?\d{1,2}\s?日")
_OPENER = re.compile(r"^(?:On|on|Le|Am|El|At|at|Il giorno|Em|Op|在)\s")
_DATE_OPENER = re.compile(r"^(?:\d{4}[/年.-]|\d{4}\s?년|\d{1,2}[/.-]\d{1,2}[/.-]\d{2})")
# The tokens a date ends with: a time, a year, a numeric date, a zone. The sender's name
# follows the last one.
_DATE_TOKEN = re.compile(
    r"(?:午前|午後|오전|오후)?\s?\d{1,2}[:時]\d{2}(?::\d{2}|分)?(?:\s*[AaPp]\.?[Mm]\b\.?)?"
    r"(?:\s?Uhr\b)?"
    r"|\b(?:19|20)\d{2}\b(?:\s?年\s?\d{1,2}\s?月\s?\d{1,2}\s?日)?"
    r"|(?:19|20)\d{2}\s?년\s?\d{1,2}\s?월\s?\d{1,2}\s?일"
    r"|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}"
    r"|\d{1,2}\s?月\s?\d{1,2}\s?日"
    r"|[+-]\d{4}\b"
    r"|\(?\b(?:GMT|UTC|JST|BST|CET|CEST|EET|EST|EDT|CST|CDT|MST|MDT|PST|PDT|IST|KST)\b"
    r"(?:[+-]\d{1,2}(?::?\d{2})?)?\)?"
    r"|[(（][月火水木金土日][曜日]{0,2}[)）]"
    r"|\([월화수목금토일]\)"
)
# Words that end up before "wrote:" without naming anyone.
_NOT_NAMES = frozenset(("i", "he", "she", "you", "we", "they", "someone", "somebody", "it"))
_ZONED = re.compile(r":\d{2}:\d{2}|[+-]\d{4}")
_SUPERCITE = re.compile(r'^>>>>>\s"(?P<nick>[^"\s]{1,16})"\s==\s(?P<who>[^\n]{1,200})\swrites:\s*$')


@record(kw_only=False)
class Attribution:
    style: str
    sender: Participant | None
    date: str
    strong: bool  # names a date or an address: not just prose that ends in "wrote:"


def opens_attribution(text: str) -> bool:
    """The first line of an attribution that a client may have wrapped over lines."""
    return bool(_OPENER.match(text) or _DATE_OPENER.match(text) or _JA_DATE_START.match(text))


def supercite(line: str) -> tuple[str, Attribution] | None:
    """Gnus/Supercite's `>>>>> "JM" == Justin Mason <jm@example.org> writes:`."""
    found = _SUPERCITE.match(line.strip()) if len(line) <= MAX_LINE_CHARS else None
    if found is None:
        return None
    sender = parse_one(found.group("who"))
    strong = sender is not None and bool(sender.addr)
    return found.group("nick"), Attribution("supercite", sender, "", strong)


def attribution(text: str) -> Attribution | None:
    """Parse `On DATE, NAME <addr> wrote:` and its Japanese and client variants."""
    end = text.rstrip()
    if not end or end[-1] not in ":：":  # every form ends with a colon: most lines stop here
        return None
    line = " ".join(text.split())
    if not line or len(line) > MAX_LINE_CHARS:
        return None
    tail = _TRAILER.search(line, max(0, len(line) - 24))
    if tail is not None:
        word = tail.group("word").lower()
        body = line[: tail.start()]
    elif _JA_DATE_START.match(line) and line[-1] in ":：" and line[:-1].rstrip().endswith(">"):
        word, body = "gmail-ja", line[:-1]
    elif line[-1] in ":：" and " wrote on " in line:  # Thunderbird: "NAME wrote on DATE:"
        who, _, date = line[:-1].partition(" wrote on ")
        sender = parse_one(who) if len(who) <= 200 else None
        return Attribution("thunderbird", sender, date.strip(), True)
    elif _OPENER.match(line) and any(verb in line for verb in _VERB_FIRST):
        return _verb_first(line)
    else:
        return None
    if word == "写道" and "于" in body:  # Gmail: "NAME <addr> 于2022年2月28日周一 17:12写道："
        who, _, date = body.rpartition("于")
        sender = parse_one(_strip_who(who)) if len(who) <= 200 else None
        return Attribution(_style(word, line, date, who, sender), sender, date.strip(), True)
    opener = _OPENER.match(body)
    if opener is not None:
        body = body[opener.end() :]
    # The date comes before the name: digits inside `<taro-2022-03-01@…>` are no date.
    region = len(body)
    if "<" in body:
        region = body.index("<")
    elif "@" in body:
        region = body.rfind(" ", 0, body.index("@")) + 1
    date_end = 0
    for token in _DATE_TOKEN.finditer(body, 0, region):
        date_end = token.end()
    date = body[:date_end].strip(" ,、")
    if date_end == 0 and body.startswith("--- In "):  # Yahoo Groups: "--- In list@y..., X"
        date_end = body.rfind(",") + 1
    who = _strip_who(body[date_end:])
    if '" == ' in who:  # Supercite after a date: `On DATE, "HF" == Harlan Feinstein wrote:`
        word, who = "supercite", who[who.index('" == ') + 5 :]
    sender = parse_one(who) if 0 < len(who) <= 200 else None
    if sender is not None and not sender.addr and sender.name.lower() in _NOT_NAMES:
        sender = None
    strong = bool(date) or (sender is not None and bool(sender.addr))
    return Attribution(_style(word, line, date, who, sender), sender, date, strong)


def _verb_first(line: str) -> Attribution | None:
    """German and Dutch: `Am DATE (um TIME) schrieb NAME <addr>:`, `Op DATE schreef NAME:`."""
    verb = next(v for v in _VERB_FIRST if v in line)
    head, _, who = line[:-1].rpartition(verb)
    opener = _OPENER.match(head)
    date = head[opener.end() :] if opener else head
    who = _strip_who(who)
    sender = parse_one(who) if 0 < len(who) <= 200 else None
    if sender is None or not _DATE_TOKEN.search(date):
        return None  # "Am Ende schrieb er etwas:" is prose
    word = verb.strip()
    return Attribution(_style(word, line, date, who, sender), sender, date.strip(" ,"), True)


def _strip_who(text: str) -> str:
    # Gmail in Spanish: "NAME (<addr>)".
    who = text.replace("(<", "<").replace(">)", ">").strip(" ,、")
    for lead in ("at ", "に ", "に", "の "):
        if who.startswith(lead):
            who = who[len(lead) :].lstrip(" ,、")
    for trail in ("さんは", "さん", "は"):
        if who.endswith(trail):
            who = who[: -len(trail)].rstrip()
            break
    # "Once upon a time, Chris", "In detail, he", "September 2, joe@example.org": a phrase
    # before the name. One word before a comma is a surname instead ("Smith, John").
    before, comma, after = who.rpartition(", ")
    if comma and after and "<" not in before and len(before.split()) >= 2:
        who = after
    return who


def _style(word: str, line: str, date: str, who: str, sender: Participant | None) -> str:
    if word in ("gmail-ja", "supercite"):
        return word
    lang = _WORD_LANG.get(word)
    if lang is not None:
        shown = sender is not None and bool(sender.addr) and "<" in who
        return ("gmail-" if shown else "thunderbird-") + lang
    if word == "のメール":
        return "apple-ja"
    if _japanese(word):
        return "thunderbird-ja"
    if ", at " in line:
        return "apple"
    # Gmail: "On Tue, Mar 1, 2022 at 9:00 AM Name <addr> wrote:", never seconds or a zone
    # (mutt writes "at 07:27:52AM -0700, Name wrote:", Evolution a bare address).
    gmail_like = " at " in date and "<" in who and not _ZONED.search(date)
    if gmail_like and sender is not None and sender.addr:
        return "gmail"
    return "thunderbird"
