"""Names and addresses out of one quoted header value ("From:", "宛先:", an attribution).

Quoted headers are written for people, not parsers: Outlook quotes `Name [mailto:addr]`,
bare names inside one organisation, `;` between recipients and unquoted `Last, First`;
Gmail and Thunderbird write `Name <addr>, Name <addr>`. Nothing here uses a regex, and a
value is scanned a fixed number of times: hostile input costs time linear in its (capped)
length.
"""

from __future__ import annotations

from .types import Participant

MAX_VALUE_CHARS = 4_000  # a header value longer than this is not a real quoted header
MAX_PEOPLE = 100  # per value
MAX_NAME_CHARS = 120

_WIDE = str.maketrans({"＜": "<", "＞": ">", "［": "[", "］": "]", "\u3000": " ", "\xa0": " "})
_QUOTES = "\"'`“”‘’「」『』 \t"
_LOCAL_SPECIALS = frozenset(".!#$%&'*+/=?^_`{|}~-")
_OPENERS = {'"': '"', "<": ">", "[": "]", "(": ")"}


def is_address(text: str) -> bool:
    """A plausible `local@domain.tld`; truncated list-archive forms such as `joe@b...` fail."""
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or len(local) > 64 or len(domain) > 253:
        return False
    if not all(ch.isalnum() or ch in _LOCAL_SPECIALS for ch in local):
        return False
    labels = domain.split(".")
    if len(labels) < 2:
        return False
    return all(
        0 < len(label) <= 63 and all(ch.isalnum() or ch == "-" for ch in label) for label in labels
    )


def _clean_name(text: str) -> str:
    name = " ".join(text.strip(_QUOTES).split())
    return name.strip(_QUOTES)[:MAX_NAME_CHARS]


def _clean_addr(text: str) -> str:
    addr = text.strip(_QUOTES + "<>")
    if addr.lower().startswith("mailto:"):
        addr = addr[7:]
    addr = "".join(addr.split())  # a wrapped "<\naddr>" joins back together
    return addr.lower() if is_address(addr) else ""


def _between(text: str, opener: str, closer: str) -> tuple[str, str, str] | None:
    """(before, inside, after) of the last `opener ... closer` pair, or None."""
    start = text.rfind(opener)
    if start < 0:
        return None
    end = text.find(closer, start + 1)
    if end < 0:
        return None
    return text[:start], text[start + 1 : end], text[end + 1 :]


def parse_one(item: str) -> Participant | None:
    """One `Name <addr>`, `Name [mailto:addr]`, `addr (Name)`, bare address or bare name."""
    text = item.translate(_WIDE).strip()
    if not text:
        return None
    name, addr = text, ""
    angle = _between(text, "<", ">")
    if angle is not None:
        # "<joe@b...>" from a list archive is an address too damaged to keep; the name stays.
        name, addr = angle[0], _clean_addr(angle[1])
    else:
        square = _between(text, "[", "]")
        if square is not None and _clean_addr(square[1]):
            name, addr = square[0], _clean_addr(square[1])
    if not addr and angle is None:
        found = _between(text, "(", ")")
        if found is not None and _clean_addr(found[0]):
            name, addr = found[1], _clean_addr(found[0])  # old style: addr (Name)
        elif found is not None and _clean_addr(found[1]):
            name, addr = found[0], _clean_addr(found[1])  # Entourage: Name (addr)
        elif _clean_addr(text):
            name, addr = "", _clean_addr(text)
    name = _clean_name(name)
    if not any(ch.isalnum() for ch in name):
        name = ""  # punctuation left over from a damaged list: nobody
    if name.lower().removeprefix("mailto:") == addr:
        name = ""  # Outlook's "addr [mailto:addr]" names nobody
    if not name and not addr:
        return None
    return Participant(name=name, addr=addr)


def _split_outside(text: str, separators: str) -> list[str]:
    """Split on `separators` outside quotes and brackets, in one pass."""
    pieces: list[str] = []
    start = 0
    closer = ""
    for index, ch in enumerate(text):
        if closer:
            if ch == closer:
                closer = ""
        elif ch in _OPENERS:
            closer = _OPENERS[ch]
        elif ch in separators:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return pieces


def _has_address(piece: str) -> bool:
    found = parse_one(piece)
    return found is not None and bool(found.addr)


def parse_people(value: str) -> tuple[Participant, ...]:
    """Every participant of a To/Cc/From value, deduplicated, in order of appearance.

    Outlook separates recipients with `;`, so a value holding one is split there only and
    `Yamada, Taro` stays one name. Without `;`, a comma ends a recipient only once an
    address has been seen: `Smith, John <js@x>` is one person, `A <a@x>, B <b@x>` two,
    and a comma list of bare names is kept as one name rather than guessed apart.
    """
    text = value.translate(_WIDE)[:MAX_VALUE_CHARS]
    if any(sep in text for sep in ";；"):
        items = _split_outside(text, ";；")
    else:
        items = []
        pending: list[str] = []
        for piece in _split_outside(text, ",、"):
            pending.append(piece)
            if _has_address(piece):
                items.append(",".join(pending))
                pending = []
        if pending:
            items.append(",".join(pending))
    seen: dict[tuple[str, str], Participant] = {}
    for item in items[: MAX_PEOPLE * 2]:
        person = parse_one(item)
        if person is not None:
            seen.setdefault((person.name, person.addr), person)
        if len(seen) >= MAX_PEOPLE:
            break
    return tuple(seen.values())


def parse_sender(value: str) -> tuple[Participant | None, Participant | None]:
    """(sender, delegate) of a quoted From value, reading the on-behalf-of forms.

    `A on behalf of B`, Outlook 2002's `A [mailto:a]On Behalf Of B` and Japanese Outlook's
    `A が B の代理で送信` all mean the mailbox B (the message's From) sent through A (its
    Sender): B is the sender, A the delegate.
    """
    text = value.strip()
    if text.endswith("の代理で送信"):
        body = text[: -len("の代理で送信")]
        for marker in (" が ", "　が　", "が"):
            cut = body.find(marker)
            if cut > 0:
                return _first(body[cut + len(marker) :]), _first(body[:cut])
    lowered = text.lower()
    cut = lowered.find("on behalf of")
    if cut > 0:
        return _first(text[cut + len("on behalf of") :]), _first(text[:cut])
    return _first(text), None


def _first(value: str) -> Participant | None:
    people = parse_people(value)
    return people[0] if people else None
