"""An audit at archive scale: short lines for clean mail, --full, --compress, a journal
compacted once the audit completed, and a resumed run's summary that counts its own work."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES
from test_audit import StopAfter, audit, mail, write_folder

from mailcheck.audit import Options, Stop, run_audit
from mailcheck.audit import plan as plan_module
from mailcheck.audit.journal import JOURNAL
from mailcheck.audit.summary import render_summary
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.limits import DEFAULT
from mailcheck.records import replace


def lines(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        return [json.loads(line) for line in handle]


def test_clean_mail_is_one_short_line_and_flagged_mail_is_whole(tmp_path: Path) -> None:
    short, whole = tmp_path / "short", tmp_path / "whole"
    audit([SAMPLES], short, full=False)
    audit([SAMPLES], whole, full=True)
    got, full = lines(short / "results.jsonl"), lines(whole / "results.jsonl")
    assert [i["source"]["path"] for i in got] == [i["source"]["path"] for i in full]  # type: ignore[index]
    assert {i["verdict"] for i in got} == {"clean", "suspicious", "malicious"}
    for brief, item in zip(got, full, strict=True):
        if item["verdict"] == "clean":
            assert brief == {
                "record": "compact",
                "source": {"path": item["source"]["path"], "index": item["source"]["index"]},  # type: ignore[index]
                "message_id": item["message"]["message_id"],  # type: ignore[index]
                "verdict": "clean",
                "score": item["score"],
                "finding_ids": [f["id"] for f in item["findings"] if f["score"] > 0],  # type: ignore[attr-defined, index]
            }
            assert len(json.dumps(brief)) * 4 < len(json.dumps(item))
        else:
            assert {k: v for k, v in brief.items() if k != "timings_ms"} == {
                k: v for k, v in item.items() if k != "timings_ms"
            }
    # The CSV keeps every message's row whatever results.jsonl's form.
    assert (short / "results.csv").read_bytes() == (whole / "results.csv").read_bytes()


def test_the_journal_keeps_what_resume_needs_once_the_audit_completed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    audit([SAMPLES], out, full=False, keep_journal=True)
    before = (out / "results.jsonl").read_bytes()
    kinds = [json.loads(line)["t"] for line in (out / JOURNAL).read_text("utf-8").splitlines()]
    flagged = sum(1 for i in lines(out / "results.jsonl") if i["verdict"] != "clean")
    assert kinds.count("m") == flagged < kinds.count("x")  # clean results dropped
    built, _ = audit([], out, resume=True, full=False)
    assert built.fresh == 0  # type: ignore[attr-defined]
    assert (out / "results.jsonl").read_bytes() == before  # rebuilt the same


def test_compressed_results_are_read_by_render_and_kept_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _, files = audit([SAMPLES], out, full=False, compress=True, keep_journal=True)
    assert "results.jsonl.gz" in files and not (out / "results.jsonl").exists()
    items = lines(out / "results.jsonl.gz")
    assert len(items) == 12
    audit([], out, resume=True, full=False)  # no --compress: the audit's own choice stays
    assert (out / "results.jsonl.gz").exists() and not (out / "results.jsonl").exists()
    shown = subprocess.run(
        [sys.executable, "-m", "mailcheck", "render", str(out / "results.jsonl.gz")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    clean = sum(1 for i in items if i["verdict"] == "clean")
    assert shown.returncode == 4, shown.stderr
    assert f"{clean} clean messages saved in short form" in shown.stderr
    assert "01-hijacked-reply-macro.ja.eml" in shown.stdout


def test_a_resumed_summary_counts_this_runs_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_module, "BATCH", 4)
    folder = write_folder(
        tmp_path / "in",
        [
            (f"{n:03d}.eml", mail(f"S{n} <s{n}@example.com>", f"m{n}", "Tue, 01 Mar 2022"))
            for n in range(60)
        ],
    )
    out = tmp_path / "out"
    options = Options(
        paths=(str(folder),), out=out, lang="en", limits=DEFAULT, config=DEFAULT_CONFIG, jobs=1
    )
    first, _ = run_audit(options, StopAfter(3))
    assert 0 < first.fresh < 60 and first.before == 0
    resumed, files = run_audit(replace(options, resume=True), Stop())
    assert resumed.before == first.outline.total
    assert resumed.fresh + resumed.before == 60
    text = render_summary(resumed.outline, out, files, resumed.fresh, resumed.before)
    heading, second = text.splitlines()[:2]
    assert heading.startswith(f"mailcheck audit: {resumed.fresh} messages in ")
    assert second == (
        f"Resumed: {resumed.before} more messages were scanned by an earlier run"
        " (60 in the reports)."
    )


# --- the plan and the finished units live on disk ---------------------------------------------


def test_the_plan_keeps_its_inputs_in_sqlite_in_order(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "in",
        [
            (f"{n:03d}.eml", mail("a@example.com", f"m{n}", "Tue, 01 Mar 2022 09:00:00 +0000"))
            for n in range(300)
        ],
    )
    # Not a regular file: unreadable as an input whoever runs the tests (root included).
    unreadable = folder / "zz-pipe.eml"
    os.mkfifo(unreadable)
    named = [str(folder), str(folder / "007.eml"), str(unreadable), str(unreadable)]
    plan = plan_module.make_plan(named)
    assert isinstance(plan.inputs, plan_module.Inputs)
    names = [Path(unit.path).name for unit in plan.units()]
    # 007 and the pipe are named twice (a folder walk passes a pipe by): one input, one error.
    assert names[:3] == ["000.eml", "001.eml", "002.eml"] and len(names) == 300
    assert [Path(e.source.path).name for e in plan.errors] == ["zz-pipe.eml"]
    assert plan.files == 301  # the order the next input takes, the unreadable one counted
    base = plan.base(str(folder / "042.eml"))
    assert base is not None and base.order == 42
    assert plan.base(str(folder / "missing.eml")) is None
    assert plan.inputs.path_of(299) == str(folder / "299.eml")


def test_imap_messages_follow_the_files_and_undecodable_names_round_trip(tmp_path: Path) -> None:
    odd = tmp_path / "in" / b"caf\xe9.eml".decode("utf-8", "surrogateescape")
    odd.parent.mkdir()
    odd.write_bytes(mail("a@example.com", "odd", "Tue, 01 Mar 2022 09:00:00 +0000"))
    plan = plan_module.make_plan([str(odd.parent)])
    assert [unit.path for unit in plan.units()] == [str(odd)]
    url = "imaps://u@mail.example/INBOX;UIDVALIDITY=7/;UID=1"
    stamp = plan_module.Stamp(size=10, mtime_ns=0)
    assert plan.add_remote(plan_module.Unit(path=url, order=plan.files, stamp=stamp))
    assert not plan.add_remote(plan_module.Unit(path=url, order=plan.files, stamp=stamp))
    assert [unit.path for unit in plan.units()] == [str(odd), url]
    assert (plan.messages, plan.files) == (2, 2)


def test_finished_units_are_a_set_on_disk() -> None:
    from mailcheck.audit.journal import DoneUnits

    units = [("a.eml", 10, 5, 0), ("b.mbox", 99, 7, 0), ("b.mbox", 99, 7, 512), ("a.eml", 10, 5, 0)]
    done = DoneUnits(units)
    assert len(done) == 3 and bool(done)
    assert ("b.mbox", 99, 7, 512) in done
    assert ("b.mbox", 99, 8, 512) not in done and "b.mbox" not in done
    assert sorted(done) == sorted(set(units))
    assert not DoneUnits()
