"""Authentication results as the receiving servers recorded them (no DNS lookups here).

Reads `Authentication-Results` (RFC 8601) and `Received-SPF` (RFC 7208 section 9.1), and
the ARC chain (RFC 8617) a forwarder left. All of it is attacker-reachable text: a sender can
add its own, and Emotet sent from real hijacked mailboxes whose SPF/DKIM/DMARC pass for the
attacker's domain. So the results are shown to explain a message, and a pass never counts in
its favour; a trusted forwarder's recorded pass only explains away a failure its forward
caused.

Every input is bounded (fields read, characters per field, results kept) and malformed
text yields fewer results, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..model import AuthResult
from ..text import raw_text
from .types import Header

MAX_FIELDS = 20  # Authentication-Results / Received-SPF fields read, nearest server first
MAX_FIELD_CHARS = 4096  # of one field; real ones are a few hundred
MAX_RESULTS = 32  # kept per message
MAX_TEXT = 200  # characters kept of an authserv-id or a detail
MAX_SHOWN = 12  # results in the one-line summary

_FIELDS = ("authentication-results", "received-spf")
_KEYWORD = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# key=value, the value a quoted string or a run without blanks (RFC 8601 `pvalue`).
_PAIR = re.compile(r'([^\s="]+)[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"?|[^\s"]*)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9.-]{0,252})\s*:")
# The property naming the identity that was checked, most telling first.
_DETAIL_ORDER = ("smtp.mailfrom", "header.from", "header.d", "header.i", "smtp.helo")


def _split(value: str) -> tuple[list[str], list[str]]:
    """Segments between ';' outside quotes and comments; the comments' text separately."""
    segments: list[str] = []
    comments: list[str] = []
    current: list[str] = []
    comment: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in value:
        if escaped:
            (comment if depth else current).append(char)
            escaped = False
        elif char == "\\" and (quoted or depth):
            escaped = True
            (comment if depth else current).append(char)
        elif depth:
            depth += 1 if char == "(" else -1 if char == ")" else 0
            if depth:
                comment.append(char)
            else:
                comments.append("".join(comment))
                comment = []
                current.append(" ")
        elif quoted:
            quoted = char != '"'
            current.append(char)
        elif char == "(":
            depth = 1
        elif char == ";":
            segments.append("".join(current))
            current = []
        else:
            quoted = char == '"'
            current.append(char)
    segments.append("".join(current))
    if depth:
        comments.append("".join(comment))  # unterminated: keep what there is
    return segments, comments


def _clean(text: str) -> str:
    return _CONTROL.sub("", raw_text(text)).strip()[:MAX_TEXT]


def _unquote(value: str) -> str:
    if value.startswith('"'):
        value = re.sub(r"\\(.)", r"\1", value[1:].removesuffix('"'))
    return _clean(value)


def _pairs(segment: str) -> list[tuple[str, str]]:
    return [(key.lower(), _unquote(value)) for key, value in _PAIR.findall(segment)]


def _detail(props: Sequence[tuple[str, str]]) -> str:
    found = dict(reversed(props))  # the first occurrence of a key wins
    for key in _DETAIL_ORDER:
        if found.get(key):
            return f"{key}={found[key]}"
    return next((f"{key}={value}" for key, value in props if value), "")


def _resinfo(segment: str, authserv_id: str) -> AuthResult | None:
    """`method[/version]=result [reason=...] [ptype.property=value ...]`, or None."""
    match = _PAIR.match(segment.strip())
    if match is None:
        return None
    method = match.group(1).lower().partition("/")[0]
    result = _unquote(match.group(2)).lower()
    if not (_KEYWORD.fullmatch(method) and _KEYWORD.fullmatch(result)):
        return None
    props = [(k, v) for k, v in _pairs(segment.strip()[match.end() :]) if "." in k]
    return AuthResult(method=method, result=result, detail=_detail(props), authserv_id=authserv_id)


def parse_authentication_results(value: str) -> list[AuthResult]:
    """One `Authentication-Results` value: `authserv-id [version]; resinfo; ...`."""
    return _parse_field(value)[1]


def _parse_field(value: str) -> tuple[str, list[AuthResult]]:
    """The authserv-id ("" when the server wrote none) and the results of one field."""
    segments, _ = _split(value[:MAX_FIELD_CHARS])
    head = segments[0].strip()
    authserv_id = ""
    if _resinfo(head, "") is None:  # some servers omit the id and start with a result
        authserv_id = _unquote(head.split()[0]) if head else ""
        segments = segments[1:]
    results = (_resinfo(segment, authserv_id) for segment in segments)
    return authserv_id, [result for result in results if result is not None]


def parse_received_spf(value: str) -> AuthResult | None:
    """One `Received-SPF` value: `result (comment) key=value; key=value; ...`."""
    segments, comments = _split(value[:MAX_FIELD_CHARS])
    words = segments[0].split(None, 1)
    result = words[0].lower() if words else ""
    if not _KEYWORD.fullmatch(result):
        return None
    pairs = dict(reversed([pair for segment in segments for pair in _pairs(segment)]))
    receiver = pairs.get("receiver", "")
    if not receiver and comments:
        # "(mx.example: domain of ... designates ...)" names the checking host.
        host = _HOST.match(comments[0])
        receiver = host.group(1) if host else ""
    if pairs.get("identity", "").lower() == "helo" or not pairs.get("envelope-from"):
        detail = f"smtp.helo={pairs['helo']}" if pairs.get("helo") else ""
    else:
        detail = f"smtp.mailfrom={pairs['envelope-from']}"
    return AuthResult(method="spf", result=result, detail=detail, authserv_id=_clean(receiver))


def parse_auth(headers: Iterable[Header]) -> tuple[AuthResult, ...]:
    """Every result recorded in the message's headers, top (nearest server) first."""
    out: list[AuthResult] = []
    fields = 0
    for header in headers:
        name = header.name.lower()
        if name not in _FIELDS:
            continue
        fields += 1
        if fields > MAX_FIELDS:
            break
        if name == "received-spf":
            spf = parse_received_spf(header.raw)
            out.extend([spf] if spf is not None else [])
        else:
            out.extend(parse_authentication_results(header.raw))
        if len(out) >= MAX_RESULTS:
            break
    return tuple(out[:MAX_RESULTS])


def receiving_results(
    headers: Iterable[Header], authserv_ids: Sequence[str] = ()
) -> tuple[AuthResult, ...]:
    """The results of the receiving server: the first `Authentication-Results` written by
    one of `authserv_ids` (equal, or a host under one: mx1.corp.example for corp.example),
    or the topmost one when none is configured. Headers further down were written before
    the mail reached us (an attacker can write them); empty when there is no such header."""
    wanted = tuple(a.lower().rstrip(".") for a in authserv_ids)
    fields = 0
    for header in headers:
        if header.name.lower() != "authentication-results":
            continue
        fields += 1
        if fields > MAX_FIELDS:
            break
        server, results = _parse_field(header.raw)
        if not wanted:
            return tuple(results[:MAX_RESULTS])
        server = server.lower().rstrip(".")
        if server and any(server == w or server.endswith("." + w) for w in wanted):
            return tuple(results[:MAX_RESULTS])
    return ()


def summary(results: Sequence[AuthResult]) -> str:
    """One line, grouped by checking server: 'spf=pass dkim=fail dmarc=none (mx.corp.example)'."""
    groups: dict[str, list[str]] = {}
    for result in results[:MAX_SHOWN]:
        shown = groups.setdefault(result.authserv_id, [])
        word = f"{result.method}={result.result}"
        if word not in shown:
            shown.append(word)
    text = "; ".join(
        " ".join(words) + (f" ({server})" if server else "") for server, words in groups.items()
    )
    return text + (" …" if len(results) > MAX_SHOWN else "")


MAX_ARC_INSTANCES = 50  # RFC 8617 section 4.2.1: a chain longer than 50 fails
_TAG = re.compile(r"\s*([a-z]{1,16})\s*=\s*([^;]*)")


def _tags(value: str) -> dict[str, str]:
    """`tag=value; tag=value` (DKIM-style tag lists: ARC-Seal), first occurrence wins."""
    found: dict[str, str] = {}
    for part in value[:MAX_FIELD_CHARS].split(";"):
        match = _TAG.match(part)
        if match is not None:
            found.setdefault(match.group(1).lower(), "".join(match.group(2).split()))
    return found


def arc_recorded(headers: Iterable[Header]) -> dict[str, tuple[AuthResult, ...]]:
    """Per sealing domain (lower case), the results its ARC-Authentication-Results recorded
    when it received the message: `i=N` pairs an ARC-Seal (`d=` the sealer) with the results
    of the same instance. Only meaningful when our own server says `arc=pass` (the chain's
    signatures verify); on its own this is text anyone could write."""
    sealers: dict[int, str] = {}
    recorded: dict[int, list[AuthResult]] = {}
    fields = 0
    for header in headers:
        name = header.name.lower()
        if name not in ("arc-seal", "arc-authentication-results"):
            continue
        fields += 1
        if fields > 3 * MAX_ARC_INSTANCES:
            break
        instance, _, rest = header.raw.partition(";")
        key, _, number = instance.strip().partition("=")
        if key.strip().lower() != "i" or not number.strip().isdigit():
            continue
        i = int(number.strip())
        if not 1 <= i <= MAX_ARC_INSTANCES:
            continue
        if name == "arc-seal":
            sealers.setdefault(i, _tags(rest).get("d", "").lower().rstrip("."))
        else:
            recorded.setdefault(i, _parse_field(rest)[1][:MAX_RESULTS])
    out: dict[str, tuple[AuthResult, ...]] = {}
    for i, sealer in sorted(sealers.items()):
        if sealer and i in recorded:
            out.setdefault(sealer, tuple(recorded[i]))
    return out
