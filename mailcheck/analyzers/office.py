"""VBA macros in Office attachments: the only module that imports oletools.

olevba treats any NUL-free text as VBA source, so it is offered only attachments whose
bytes were sniffed as an Office container.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from oletools.mraptor import MacroRaptor
from oletools.olevba import VBA_Parser

from ..model import Evidence
from .interface import AttachmentAnalyzer, AttachmentContext, Hit

OFFICE_KINDS = frozenset(
    {
        "ole",
        "doc",
        "xls",
        "ppt",
        "docx",
        "docm",
        "xlsx",
        "xlsm",
        "xlsb",
        "pptx",
        "pptm",
        "ooxml",
        "mht",
        "activemime",
        "slk",
    }
)
_MAX_KEYWORDS = 12

logging.getLogger("olevba").setLevel(logging.CRITICAL)


@dataclass(frozen=True, slots=True, kw_only=True)
class MacroReport:
    modules: int
    autoexec: tuple[str, ...]
    suspicious: tuple[str, ...]
    raptor_autoexec: str
    raptor_write: str
    raptor_execute: str

    @property
    def autoexec_exec(self) -> bool:
        """MacroRaptor's rule: runs by itself and can write files or execute."""
        return bool(self.raptor_autoexec and (self.raptor_write or self.raptor_execute))


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))[:_MAX_KEYWORDS]


def inspect_macros(data: bytes) -> MacroReport | None:
    """olevba + MacroRaptor on one file's bytes; None when it carries no VBA."""
    parser = VBA_Parser("attachment", data=data)
    try:
        if not parser.detect_vba_macros():
            return None
        code_parts: list[str] = []
        modules = 0
        for _container, _stream, _name, code in parser.extract_all_macros():
            if isinstance(code, bytes):
                code = code.decode("latin-1")
            code_parts.append(code)
            modules += 1
        autoexec: list[str] = []
        suspicious: list[str] = []
        for kind, keyword, _description in parser.analyze_macros() or ():
            if kind == "AutoExec":
                autoexec.append(str(keyword))
            elif kind == "Suspicious":
                suspicious.append(str(keyword))
        raptor = MacroRaptor("\n".join(code_parts))
        raptor.scan()
        return MacroReport(
            modules=modules,
            autoexec=_unique(autoexec),
            suspicious=_unique(suspicious),
            raptor_autoexec=raptor.autoexec_match or "",
            raptor_write=raptor.write_match or "",
            raptor_execute=raptor.execute_match or "",
        )
    finally:
        parser.close()


def macros(ctx: AttachmentContext) -> Iterator[Hit]:
    report = inspect_macros(ctx.item.data)
    if report is None:
        return
    item = ctx.item
    base = (("attachment", item.path),)
    yield Hit(
        id="attachment.macro",
        evidence=(
            Evidence(
                location=item.location,
                excerpt=", ".join(report.autoexec + report.suspicious),
                facts=(
                    *base,
                    ("modules", str(report.modules)),
                    ("autoexec", ", ".join(report.autoexec) or "-"),
                    ("suspicious", ", ".join(report.suspicious) or "-"),
                ),
            ),
        ),
    )
    if report.autoexec_exec:
        actions = ", ".join(a for a in (report.raptor_write, report.raptor_execute) if a)
        yield Hit(
            id="attachment.macro.autoexec_exec",
            evidence=(
                Evidence(
                    location=item.location,
                    excerpt=f"{report.raptor_autoexec}: {actions}",
                    facts=(*base, ("autoexec", report.raptor_autoexec), ("actions", actions)),
                ),
            ),
        )


ANALYZERS = (
    AttachmentAnalyzer(
        name="office.vba",
        emits=("attachment.macro", "attachment.macro.autoexec_exec"),
        run=macros,
        kinds=OFFICE_KINDS,
    ),
)
