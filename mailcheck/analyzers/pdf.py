"""What a PDF does when it is opened or clicked: the actions its opener read, judged.

The PDF opener (`containers/pdf/`) reads the document in the isolated worker and hands its
actions over on the attachment (`Item.actions`); its links go to `links.py` with the
message's own. Judged here:

- `/Launch` starts a program or opens a file outside the viewer, whatever triggers it: PDF
  droppers ran `cmd.exe /c powershell …` this way, and no business document needs it.
- JavaScript that runs by itself when the document or a page opens, or that does what
  droppers and exploits did from any trigger: opens or saves an embedded file
  (`exportDataObject`), opens an address (`launchURL`, `getURL`), sends the form to a web
  address (`submitForm`), evaluates decoded text, carries shellcode (`%u` escapes) or calls
  an API known from exploits (`Collab.getIcon`, `media.newPlayer`…). Other scripts (form
  formatting and calculation, the document's own functions, a button's click) are common in
  fillable business forms: a low note.
- An address or a file elsewhere opened by itself (on open, close, print, a page shown):
  /URI, /SubmitForm, /ImportData, /GoToR, /GoToE to a web address or a share on the
  Internet (opening a share sends the computer's Windows credentials to it, CVE-2018-4993).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..body_links import URL_PATTERN, refang
from ..containers import DocumentAction
from ..model import Evidence
from ..text import clean_text, defang
from .interface import AttachmentAnalyzer, AttachmentContext, Hit
from .links import handler_target

_MAX_EVIDENCE = 5
_EXCERPT = 200
_SCRIPT_HEAD = 1024 * 1024  # characters of one script searched for traits
# What JavaScript in a PDF did for droppers and exploits, and the name shown for it.
_TRAITS = (
    (re.compile(r"\bexportDataObject\b"), "exportDataObject"),
    (re.compile(r"\bimportDataObject\b"), "importDataObject"),
    (re.compile(r"\b(?:launchURL|getURL)\s*\("), "launchURL"),
    (
        re.compile(r"\bsubmitForm\s*\(\s*(?:\{[^}]{0,200}?cURL\s*:\s*)?[\"'](?!\s*mailto:)", re.I),
        "submitForm",
    ),
    (re.compile(r"(?:%u[0-9a-fA-F]{4}){4}"), "shellcode (%u escapes)"),
    (
        re.compile(
            r"\bCollab\.(?:collectEmailInfo|getIcon)\b|\bmedia\.newPlayer\b"
            r"|\bspell\.customDictionaryOpen\b|\butil\.printf\s*\(\s*[\"']%\d{3,}"
        ),
        "exploit API",
    ),
)
_EVAL = re.compile(r"\beval\s*\(|\[\s*[\"']eval[\"']\s*\]")
_DECODERS = re.compile(r"\bunescape\s*\(|\bfromCharCode\s*\(|\batob\s*\(|\\x[0-9a-fA-F]{2}")
_REMOTE_KINDS = frozenset({"uri", "submit_form", "import_data", "goto_remote", "goto_embedded"})
_ACTION_NAMES = {
    "uri": "URI",
    "submit_form": "SubmitForm",
    "import_data": "ImportData",
    "goto_remote": "GoToR",
    "goto_embedded": "GoToE",
}


def script_traits(script: str) -> list[str]:
    """The dropper and exploit traits of one script, in a fixed order."""
    head = script[:_SCRIPT_HEAD]
    traits = [name for pattern, name in _TRAITS if pattern.search(head)]
    if _EVAL.search(head) and _DECODERS.search(head):
        traits.append("eval of decoded text")
    return traits


def _reaches_out(action: DocumentAction) -> bool:
    """A web address, a handler link, or a share that is not on the company's LAN."""
    target = action.target.strip()
    if not target:
        return False
    if action.kind == "uri" and re.match(r"[A-Za-z][A-Za-z0-9+.\-]+:", target):
        return True  # any address a /URI action opens by itself: a web page, a mail form
    if URL_PATTERN.match(refang(target)[0]):
        return True
    return bool(handler_target(target))  # "" for a relative file, this computer or the LAN


def _show(text: str) -> str:
    return defang(clean_text(text, _EXCERPT)) or "-"


Facts = tuple[tuple[str, str], ...]


def judge(action: DocumentAction) -> tuple[str, str, Facts] | None:
    """(finding id, excerpt, facts) for one action; None when it is no finding."""
    placed = (("where", clean_text(action.where, 200)), ("trigger", action.trigger))
    if action.kind == "launch":
        target = _show(action.target)
        return "attachment.pdf_launch", target, (*placed, ("target", target))
    if action.kind == "javascript":
        traits = script_traits(action.script)
        script = _show(action.script)
        facts = (*placed, ("traits", ", ".join(traits) or "-"), ("script", script))
        if traits or action.trigger == "open":
            return "attachment.pdf_javascript", script, facts
        return "attachment.pdf_script", script, facts
    if action.kind in _REMOTE_KINDS and action.trigger != "click" and _reaches_out(action):
        target = _show(action.target)
        name = _ACTION_NAMES[action.kind]
        # For machines (the audit's indicators to block): a web address as written.
        web = re.match(r"https?://", action.target.strip(), re.IGNORECASE)
        exact: Facts = (("url_exact", action.target.strip()),) if web else ()
        return (
            "attachment.pdf_auto_action",
            target,
            (*placed, ("action", name), ("target", target), *exact),
        )
    return None


def pdf_actions(ctx: AttachmentContext) -> Iterator[Hit]:
    """One finding per id and document: the first few actions are its evidence."""
    item = ctx.item
    found: dict[str, list[Evidence]] = {}
    for action in item.actions:
        judged = judge(action)
        if judged is not None:
            finding_id, excerpt, facts = judged
            evidence = Evidence(location=item.location, excerpt=excerpt, facts=facts)
            found.setdefault(finding_id, []).append(evidence)
    for finding_id, seen in found.items():
        first = seen[0]
        facts = (("attachment", item.path), *first.facts, ("count", str(len(seen))))
        first = Evidence(location=first.location, excerpt=first.excerpt, facts=facts)
        yield Hit(id=finding_id, evidence=(first, *seen[1:_MAX_EVIDENCE]))


ANALYZERS = (
    AttachmentAnalyzer(
        name="payload.pdf",
        emits=(
            "attachment.pdf_launch",
            "attachment.pdf_javascript",
            "attachment.pdf_script",
            "attachment.pdf_auto_action",
        ),
        run=pdf_actions,
        kinds=frozenset({"pdf"}),
    ),
)
