"""From an `OfficeReport` to findings: where each severity decision is made.

- VBA: MacroRaptor's auto-run and (write or execute) is `attachment.macro.autoexec_exec`
  (critical) only with a dropper trait (vba_traits, also on the strings vba_fold recovers
  and on form strings, and junk arithmetic); without one it is
  `attachment.macro.autoexec` (medium): business macros open files and start programs too.
  What the folder recovered (the command line, its URLs) is evidence, defanged.
  VBA stomping (p-code and source disagree) is `attachment.vba_stomping` (high); when the
  source auto-runs and the hidden p-code's strings carry a dropper trait, also
  `attachment.macro.autoexec_exec`.
- Excel 4.0: a macro sheet that runs on open or calls EXEC/CALL/REGISTER is
  `attachment.xlm_macro` (critical); a macro sheet without either is
  `attachment.xlm_macrosheet` (medium).
- External targets loaded on open: from the Internet (http(s), mhtml:, a UNC path to a
  dotted host or WebDAV, file://host) `attachment.template_injection` (critical); from a
  file server by NetBIOS name or this computer `attachment.template_injection.file_share`
  (high): company templates live on such shares, but the fetch also leaks the reader's
  Windows credentials. Hyperlinks are not findings: they need a click.
- PowerPoint action settings that run a program on a click or a mouse-over (a
  `ppaction://program` action, a hyperlink to a program, script or shortcut):
  `attachment.slide_action` (critical).
- DDE: `attachment.dde` (high), `attachment.dde.command` (critical) when it starts a shell.
- RTF objects: `attachment.rtf_object` (high), `attachment.rtf_object.exploit` (critical) for
  known exploit carriers (Equation Editor, OLE2Link) and packaged executables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...body_links import on_file_share
from ...model import Evidence, Hit
from ...text import defang
from .inspection import DdeField, ExternalTarget, OfficeReport, VbaReport, XlmReport, clip
from .xlm import CRITICAL_FUNCTIONS

# Shells and script hosts a DDE command starts to run a payload.
_SHELL = re.compile(
    r"\b(?:cmd|command|powershell|pwsh|mshta|wscript|cscript|rundll32|regsvr32|certutil"
    r"|bitsadmin|msiexec|msexcel)(?:\.exe)?\b",
    re.I,
)


def _evidence(where: str, excerpt: str, **facts: str) -> tuple[Evidence, ...]:
    return (Evidence(location=where, excerpt=excerpt, facts=tuple(facts.items())),)


def _join(values: tuple[str, ...]) -> str:
    return ", ".join(values) or "-"


def _recovered(vba: VbaReport) -> str:
    """The most telling string the macro builds at run time, clipped and defanged."""
    return defang(clip(vba.recovered[0], 160)) if vba.recovered else ""


def _urls(vba: VbaReport) -> str:
    """Every URL the macro would fetch, defanged: the list an IT team blocks."""
    return ", ".join(defang(url) for url in vba.recovered_urls) or "-"


def vba_hits(vba: VbaReport, location: str, attachment: str) -> Iterator[Hit]:
    traits = "; ".join(f"{t.kind}: {t.excerpt}" for t in vba.traits)
    recovered = _recovered(vba)
    urls = _urls(vba)
    yield Hit(
        id="attachment.macro",
        evidence=_evidence(
            location,
            _join(vba.autoexec + vba.suspicious),
            attachment=attachment,
            modules=str(vba.modules),
            autoexec=_join(vba.autoexec),
            suspicious=_join(vba.suspicious),
            traits=traits or "-",
        ),
    )
    if vba.autoexec_exec:
        actions = ", ".join(a for a in (vba.raptor_write, vba.raptor_execute) if a)
        yield Hit(
            id="attachment.macro.autoexec_exec" if vba.traits else "attachment.macro.autoexec",
            evidence=_evidence(
                location,
                f"{vba.raptor_autoexec}: {actions}"
                + (f" ({traits})" if traits else "")
                + (f" -> {recovered}" if recovered else "")
                + (f"; URLs: {urls}" if vba.recovered_urls else ""),
                attachment=attachment,
                autoexec=vba.raptor_autoexec,
                actions=actions,
                traits=traits or "-",
                recovered=recovered or defang(traits) or "-",
                urls=urls,
            ),
        )
    if vba.stomped and vba.raptor_autoexec and vba.pcode_traits and not vba.autoexec_exec:
        # The visible source was made harmless; the p-code that runs is a dropper.
        hidden = "; ".join(f"{t.kind}: {t.excerpt}" for t in vba.pcode_traits)
        yield Hit(
            id="attachment.macro.autoexec_exec",
            evidence=_evidence(
                location,
                f"{vba.raptor_autoexec}: p-code {hidden}",
                attachment=attachment,
                autoexec=vba.raptor_autoexec,
                actions=f"p-code: {hidden}",
                traits=hidden,
                recovered=defang(hidden),
                urls=urls,
            ),
        )
    if vba.stomped:
        yield Hit(
            id="attachment.vba_stomping",
            evidence=_evidence(
                location, _join(vba.stomped), attachment=attachment, names=_join(vba.stomped[:5])
            ),
        )


def xlm_hits(report: XlmReport, location: str, attachment: str) -> Iterator[Hit]:
    dangerous = bool(report.auto_open or CRITICAL_FUNCTIONS & set(report.functions))
    yield Hit(
        id="attachment.xlm_macro" if dangerous else "attachment.xlm_macrosheet",
        evidence=_evidence(
            location,
            report.excerpt or _join(report.functions),
            attachment=attachment,
            sheets=_join(report.sheets),
            trigger=_join(report.auto_open),
            functions=_join(report.functions),
            format=report.source,
            urls=", ".join(defang(url) for url in report.urls) or "-",
        ),
    )


def external_hit(target: ExternalTarget, location: str, attachment: str) -> Hit:
    share = on_file_share(target.target)
    return Hit(
        id="attachment.template_injection.file_share" if share else "attachment.template_injection",
        evidence=_evidence(
            f"{location}: {target.part}",
            target.target,
            attachment=attachment,
            relation=target.relation,
            target=target.target,
        ),
    )


def dde_hit(field: DdeField, location: str, attachment: str) -> Hit:
    return Hit(
        id="attachment.dde.command" if _SHELL.search(field.command) else "attachment.dde",
        evidence=_evidence(location, field.command, attachment=attachment, command=field.command),
    )


def report_hits(
    report: OfficeReport, location: str, attachment: str, analyzer: str
) -> Iterator[Hit]:
    if report.vba is not None:
        yield from vba_hits(report.vba, location, attachment)
    if report.xlm is not None:
        yield from xlm_hits(report.xlm, location, attachment)
    for target in report.external:
        yield external_hit(target, location, attachment)
    for field in report.dde:
        yield dde_hit(field, location, attachment)
    for action in report.actions:
        yield Hit(
            id="attachment.slide_action",
            evidence=_evidence(
                f"{location}: {action.part}",
                defang(f"{action.trigger}: {action.action or 'hyperlink'} -> {action.target}"),
                attachment=attachment,
                trigger=action.trigger,
                action=action.action or "hyperlink",
                target=defang(action.target) or "-",
            ),
        )
    for obj in report.objects:
        yield Hit(
            id="attachment.rtf_object.exploit" if obj.exploit else "attachment.rtf_object",
            evidence=_evidence(
                location,
                " ".join(p for p in (obj.class_name, obj.clsid, obj.filename) if p),
                attachment=attachment,
                class_name=obj.class_name,
                exploit=obj.exploit or "-",
                filename=obj.filename or "-",
            ),
        )
    for check, error in report.errors:
        yield Hit(
            id="analyzer.error",
            evidence=_evidence(
                location, error, analyzer=f"{analyzer} ({check})", location=location, error=error
            ),
        )
    if report.limits:
        detail = ", ".join(detail for _bound, detail in report.limits[:5])
        yield Hit(
            id="analyzer.office_partial",
            evidence=_evidence(
                location,
                detail,
                analyzer=analyzer,
                location=location,
                bound=report.limits[0][0],
                detail=detail,
            ),
        )
