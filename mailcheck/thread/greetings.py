"""Whom a quoted message greets, and the name it is signed with.

An attribution line says who wrote a quoted message but not to whom; the message itself
often does: `Hi Mark,`, `Dear Mr. Tanaka`, `高橋様`, `田中さん、`, `김소영님,` open it and
`Thanks,` / `Alice` or `よろしくお願いいたします。` / `佐藤` close it. The names are kept as
written (titles and honorifics stripped), one person per name; `identity.normalise`
compares them later.

Each function reads one line (or the few last lines of one message) of capped length, and
no regex repeats a group that itself repeats.
"""

from __future__ import annotations

import re
import unicodedata

MAX_GREETING_CHARS = 80
MAX_NAME_CHARS = 40

_LATIN_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|liebe|lieber"
    r"|sehr geehrte|sehr geehrter|guten tag|bonjour|cher|chère|hola|estimado|estimada"
    r"|ciao|gentile|caro|cara|olá|ola|prezado|prezada|beste|hoi|geachte)"
    r"\s(?P<who>[^,:;!?]{1,60})[,:;!]?$",
    re.IGNORECASE,
)
# A name and a Japanese, Korean or Chinese honorific or title ("王经理：", "李总，您好"),
# then the end or punctuation.
_CJK_GREETING = re.compile(
    r"^(?P<who>[^\s、。，,！!]{1,16}(?: [^\s、。，,！!]{1,10})?)"
    r" ?(?:様|さま|さん|殿|くん|先生|님|女士|小姐|经理|經理|总|總|老师|老師|主任)"
    r"(?:[、。，,！!：:]|\s|$)"
)
# Titles before a Latin name ("Mr. Tanaka", "Herr Becker", "Sr. García").
_TITLES = frozenset(
    {
        "mr", "mrs", "ms", "miss", "dr", "prof", "herr", "frau", "m", "mme", "mlle",
        "monsieur", "madame", "sr", "sra", "srta", "sig", "sigra", "dhr", "mevr",
    }
)  # fmt: skip
# What a greeting names that is nobody in particular.
_NOBODY = frozenset(
    {
        "all", "everyone", "everybody", "team", "there", "folks", "guys", "both",
        "colleagues", "sir", "madam", "sirs", "zusammen", "alle", "tous", "todos", "tutti",
        "todas", "iedereen", "皆", "皆さ", "みな", "各位", "ご担当者", "担当者", "ご担当",
        "関係者", "お疲れ", "お世話", "여러분",
    }
)  # fmt: skip
_JOINERS = re.compile(r"\s(?:and|und|et|y|e|en|&)\s|[,、/]")
_CLOSINGS = (
    "thanks",
    "thank you",
    "regards",
    "best",
    "cheers",
    "sincerely",
    "yours",
    "mit freundlichen grüßen",
    "viele grüße",
    "gruß",
    "grüße",
    "cordialement",
    "bien à vous",
    "saludos",
    "atentamente",
    "cordiali saluti",
    "saluti",
    "atenciosamente",
    "abraços",
    "met vriendelijke groet",
    "groeten",
    "よろしくお願い",
    "宜しくお願い",
    "以上",
    "감사합니다",
    "谢谢",
)
_ORGANISATION_MARKS = ("株式会社", "有限会社", "会社", "御中", "部", "課", "inc", "ltd", "gmbh")


def _person(name: str) -> str:
    words = [w for w in name.replace(".", ". ").split() if w]
    while words and words[0].strip(".").lower() in _TITLES:
        words.pop(0)
    # "株式会社ノースウィンド 高橋": the organisation before the person goes.
    words = [w for w in words if not any(mark in w.lower() for mark in _ORGANISATION_MARKS)]
    person = " ".join(words).strip(" .")
    if not person or len(person) > MAX_NAME_CHARS or person.lower() in _NOBODY:
        return ""
    if any(ch.isdigit() or ch in "@<>()[]" for ch in person):
        return ""
    return person


def greeting(line: str) -> tuple[str, ...]:
    """The people a greeting line names (`Hi Mark and Laura,` gives two); () for none."""
    text = unicodedata.normalize("NFKC", line).strip()
    if not text or len(text) > MAX_GREETING_CHARS:
        return ()
    found = _LATIN_GREETING.match(text)
    if found is None:
        found = _CJK_GREETING.match(text)
        if found is None:
            return ()
        names = [found.group("who")]
    else:
        names = _JOINERS.split(found.group("who"))
    people = (_person(name) for name in names[:4])
    return tuple(dict.fromkeys(p for p in people if p))


def signature(lines: list[str]) -> str:
    """The name a message is signed with: the short line right under a closing
    (`Thanks,` / `Alice`, `よろしくお願いいたします。` / `佐藤`), among its last lines."""
    texts = [unicodedata.normalize("NFKC", t).strip() for t in lines if t.strip()][-4:]
    for index in range(len(texts) - 1):
        closing = texts[index].lower().rstrip(",.!。、 ")
        if len(closing) > 40 or not closing.startswith(_CLOSINGS):
            continue
        name = texts[index + 1]
        words = name.split()
        if 1 <= len(words) <= 3 and len(name) <= 30 and not name.endswith((":", "：", ".")):
            person = _person(name)
            if person and all(ch.isalpha() or ch in " .-'・" for ch in person):
                return person
    return ""
