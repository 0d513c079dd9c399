"""Telling a script from prose: weighted hints per language, for text attachments only.

Kept apart from sniff.py so that its forty patterns are compiled only when an attachment
is plain text (a message's own body is never sniffed for scripts).
"""

from __future__ import annotations

import re


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I | re.M)


# Weighted hints; a language needs a score of 3, i.e. several independent signs, so that prose
# and READMEs quoting a line of code stay "text".
HINTS: dict[str, tuple[tuple[re.Pattern[str], int], ...]] = {
    ".bat": (
        (_rx(r"^\s*@?echo\s+(?:off|on)\b"), 3),
        (_rx(r"^\s*@?rem\s"), 1),
        (_rx(r"^\s*goto\s+:?\w+"), 1),
        (_rx(r"%[a-z_]\w*%"), 1),
        (_rx(r"\bcmd(?:\.exe)?\s+/[ck]\b"), 2),
        (_rx(r"^\s*if\s+(?:not\s+)?exist\b"), 1),
        # Obfuscated droppers (the OneNote wave of 2023): runs of "::" comment lines as
        # padding, dozens of `set` fragments, and commands spliced from them
        # (%a%%b%%c%, %x:~3,1%), often without "@echo off".
        (_rx(r"(?:^[ \t]*::[^\n]*\n){3}"), 1),
        (_rx(r"(?:^[ \t]*@?set\s+\"?[\w.#$]+=[^\n]*\n(?:[ \t]*::[^\n]*\n)*){3}"), 2),
        (_rx(r"(?:%[\w.#$]+%){3}"), 2),
        (_rx(r"%[\w.#$]+:~-?\d+(?:,-?\d+)?%"), 2),
        (_rx(r"^\s*start\s+(?:/\w+\s+|\"[^\"\n]*\"\s+)*\S"), 1),
    ),
    ".ps1": (
        (_rx(r"\b(?:Invoke-(?:Expression|WebRequest|RestMethod)|IEX)\b"), 2),
        (
            _rx(
                r"(?-i:\b(?:Get|Set|New|Add|Remove|Start|Write|Out|Test|Import|ConvertTo|"
                r"ConvertFrom|Select|Where|ForEach)-[A-Z][A-Za-z]+\b)"
            ),
            1,
        ),
        (_rx(r"\$env:\w+"), 2),
        (_rx(r"\[(?:System\.)?[\w.]+\]::\w+"), 2),
        (_rx(r"\s-(?:EncodedCommand|ExecutionPolicy|WindowStyle|NoProfile)\b"), 2),
        (_rx(r"^\s*\$\w+\s*="), 1),
        # Download cradles: a WebClient and what it fetches.
        (_rx(r"\bNet\.WebClient\b"), 2),
        (_rx(r"\.Download(?:File|String|Data)\s*\("), 1),
        (_rx(r"\bforeach\s*\(\s*\$\w+\s+in\s+\$\w+"), 1),
        (_rx(r"^\s*param\s*\("), 1),
    ),
    ".vbs": (
        (_rx(r"\bCreateObject\s*\(\s*\""), 2),
        (_rx(r"^\s*Dim\s+\w+"), 1),
        (_rx(r"^\s*On\s+Error\s+Resume\s+Next\b"), 2),
        (_rx(r"^\s*Set\s+\w+\s*=\s*\w"), 1),
        (_rx(r"^\s*End\s+(?:Sub|Function)\b"), 2),
        (_rx(r"\bChrW?\s*\(\s*\d+\s*\)"), 1),
        (_rx(r"^\s*(?:Private\s+|Public\s+)?(?:Sub|Function)\s+\w+\s*\([^)]*\)\s*$"), 2),
        (_rx(r"\bWScript\.(?:Shell|Echo|Sleep|Quit|Arguments)\b"), 1),
        (_rx(r"^\s*Option\s+Explicit\b"), 1),
        (_rx(r"\bMsgBox\b"), 1),
    ),
    ".js": (
        (_rx(r"\bnew\s+ActiveXObject\s*\("), 2),
        (_rx(r"^\s*var\s+[\w$]+\s*="), 1),
        (_rx(r"^\s*(?:let|const)\s+[\w$]+\s*="), 1),
        (_rx(r"\beval\s*\("), 1),
        (_rx(r"\bfunction\s*[\w$]*\s*\([^)]*\)\s*\{"), 1),
        (_rx(r"\bString\.fromCharCode\s*\("), 1),
        (_rx(r"\brequire\s*\(\s*['\"]"), 1),
        (_rx(r"^\s*['\"]use strict['\"]"), 1),
        (_rx(r"\bWScript\.(?:CreateObject|Shell|Echo|Sleep|Quit|Arguments)\b"), 1),
    ),
}


def script_language(text: str) -> str:
    """The script extension (".bat", ".ps1", ".vbs", ".js") whose hints score 3 or more in
    `text`, the best of them; "" for prose."""
    scores = {ext: sum(w for rx, w in hints if rx.search(text)) for ext, hints in HINTS.items()}
    best = max(scores, key=lambda ext: scores[ext])
    return best if scores[best] >= 3 else ""
