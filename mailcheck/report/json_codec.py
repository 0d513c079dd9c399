"""`ScanResult` <-> JSON lines, so a saved scan can be rendered again later.

The JSON carries the rendered title / explanation / advice in the scan's language for
readers of the raw file, but `from_dict` rebuilds the result from ids and facts alone:
rendering again goes through the catalog, in whichever language is asked for.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, TypeVar

from ..catalog import Catalog, Lang
from ..model import (
    ATTACHMENT_ROLES,
    ATTACHMENT_STATUSES,
    CONFIDENCES,
    SEVERITIES,
    VERDICT_LABELS,
    Address,
    Advice,
    Attachment,
    AuthResult,
    Evidence,
    Finding,
    Link,
    MessageSummary,
    ReceivedHop,
    ScanResult,
    Source,
    Verdict,
)
from ..text import raw_text


class SchemaError(ValueError):
    """A JSON line that is not a mailcheck result."""


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _name(out: dict[str, Any], key: str, value: str) -> None:
    """A file name or path: readable text in `key`; if it holds bytes that are not UTF-8
    (a file name on disk, a raw 8-bit attachment name), those exact bytes in base64 under
    `key_bytes` as well, so that the name can be found or rebuilt later."""
    out[key] = raw_text(value)
    if _ESCAPED_BYTE.search(value):
        raw = value.encode("utf-8", "surrogateescape")
        out[f"{key}_bytes"] = base64.b64encode(raw).decode("ascii")


def _read_name(raw: dict[str, Any], key: str, *, required: bool = False) -> str:
    if required and key not in raw:
        raise KeyError(key)
    encoded = raw.get(f"{key}_bytes")
    if isinstance(encoded, str):
        try:
            return base64.b64decode(encoded, validate=True).decode("utf-8", "surrogateescape")
        except (binascii.Error, ValueError) as exc:
            raise SchemaError(f"not a mailcheck result: {key}_bytes is not base64") from exc
    return str(raw.get(key, ""))


def _address(address: Address | None) -> dict[str, str] | None:
    if address is None:
        return None
    return {"name": address.display_name, "address": address.addr}


def _attachment(node: Attachment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _name(out, "path", node.path)
    _name(out, "filename", node.filename)
    out.update(
        {
            "declared_type": node.declared_type,
            "detected_type": node.sniffed_type,
            "size": node.size,
            "sha256": node.sha256,
            "depth": node.depth,
            "status": node.status,
            "role": node.role,
            "children": [_attachment(child) for child in node.children],
        }
    )
    return out


def _source(source: Source) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _name(out, "path", source.path)
    out.update({"index": source.index, "format": source.format})
    return out


def to_dict(result: ScanResult, catalog: Catalog, lang: Lang) -> dict[str, Any]:
    message = result.message
    findings = []
    for finding in result.findings:
        texts = catalog.texts(finding.id, lang, finding.facts())
        findings.append(
            {
                "id": finding.id,
                "severity": finding.severity,
                "score": finding.score,
                "confidence": finding.confidence,
                "analyzer": finding.analyzer,
                "title": texts.title,
                "explanation": texts.explanation,
                "advice": texts.advice,
                # `location` is a machine key (stable, English); `label` is for the reader.
                "evidence": [
                    {
                        "location": e.location,
                        "label": catalog.place(e.location, lang),
                        "excerpt": e.excerpt,
                        "facts": dict(e.facts),
                    }
                    for e in finding.evidence
                ],
            }
        )
    return {
        "schema_version": result.schema_version,
        "tool_version": result.tool_version,
        "lang": lang,
        "source": _source(result.source),
        "message": {
            "from": _address(message.from_),
            "to": [_address(a) for a in message.to],
            "cc": [_address(a) for a in message.cc],
            "reply_to": [_address(a) for a in message.reply_to],
            "subject": message.subject,
            "date": message.date,
            "message_id": message.message_id,
            "in_reply_to": message.in_reply_to,
            "references": list(message.references),
            "received": [
                {
                    "from": hop.from_host,
                    "by": hop.by_host,
                    "with": hop.with_protocol,
                    "date": hop.date,
                    "raw": hop.raw,
                }
                for hop in message.received
            ],
            "auth": [
                {
                    "method": r.method,
                    "result": r.result,
                    "detail": r.detail,
                    "authserv_id": r.authserv_id,
                }
                for r in message.auth
            ],
        },
        "verdict": result.verdict.label,
        "score": result.verdict.score,
        "incomplete": result.verdict.incomplete,
        "reasons": list(result.verdict.reasons),
        "findings": findings,
        "attachments": [_attachment(node) for node in result.attachments],
        "advice": {
            "keys": list(result.advice.keys),
            "text": [catalog.word(key, lang) for key in result.advice.keys],
            "links": [
                {
                    "key": link.title_key,
                    "title": catalog.word(link.title_key, lang),
                    "url": link.url,
                }
                for link in result.advice.links
            ],
        },
        "timings_ms": dict(result.timings_ms),
    }


def dumps(result: ScanResult, catalog: Catalog, lang: Lang) -> str:
    """One JSON line; always valid UTF-8 even if raw message bytes slipped into a string."""
    return raw_text(json.dumps(to_dict(result, catalog, lang), ensure_ascii=False))


T = TypeVar("T", bound=str)


def _one_of(value: object, allowed: tuple[T, ...], field: str) -> T:
    """A closed-vocabulary field, checked: a renderer must not meet an unknown value."""
    for item in allowed:
        if value == item:
            return item
    raise SchemaError(f"not a mailcheck result: {field} {value!r}")


def _read_address(raw: Any) -> Address | None:
    if not isinstance(raw, dict):
        return None
    return Address(display_name=str(raw.get("name", "")), addr=str(raw.get("address", "")))


def _read_addresses(raw: Any) -> tuple[Address, ...]:
    return tuple(a for a in (_read_address(x) for x in raw or ()) if a is not None)


def _read_attachment(raw: dict[str, Any]) -> Attachment:
    return Attachment(
        path=_read_name(raw, "path", required=True),
        filename=_read_name(raw, "filename"),
        declared_type=str(raw.get("declared_type", "")),
        sniffed_type=str(raw.get("detected_type", "")),
        size=int(raw.get("size", 0)),
        sha256=str(raw.get("sha256", "")),
        depth=int(raw.get("depth", 0)),
        status=_one_of(raw.get("status", "ok"), ATTACHMENT_STATUSES, "status"),
        children=tuple(_read_attachment(c) for c in raw.get("children", ())),
        role=_one_of(raw.get("role") or guessed_role(raw), ATTACHMENT_ROLES, "role"),
    )


def guessed_role(raw: dict[str, Any]) -> str:
    """The role of an attachment saved before results named it (schema 1 without "role"):
    a text part without a file name is the message's own text, as the parsers decide."""
    if not raw.get("filename") and raw.get("declared_type") in ("text/plain", "text/html"):
        return "body"
    return "attachment"


def from_dict(raw: dict[str, Any]) -> ScanResult:
    try:
        message = raw["message"]
        source = raw["source"]
        advice = raw["advice"]
        return ScanResult(
            schema_version=int(raw["schema_version"]),
            tool_version=str(raw.get("tool_version", "")),
            source=Source(
                path=_read_name(source, "path", required=True),
                index=source.get("index"),
                format=source["format"],
            ),
            message=MessageSummary(
                from_=_read_address(message.get("from")),
                to=_read_addresses(message.get("to")),
                cc=_read_addresses(message.get("cc")),
                reply_to=_read_addresses(message.get("reply_to")),
                subject=str(message.get("subject", "")),
                date=str(message.get("date", "")),
                message_id=str(message.get("message_id", "")),
                in_reply_to=str(message.get("in_reply_to", "")),
                references=tuple(message.get("references", ())),
                received=tuple(
                    ReceivedHop(
                        from_host=h.get("from", ""),
                        by_host=h.get("by", ""),
                        with_protocol=h.get("with", ""),
                        date=h.get("date", ""),
                        raw=h.get("raw", ""),
                    )
                    for h in message.get("received", ())
                ),
                auth=tuple(
                    AuthResult(
                        method=str(a["method"]),
                        result=str(a["result"]),
                        detail=str(a.get("detail", "")),
                        authserv_id=str(a.get("authserv_id", "")),
                    )
                    for a in message.get("auth", ())
                ),
            ),
            attachments=tuple(_read_attachment(a) for a in raw.get("attachments", ())),
            findings=tuple(
                Finding(
                    id=str(f["id"]),
                    severity=_one_of(f["severity"], SEVERITIES, "severity"),
                    score=int(f["score"]),
                    confidence=_one_of(f.get("confidence", "high"), CONFIDENCES, "confidence"),
                    analyzer=str(f.get("analyzer", "")),
                    evidence=tuple(
                        Evidence(
                            location=str(e["location"]),
                            excerpt=str(e.get("excerpt", "")),
                            facts=tuple((str(k), str(v)) for k, v in e.get("facts", {}).items()),
                        )
                        for e in f.get("evidence", ())
                    ),
                )
                for f in raw.get("findings", ())
            ),
            verdict=Verdict(
                label=_one_of(raw["verdict"], VERDICT_LABELS, "verdict"),
                score=int(raw["score"]),
                reasons=tuple(raw.get("reasons", ())),
                incomplete=bool(raw["incomplete"]),
            ),
            advice=Advice(
                keys=tuple(advice.get("keys", ())),
                links=tuple(
                    Link(title_key=str(x["key"]), url=str(x["url"]))
                    for x in advice.get("links", ())
                ),
            ),
            timings_ms=tuple((str(k), float(v)) for k, v in raw.get("timings_ms", {}).items()),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SchemaError(f"not a mailcheck result: {exc!r}") from exc


def loads(line: str) -> ScanResult:
    try:
        raw = json.loads(line)
    except RecursionError as exc:
        raise SchemaError("invalid JSON: nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise SchemaError(f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(raw, dict):
        raise SchemaError("not a mailcheck result: a JSON object is expected")
    return from_dict(raw)
