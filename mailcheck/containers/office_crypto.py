"""Password-protected Office documents: the only module that imports msoffcrypto-tool.

Emotet mailed encrypted documents with the password in the body so that scanners saw only
ciphertext; Excel's built-in "VelvetSweatshop" password (used for files that only have a
password to modify) hides macros the same way and opens without a prompt. The opener tries
that password and the ones harvested from the message, and returns the decrypted document
as a member, so it is analysed like any attachment.

Cost is bounded twice: at most `max_password_tries` passwords, and a budget of key-derivation
hash iterations per document, because ECMA-376 agile encryption lets the file choose its own
iteration count (up to 10,000,000 per try). Legacy .doc/.xls/.ppt decryption in
msoffcrypto-tool writes its output to an anonymous temporary file (unnamed, mode 0600).
"""

from __future__ import annotations

import io
from typing import Any

from ..model import Evidence, Hit
from ..sniff import sniff
from .interface import Member, Opened, OpenRequest

EMITS = (
    "attachment.office_password_in_body",
    "attachment.office_default_password",
    "attachment.encrypted_office",
)
DEFAULT_PASSWORD = "VelvetSweatshop"
KINDS = ("ole-encrypted-ooxml", "doc", "xls", "ppt")
# Hash iterations spent deriving keys for one document (about 1.2 s of SHA-512 here).
_STANDARD_ITERATIONS = 50_000  # ECMA-376 standard encryption: fixed by the format
_EXTENSIONS = {"doc": ".doc", "xls": ".xls", "ppt": ".ppt"}


def _cost(office: Any) -> int:
    """Hash iterations one password try costs (deriving the key)."""
    kind = getattr(office, "type", "")
    if kind == "agile":
        return max(1, int(office.info.get("spinValue", 100_000)))
    if kind == "standard":
        return _STANDARD_ITERATIONS
    return 1  # RC4 / XOR obfuscation: a handful of hashes


def _decrypt(office: Any, password: str) -> bytes | None:
    try:
        # No separate verification (it costs a second key derivation): a wrong key decrypts
        # to something that is not a zip, which msoffcrypto-tool rejects.
        office.load_key(password=password)
        out = io.BytesIO()
        office.decrypt(out)
        return out.getvalue()
    except Exception:  # a wrong password and a damaged file look the same from here
        return None


def _hit(finding_id: str, request: OpenRequest, **facts: str) -> Hit:
    return Hit(
        id=finding_id,
        evidence=(
            Evidence(
                location=request.location,
                excerpt=facts.get("password", ""),
                facts=(("attachment", request.path), *facts.items()),
            ),
        ),
    )


def _member_name(kind: str, plain: bytes) -> str:
    if kind in _EXTENSIONS:
        return "decrypted" + _EXTENSIONS[kind]
    inner = sniff(plain).kind
    return (
        f"decrypted.{inner}"
        if inner in ("docx", "docm", "xlsx", "xlsm", "xlsb", "pptx", "pptm")
        else "decrypted.zip"
    )


def open_encrypted_office(request: OpenRequest) -> Opened:
    """Decrypt a password-protected Office document with the candidates, if one fits.

    Unencrypted .doc/.xls/.ppt come back as `ok` with no members: nothing to open.
    """
    limits = request.budget.limits
    try:
        import msoffcrypto  # type: ignore[import-untyped, unused-ignore]  # encrypted files only

        office = msoffcrypto.OfficeFile(io.BytesIO(request.data))
        encrypted = bool(office.is_encrypted())
    except Exception:
        # An OLE file msoffcrypto cannot read is the Office analyzers' business to report,
        # except when the sniffer already saw the encryption streams.
        return Opened(status="broken" if request.kind == "ole-encrypted-ooxml" else "ok")
    if not encrypted:
        return Opened(status="ok")
    candidates = tuple(dict.fromkeys((DEFAULT_PASSWORD, *request.passwords)))
    affordable = limits.max_key_iterations // _cost(office)  # key derivations we can pay for
    tries = candidates[: min(limits.max_password_tries, affordable)]
    for password in tries:
        plain = _decrypt(office, password)
        if plain is None:
            continue
        if not request.budget.take_part(request.location) or not request.budget.take_bytes(
            len(plain), request.location
        ):
            return Opened(status="skipped")
        finding = (
            _hit("attachment.office_default_password", request)
            if password == DEFAULT_PASSWORD
            else _hit("attachment.office_password_in_body", request, password=password[:80])
        )
        member = Member(name=_member_name(request.kind, plain), data=plain)
        return Opened(status="ok", members=(member,), hits=(finding,))
    if len(tries) < len(candidates):  # the rest were not tried: say so, never drop in silence
        request.budget.hit("max_password_tries", request.location, limit=str(len(tries)))
    return Opened(
        status="encrypted",
        hits=(_hit("attachment.encrypted_office", request, tried=str(len(tries))),),
    )
