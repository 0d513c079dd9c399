"""PowerPoint action settings: a shape that starts a program when clicked or hovered over.

A slide's shape or text run can carry an action (`a:hlinkClick`, `a:hlinkMouseOver`):
`action="ppaction://program"` runs the program its relationship names (the 2017 mouse-over
droppers ran PowerShell this way), and a plain hyperlink to a program or script (`.exe`,
`.js`, `\\\\host\\share\\x.exe`, `file://…/x.hta`) opens it. Mouse-over needs no click at all
in a slide show (.ppsx opens straight into one). A hyperlink to a web page is no finding.
Read from the package's XML only (no oletools); slides, layouts and masters.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...names import claimed_kind
from .inspection import MAX_ITEMS, SlideAction, clip
from .ooxml import Package, attr_of, iter_local

_TRIGGERS = {"hlinkClick": "click", "hlinkMouseOver": "mouse-over"}
_FOLDERS = ("ppt/slides/", "ppt/slidelayouts/", "ppt/slidemasters/")
_RUNNABLE = frozenset({"program", "shortcut"})


def _external_rels(package: Package, part: str) -> dict[str, str]:
    """Relationship id -> target, as written, of `part`'s relationships."""
    folder, _, name = part.rpartition("/")
    root = package.xml(f"{folder}/_rels/{name}.rels")
    if root is None:
        return {}
    return {attr_of(r, "Id"): attr_of(r, "Target") for r in iter_local(root, "Relationship")}


def runs_a_program(target: str) -> bool:
    """A link target that names a program, script or shortcut (over any scheme or share)."""
    path = target.split("?", 1)[0].split("#", 1)[0].strip()
    return claimed_kind(path) in _RUNNABLE


def _actions(package: Package, part: str) -> Iterator[SlideAction]:
    raw = package.read(part)
    if raw is None or b"hlink" not in raw:  # most slides: no parse
        return
    root = package.xml(part)
    if root is None:
        return
    rels: dict[str, str] | None = None
    for element in root.iter():
        trigger = _TRIGGERS.get(element.tag.rpartition("}")[2])
        if trigger is None:
            continue
        if rels is None:
            rels = _external_rels(package, part)
        action = attr_of(element, "action")
        target = rels.get(attr_of(element, "id"), "")
        if action.lower().startswith("ppaction://program") or runs_a_program(target):
            yield SlideAction(
                trigger=trigger, action=clip(action, 60), target=clip(target), part=part
            )


def slide_actions(package: Package) -> tuple[SlideAction, ...]:
    found: list[SlideAction] = []
    for part in package.names():
        if part.startswith(_FOLDERS) and part.endswith(".xml"):
            found.extend(_actions(package, part))
            if len(found) >= MAX_ITEMS:
                break
    return tuple(found[:MAX_ITEMS])
