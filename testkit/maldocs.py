"""Scan the real malware documents in ../shared/corpus/maldocs from memory, and the benign
corpora beside them, and print what mailcheck makes of each.

    python tools/maldocs.py [--benign] [--json FILE] [--verbose]

Each document is read from its AES archive in memory (never written to disk), attached to a
plain new mail from an unknown sender, and scanned with `scan_bytes`: the way such a document
arrives. Printed per file: family, format, verdict, finding ids and the URLs the report
shows; then per family and in total, malicious / suspicious / clean and how many files show
their URLs. With --benign, the benign corpora (benign macro workbooks, SpamAssassin macro
mail, Strelka fixtures, easy ham) are scanned (mail as it is, documents attached to a
plain mail) and their verdicts counted.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from mailcheck.analyzers.office import KINDS as OFFICE_KINDS
from mailcheck.api import ScanError, scan_bytes, scan_path
from mailcheck.model import ScanResult
from mailcheck.sniff import sniff

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
MALDOCS = CORPUS / "maldocs"
PASSWORD = b"infected"
BENIGN = (
    "office/benign_macro_office",
    "macro-mail/spamassassin",
    "office/strelka_fixtures",
    "ham/spamassassin-easy-ham-1",
)
# Files of the benign corpora that are attached to a mail to be scanned (the rest are
# programs and samples of other formats, not documents).
DOCUMENT_KINDS = OFFICE_KINDS | {"onenote", "pdf"}
# A URL as the reports show it, defanged (hxxp://host[.]tld/...).
_SHOWN_URL = re.compile(r"hxxps?\[?:\]?//[^\s,;\"')]+", re.I)


def maldocs() -> Iterator[tuple[dict[str, str], bytes]]:
    """Each row of index.csv with the member's bytes, read in memory only."""
    import pyzipper  # type: ignore[import-untyped, unused-ignore]

    with (MALDOCS / "index.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        with pyzipper.AESZipFile(MALDOCS / row["zip"]) as archive:
            yield row, archive.read(row["member"], pwd=PASSWORD)


def as_mail(name: str, data: bytes) -> bytes:
    """`data` attached to a plain new mail from a sender the recipient has never seen."""
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (
        b"From: Billing <billing@unknown-sender.example>\r\nTo: user@corp.example\r\n"
        b"Subject: Invoice\r\nDate: Tue, 01 Mar 2022 09:00:00 +0900\r\n"
        b"Message-ID: <maldoc@unknown-sender.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        b"Please see the attached document.\r\n--B\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        + f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'.encode()
        + encoded
        + b"--B--\r\n"
    )


def shown_urls(result: ScanResult) -> list[str]:
    """The defanged URLs the findings' evidence shows."""
    urls: list[str] = []
    for finding in result.findings:
        for evidence in finding.evidence:
            texts = [evidence.excerpt, *(value for _key, value in evidence.facts)]
            for text in texts:
                urls.extend(u for u in _SHOWN_URL.findall(text) if u not in urls)
    return urls


def file_name(row: dict[str, str]) -> str:
    """The member's name with the extension a victim would have seen."""
    return row["member"]


def scan_maldocs(verbose: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for row, data in maldocs():
        result = scan_bytes(as_mail(file_name(row), data))
        urls = shown_urls(result)
        ids = sorted({f.id for f in result.findings if f.score > 0})
        rows.append(
            {
                "family": row["family"],
                "format": row["format"],
                "member": row["member"][:16],
                "verdict": result.verdict.label,
                "incomplete": result.verdict.incomplete,
                "findings": ids,
                "urls": urls,
            }
        )
        line = f"{row['family']:18} {row['format']:12} {row['member'][:12]}"
        line += f" {result.verdict.label:10}"
        print(f"{line} {len(urls):2} URLs  {' '.join(ids)}", flush=True)
        if verbose:
            for url in urls[:8]:
                print(f"{'':44}{url}")
    return rows


def summary(rows: list[dict[str, object]]) -> None:
    by_family: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts = by_family[str(row["family"])]
        counts[str(row["verdict"])] += 1
        counts["with URLs"] += bool(row["urls"])
    columns = ("files", 5), ("malicious", 9), ("suspicious", 10), ("clean", 5), ("URLs", 5)
    print(f"\n{'family':18} " + " ".join(f"{name:>{width}}" for name, width in columns))
    total: Counter[str] = Counter()
    for family, counts in sorted(by_family.items()):
        files = counts["malicious"] + counts["suspicious"] + counts["clean"]
        total.update(counts)
        print(
            f"{family:18} {files:5} {counts['malicious']:9} {counts['suspicious']:10}"
            f" {counts['clean']:5} {counts['with URLs']:5}"
        )
    files = total["malicious"] + total["suspicious"] + total["clean"]
    print(
        f"{'total':18} {files:5} {total['malicious']:9} {total['suspicious']:10}"
        f" {total['clean']:5} {total['with URLs']:5}"
    )


def scan_benign() -> None:
    columns = ("messages", 8), ("malicious", 9), ("suspicious", 10), ("clean", 5), ("errors", 6)
    print(f"\n{'benign corpus':34} " + " ".join(f"{name:>{width}}" for name, width in columns))
    for folder in BENIGN:
        base = CORPUS / folder
        if not base.is_dir():
            print(f"{folder:34} absent")
            continue
        counts: Counter[str] = Counter()
        flagged: list[str] = []
        for path in sorted(p for p in base.rglob("*") if p.is_file() and p.name != "SOURCE.txt"):
            data = path.read_bytes()
            if _is_mail(data):
                outcomes: list[ScanResult | ScanError] = list(scan_path(path))
            elif sniff(data).kind in DOCUMENT_KINDS:  # documents arrive attached to mail
                outcomes = [scan_bytes(as_mail(path.name, data))]
            else:
                continue
            for outcome in outcomes:
                if isinstance(outcome, ScanError):
                    counts["errors" if not outcome.not_a_message else "not mail"] += 1
                    continue
                counts[outcome.verdict.label] += 1
                if outcome.verdict.label == "malicious":
                    ids = sorted({f.id for f in outcome.findings if f.score > 0})
                    flagged.append(f"    {path.relative_to(base)}: {' '.join(ids)}")
        messages = sum(counts[k] for k in ("malicious", "suspicious", "clean"))
        print(
            f"{folder:34} {messages:8} {counts['malicious']:9} {counts['suspicious']:10}"
            f" {counts['clean']:5} {counts['errors']:6}"
        )
        print("\n".join(flagged), end="\n" if flagged else "")


def _is_mail(data: bytes) -> bool:
    from mailcheck.parse import detect_format

    kind = detect_format(data[:65536])
    return kind is not None and (kind != "msg" or sniff(data).kind == "msg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benign", action="store_true", help="also scan the benign corpora")
    parser.add_argument("--json", default="", help="write the per-file rows to this file")
    parser.add_argument("--verbose", action="store_true", help="list the URLs shown")
    options = parser.parse_args()
    if not (MALDOCS / "index.csv").is_file():
        raise SystemExit(f"no malware corpus at {MALDOCS.relative_to(ROOT.parent)}: nothing to do")
    rows = scan_maldocs(options.verbose)
    summary(rows)
    if options.json:
        Path(options.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if options.benign:
        scan_benign()
