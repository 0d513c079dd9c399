"""`mailcheck audit`: parallel scans in input order, resumable journal, report files, and
the findings only a whole folder shows."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLES
from folder_cases import (
    FOLDER_CASES,
    familiar_name_folder,
    mail,
    many_names_folder,
    ppap_folder,
)

from mailcheck.api import scan_path
from mailcheck.audit import AuditError, Options, Stop, run_audit
from mailcheck.audit import plan as plan_module
from mailcheck.audit.dispatch import run
from mailcheck.audit.jobs import Done, Entry
from mailcheck.audit.journal import JOURNAL, finished_units
from mailcheck.audit.plan import Stamp, Unit, batches, make_plan
from mailcheck.audit.rows import spreadsheet_cell
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.limits import DEFAULT
from mailcheck.records import replace


def write_folder(root: Path, files: list[tuple[str, bytes]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (root / name).write_bytes(data)
    return root


def numbered_mails(count: int, width: int = 3) -> list[tuple[str, bytes]]:
    """`count` plain messages from as many senders, named 000.eml, 001.eml, ..."""
    return [
        (
            f"{n:0{width}d}.eml",
            mail(f"S{n} <s{n}@example.com>", f"m{n}", "Tue, 01 Mar 2022 09:00:00 +0900"),
        )
        for n in range(count)
    ]


def audit(paths: list[Path], out: Path, **changes: object) -> tuple[object, tuple[str, ...]]:
    options = Options(
        paths=tuple(str(p) for p in paths),
        out=out,
        lang="en",
        limits=DEFAULT,
        config=DEFAULT_CONFIG,
        jobs=1,
        full=True,  # whole results, to compare with scan's; the short lines are tested apart
    )
    return run_audit(replace(options, **changes), Stop())


def results(out: Path) -> list[dict[str, object]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def name(item: dict[str, object]) -> str:
    return Path(str(item["source"]["path"])).name  # type: ignore[index]


def without_timings(items: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in item.items() if k != "timings_ms"} for item in items]


def ids(item: dict[str, object]) -> set[str]:
    return {f["id"] for f in item["findings"]}  # type: ignore[index, union-attr]


def by_path(items: list[dict[str, object]], name: str) -> dict[str, object]:
    return next(i for i in items if str(i["source"]["path"]).endswith(name))  # type: ignore[index]


def mbox_of(count: int) -> bytes:
    parts = []
    for n in range(count):
        message = mail(
            f"Sender {n} <s{n}@example.com>", f"message {n}", "Tue, 01 Mar 2022 09:00:00 +0900"
        )
        parts.append(b"From s@example.com Tue Mar  1 09:00:00 2022\r\n" + message + b"\r\n")
    return b"".join(parts)


# --- the reports --------------------------------------------------------------------------


def test_samples_audit_matches_scan_in_input_order(tmp_path: Path) -> None:
    out = tmp_path / "out"
    built, files = audit([SAMPLES], out)
    got = results(out)
    expected = [r for f in sorted(SAMPLES.iterdir()) for r in scan_path(f)]
    assert [(i["source"]["path"], i["source"]["index"]) for i in got] == [  # type: ignore[index]
        (r.source.path, r.source.index) for r in expected
    ]
    assert [i["verdict"] for i in got] == [r.verdict.label for r in expected]  # type: ignore[union-attr]
    assert [i["reasons"] for i in got] == [list(r.verdict.reasons) for r in expected]  # type: ignore[union-attr]
    assert set(files) >= {"results.jsonl", "results.csv", "errors.csv", "report.html"}
    assert all((out / name).is_file() for name in files)
    assert built.outline.count("malicious") == sum(  # type: ignore[attr-defined]
        r.verdict.label == "malicious"
        for r in expected  # type: ignore[union-attr]
    )


def test_csv_has_a_bom_one_row_per_message_and_no_formulas(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "in",
        [
            (
                "a.eml",
                mail(
                    '=HYPERLINK("http://x") <a@example.com>',
                    "=cmd|' /C calc'!A0",
                    "Tue, 01 Mar 2022 09:00:00 +0900",
                ),
            ),
            (
                "b.eml",
                mail(
                    "山田 太郎 <taro@example.jp>",
                    "【至急】請求書の件",
                    "Tue, 01 Mar 2022 09:00:00 +0900",
                ),
            ),
            ("c.eml", mail("x <c@example.com>", "+1 -1 @sum", "Tue, 01 Mar 2022 09:00:00 +0900")),
        ],
    )
    out = tmp_path / "out"
    audit([folder], out)
    raw = (out / "results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == 3
    assert rows[0]["subject"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["from_name"].startswith("'=HYPERLINK")
    assert (
        rows[1]["subject"] == "【至急】請求書の件" and rows[1]["from_address"] == "taro@example.jp"
    )
    assert rows[2]["subject"] == "'+1 -1 @sum"
    assert {row["verdict"] for row in rows} <= {"clean", "suspicious", "malicious"}


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_spreadsheet_cells_never_start_a_formula(cell: str) -> None:
    assert spreadsheet_cell(cell) == "'" + cell
    assert spreadsheet_cell("ok " + cell) == "ok " + cell


def test_errors_are_reported_and_not_mail_is_counted(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "in",
        [
            ("ok.eml", mail("a <a@example.com>", "hi", "Tue, 01 Mar 2022 09:00:00 +0900")),
            ("notes.txt", b"\x00\x01binary"),
        ],
    )
    os.mkfifo(folder / "pipe")
    out = tmp_path / "out"
    built, _ = audit([folder, tmp_path / "missing.eml"], out)
    outline = built.outline  # type: ignore[attr-defined]
    assert outline.total == 1 and outline.not_mail == 1
    assert any("missing.eml" in path for path, _ in outline.errors)
    errors = (out / "errors.csv").read_text(encoding="utf-8-sig")
    assert "missing.eml" in errors and "no such file" in errors


def test_an_mbox_is_cut_into_ranges_and_keeps_its_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_module, "MBOX_RANGE", 7)
    box = tmp_path / "in" / "archive.mbox"
    box.parent.mkdir()
    box.write_bytes(mbox_of(40))
    plan = make_plan([str(box)])
    assert plan.messages == 40 and len(list(plan.units())) == 6
    # The plan keeps the mbox as one entry and cuts its ranges as they are asked for.
    assert len(plan.inputs) == 1
    units = list(plan.units())
    assert [u.first_index for u in units] == list(range(0, 40, 7))
    assert [u.end for u in units[:-1]] == [u.start for u in units[1:]]
    assert units[-1].end == box.stat().st_size
    out = tmp_path / "out"
    audit([box], out, jobs=2)
    got = results(out)
    assert [i["source"]["index"] for i in got] == list(range(40))  # type: ignore[index]
    assert [i["message"]["subject"] for i in got] == [f"message {n}" for n in range(40)]  # type: ignore[index]


def test_two_jobs_give_the_same_results_as_one(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    audit([SAMPLES], one, jobs=1)
    audit([SAMPLES], two, jobs=2)
    assert without_timings(results(one)) == without_timings(results(two))
    assert (one / "results.csv").read_bytes() == (two / "results.csv").read_bytes()


def test_japanese_report_language(tmp_path: Path) -> None:
    out = tmp_path / "out"
    audit([SAMPLES / "01-hijacked-reply-macro.ja.eml"], out, lang="ja")
    item = results(out)[0]
    assert item["lang"] == "ja"
    assert any("マクロ" in f["title"] for f in item["findings"])  # type: ignore[union-attr, index]


# --- resuming -----------------------------------------------------------------------------


class StopAfter(Stop):
    """Asks to stop once `count` questions have been answered 'go on'."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.left = count

    def __call__(self) -> bool:
        self.left -= 1
        return self.left < 0


def test_resume_skips_what_is_done_and_completes_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_module, "BATCH", 4)
    folder = write_folder(tmp_path / "in", numbered_mails(80))
    out = tmp_path / "out"
    options = Options(
        paths=(str(folder),), out=out, lang="en", limits=DEFAULT, config=DEFAULT_CONFIG, jobs=1
    )
    built, _ = run_audit(options, StopAfter(3))
    partial = results(out)
    assert built.outline.interrupted  # type: ignore[attr-defined]
    assert 0 < len(partial) < 80
    units_before = len(finished_units(out / JOURNAL))
    # A torn last line (the process died while writing) is cut, not read.
    with (out / JOURNAL).open("ab") as journal:
        journal.write(b'{"t": "x", "path": "half')
    with pytest.raises(AuditError, match="--resume"):
        run_audit(options, Stop())
    resumed = Options(
        paths=(),
        out=out,
        lang="en",
        limits=DEFAULT,
        config=DEFAULT_CONFIG,
        jobs=1,
        resume=True,
        keep_journal=True,  # to count its units below
    )
    built, _ = run_audit(resumed, Stop())
    final = results(out)
    assert [name(i) for i in final] == [f"{n:03d}.eml" for n in range(80)]
    assert not built.outline.interrupted  # type: ignore[attr-defined]
    lines = (out / JOURNAL).read_text(encoding="utf-8").splitlines()
    units = [json.loads(line) for line in lines if line.startswith('{"t": "u"')]
    assert len(units) == 80  # nothing scanned twice
    assert units_before == len(partial)
    assert without_timings(final[: len(partial)]) == without_timings(partial)


def test_a_changed_file_is_scanned_again_on_resume(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "in",
        [("a.eml", mail("A <a@example.com>", "first", "Tue, 01 Mar 2022 09:00:00 +0900"))],
    )
    out = tmp_path / "out"
    audit([folder], out, keep_journal=True)
    (folder / "a.eml").write_bytes(
        mail("A <a@example.com>", "second version", "Tue, 01 Mar 2022 09:00:00 +0900")
    )
    audit([folder], out, resume=True)
    assert [i["message"]["subject"] for i in results(out)] == ["second version"]  # type: ignore[index]


def test_a_completed_audit_removes_its_journal_and_says_so_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "out"
    audit([SAMPLES], out)
    assert not (out / JOURNAL).exists()
    assert json.loads((out / "audit.json").read_text("utf-8"))["journal"] == "removed"
    assert len(results(out)) == 12  # the reports stay
    with pytest.raises(AuditError, match="journal was removed: nothing to resume"):
        audit([], out, resume=True)
    with pytest.raises(AuditError, match="holds a completed audit: --overwrite starts over"):
        audit([SAMPLES], out)  # the reports are not overwritten without being asked
    again = mailcheck("audit", "--resume", "--out", str(out), "--lang", "en")
    assert again.returncode == 3
    assert again.stderr.count("\n") == 1 and "--keep-journal" in again.stderr
    audit([SAMPLES / "04-newsletter.en.eml"], out, overwrite=True, keep_journal=True)
    assert (out / JOURNAL).exists()
    assert [Path(str(i["source"]["path"])).name for i in results(out)] == ["04-newsletter.en.eml"]  # type: ignore[index]


def test_an_interrupted_audit_keeps_its_journal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    options = Options(
        paths=(str(SAMPLES),), out=out, lang="en", limits=DEFAULT, config=DEFAULT_CONFIG, jobs=1
    )
    built, _ = run_audit(options, StopAfter(1))
    assert built.outline.interrupted  # type: ignore[attr-defined]
    assert (out / JOURNAL).exists()


def test_overwrite_starts_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    audit([SAMPLES / "03-genuine-reply.ja.eml"], out)
    audit([SAMPLES / "04-newsletter.en.eml"], out, overwrite=True)
    assert [Path(str(i["source"]["path"])).name for i in results(out)] == ["04-newsletter.en.eml"]  # type: ignore[index]


# --- the parallel loop --------------------------------------------------------------------


class FakeBackend:
    """Runs batches in this process; a batch holding a 'poison' unit fails whole, as a
    worker that died would; a 'hang' unit never answers."""

    capacity = 4

    def __init__(self) -> None:
        self.submitted: list[tuple[str, ...]] = []

    def submit(self, batch: tuple[Unit, ...], timeout: float) -> Future[tuple[Done, ...]]:
        self.submitted.append(tuple(u.path for u in batch))
        future: Future[tuple[Done, ...]] = Future()
        if any(u.path == "hang" for u in batch):
            return future  # never completes
        if any(u.path == "poison" for u in batch):
            future.set_exception(RuntimeError("worker died: EOFError"))
        else:
            future.set_result(
                tuple(Done(unit=u, entries=(Entry(index=None, line="{}"),)) for u in batch)
            )
        return future

    def close(self) -> None:
        pass


def unit(path: str) -> Unit:
    return Unit(path=path, order=0, stamp=Stamp(size=1, mtime_ns=1))


def test_a_failing_batch_is_retried_message_by_message() -> None:
    backend = FakeBackend()
    units = [unit("a"), unit("poison"), unit("b")]
    done = list(
        run(iter([tuple(units)]), backend, timeout=5, stopped=lambda: False, clock=time.monotonic)
    )
    outcome = {d.unit.path: d.entries[0] for d in done}
    assert set(outcome) == {"a", "poison", "b"}
    assert outcome["a"].line == "{}" and outcome["b"].line == "{}"
    assert outcome["poison"].error.startswith("scan failed") and "died" in outcome["poison"].error
    assert backend.submitted[0] == ("a", "poison", "b") and ("poison",) in backend.submitted


def test_a_batch_that_never_answers_becomes_an_error_not_a_hang() -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 100.0
        return now[0]

    done = list(
        run(iter([(unit("hang"),)]), FakeBackend(), timeout=1, stopped=lambda: False, clock=clock)
    )
    assert len(done) == 1 and "no answer" in done[0].entries[0].error


def test_batches_group_units_by_messages() -> None:
    units = [unit(str(n)) for n in range(70)]
    grouped = list(batches(units, size=32))
    assert [len(b) for b in grouped] == [32, 32, 6]


def test_an_mbox_range_is_cut_into_single_messages_for_a_retry() -> None:
    whole = Unit(
        path="m",
        order=0,
        stamp=Stamp(size=90, mtime_ns=1),
        offsets=(0, 30, 60),
        end=90,
        first_index=3,
    )
    alone = whole.alone()
    assert [(u.offsets, u.end, u.first_index) for u in alone] == [
        ((0,), 30, 3),
        ((30,), 60, 4),
        ((60,), 90, 5),
    ]


# --- what only a folder shows ---------------------------------------------------------------


def test_ppap_password_in_a_second_mail_opens_the_archive(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "in", ppap_folder())
    alone = next(iter(scan_path(folder / "01-archive.eml")))
    assert alone.verdict.label != "malicious"  # type: ignore[union-attr]
    out = tmp_path / "out"
    audit([folder], out)
    archive = by_path(results(out), "01-archive.eml")
    assert archive["verdict"] == "malicious"
    assert "attachment.macro.autoexec_exec" in ids(archive)
    paired = next(f for f in archive["findings"] if f["id"] == "audit.password_in_other_message")  # type: ignore[union-attr, index]
    assert paired["evidence"][0]["facts"]["other_message"].endswith("02-password.eml")
    assert "02-password.eml" in paired["explanation"]
    statuses = {a["status"] for a in archive["attachments"]}  # type: ignore[union-attr, index]
    assert "encrypted" not in statuses


def test_ppap_password_from_an_unrelated_sender_is_not_tried(tmp_path: Path) -> None:
    files = ppap_folder(password_sender="Someone Else <else@other.example>")
    # Another sender and another subject: no link between the two mails.
    files[1] = (
        files[1][0],
        files[1][1].replace("【パスワード】請求書送付の件".encode(), "別件".encode()),
    )
    folder = write_folder(tmp_path / "in", files)
    out = tmp_path / "out"
    audit([folder], out)
    archive = by_path(results(out), "01-archive.eml")
    assert "audit.password_in_other_message" not in ids(archive)
    assert archive["verdict"] != "malicious"


def test_one_address_many_names(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "in", many_names_folder())
    out = tmp_path / "out"
    audit([folder], out)
    got = results(out)
    assert all("audit.one_address_many_names" in ids(i) for i in got)
    finding = next(f for f in got[0]["findings"] if f["id"] == "audit.one_address_many_names")  # type: ignore[union-attr, index]
    assert finding["evidence"][0]["facts"]["name_count"] == "3"
    assert "office@hijacked.example" in finding["explanation"]


def test_two_names_on_one_address_are_not_many(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "in", many_names_folder()[:2])
    out = tmp_path / "out"
    audit([folder], out)
    assert not any("audit.one_address_many_names" in ids(i) for i in results(out))


def test_familiar_name_from_a_new_address(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "in", familiar_name_folder())
    out = tmp_path / "out"
    audit([folder], out)
    got = results(out)
    flagged = [
        Path(str(i["source"]["path"])).name
        for i in got
        if "audit.familiar_name_new_address" in ids(i)
    ]  # type: ignore[index]
    assert flagged == ["04-new.eml"]
    finding = next(
        f
        for f in by_path(got, "04-new.eml")["findings"]
        if f["id"] == "audit.familiar_name_new_address"
    )  # type: ignore[union-attr, index]
    assert finding["evidence"][0]["facts"]["usual_address"] == "taro.yamada@partner.example"


def test_a_new_address_of_the_same_organisation_is_not_flagged(tmp_path: Path) -> None:
    files = familiar_name_folder()
    files[-1] = (
        "04-new.eml",
        mail(
            "Taro Yamada <t.yamada@mail.partner.example>", "Re", "Tue, 01 Mar 2022 09:00:00 +0900"
        ),
    )
    folder = write_folder(tmp_path / "in", files)
    out = tmp_path / "out"
    audit([folder], out)
    assert not any("audit.familiar_name_new_address" in ids(i) for i in results(out))


def test_campaigns_group_flagged_messages_by_attachment(tmp_path: Path) -> None:
    first = (SAMPLES / "05-forwarded-invoice.en.eml").read_bytes()
    folder = write_folder(
        tmp_path / "in",
        [("a.eml", first), ("b.eml", first.replace(b"Subject:", b"Subject: again"))],
    )
    out = tmp_path / "out"
    built, _ = audit([folder], out)
    campaigns = built.outline.campaigns  # type: ignore[attr-defined]
    shared = [c for c in campaigns if c.kind == "sha256"]
    assert shared and {Path(k).name.split("#")[0] for k in shared[0].keys} == {"a.eml", "b.eml"}


@pytest.mark.parametrize("finding_id", sorted(FOLDER_CASES))
def test_folder_case_fires_its_finding(finding_id: str, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "in", FOLDER_CASES[finding_id]())
    out = tmp_path / "out"
    audit([folder], out)
    assert any(finding_id in ids(i) for i in results(out))


# --- the command --------------------------------------------------------------------------


def mailcheck(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailcheck", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        **kwargs,  # type: ignore[call-overload]
    )


def test_cli_summary_exit_status_and_no_progress_in_a_pipe(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = mailcheck("audit", "samples", "--out", str(out), "--lang", "en", "--jobs", "2")
    assert done.returncode == 4, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    assert "Flagged messages" in done.stdout and "MALICIOUS" in done.stdout
    assert "samples/01-hijacked-reply-macro.ja.eml " in done.stdout
    assert "samples/08-mailbox.mbox#1 " in done.stdout
    assert "report.html" in done.stdout
    again = mailcheck("audit", "samples", "--out", str(out))
    assert again.returncode == 3 and "completed audit: --overwrite" in again.stderr


def test_cli_summary_in_japanese(tmp_path: Path) -> None:
    done = mailcheck(
        "audit", "samples", "--out", str(tmp_path / "out"), "--lang", "ja", "--jobs", "1"
    )
    assert done.returncode == 4
    assert "危険・不審と判定されたメール" in done.stdout and "危険" in done.stdout


def test_cli_a_folder_without_mail_is_not_clean_and_says_so(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "in", [(f"n{n}.txt", b"shopping list\n") for n in range(5)])
    done = mailcheck("audit", str(folder), "--out", str(tmp_path / "out"), "--lang", "en")
    assert done.returncode == 5, done.stderr
    assert done.stderr.splitlines() == [
        f"mailcheck: no message was found in {folder} (5 files skipped as not mail)"
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    done = mailcheck("audit", str(empty), "--out", str(tmp_path / "out2"), "--lang", "en")
    assert done.returncode == 5
    assert done.stderr.splitlines() == [f"mailcheck: no message was found in {empty}"]


def test_cli_resume_with_nothing_left_says_so(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "in", numbered_mails(3, 1))
    out = tmp_path / "out"
    first = mailcheck(
        "audit", str(folder), "--out", str(out), "--lang", "en", "--jobs", "1", "--keep-journal"
    )
    assert first.returncode == 0, first.stderr
    assert "mailcheck audit: 3 messages in" in first.stdout
    again = mailcheck("audit", "--resume", "--out", str(out), "--lang", "en", "--jobs", "1")
    assert again.returncode == 0, again.stderr
    heading = again.stdout.splitlines()[0]
    assert heading == (
        "mailcheck audit: nothing left to scan: all 3 messages were scanned by an earlier run; "
        "the reports were written again"
    )
    assert "messages/s" not in again.stdout and "CLEAN 3" in again.stdout


def test_ctrl_c_leaves_valid_reports_and_resume_finishes(tmp_path: Path) -> None:
    files = numbered_mails(1500, 4)
    folder = write_folder(tmp_path / "in", files)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", "audit", str(folder), "--out", str(out), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    journal = out / JOURNAL
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not journal.exists() or journal.stat().st_size < 20_000):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    partial = results(out)  # every line parses
    assert 0 < len(partial) < 1500
    assert "--resume" in stdout
    rows = list(csv.reader((out / "results.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == len(partial) + 1
    finished = mailcheck("audit", "--resume", "--out", str(out))
    assert finished.returncode == 0, finished.stderr
    assert [name(i) for i in results(out)] == [f"{n:04d}.eml" for n in range(1500)]


def test_dask_local_cluster_gives_the_same_results(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    one, cluster = tmp_path / "jobs", tmp_path / "dask"
    audit([SAMPLES], one)
    audit([SAMPLES], cluster, dask="local")
    assert without_timings(results(one)) == without_timings(results(cluster))


def test_dask_local_cluster_has_one_single_thread_worker_per_job(tmp_path: Path) -> None:
    # --jobs sets the LocalCluster's workers, as it sets --jobs' own: `--dask local` and
    # `--jobs` are compared at the same number of workers (tools/bench_dask.py).
    pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    from mailcheck.audit import _backend

    options = Options(
        paths=(str(SAMPLES),),
        out=tmp_path,
        lang="en",
        limits=DEFAULT,
        config=DEFAULT_CONFIG,
        jobs=3,
        dask="local",
    )
    backend = _backend(options)
    try:
        threads = backend._client.nthreads()  # type: ignore[attr-defined]
        assert sorted(threads.values()) == [1, 1, 1]
        assert backend.capacity == 6
    finally:
        backend.close()


@pytest.mark.parametrize("dask", ["", "local"])
def test_the_workers_end_before_the_reports_are_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dask: str
) -> None:
    # The reports are where the driver needs the most memory: the worker processes (with
    # --dask local, the cluster's) must be gone by then, not held to the end of the audit.
    import multiprocessing

    from mailcheck.audit import amend, outputs

    if dask:
        pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    earlier = set(multiprocessing.active_children())  # e.g. an Office worker of another test
    workers: set[multiprocessing.process.BaseProcess] = set()
    left: list[multiprocessing.process.BaseProcess] = []
    amendments, build = amend.amendments, outputs.build

    def amending(*args: Any, **kwargs: Any) -> Any:
        workers.update(set(multiprocessing.active_children()) - earlier)
        return amendments(*args, **kwargs)

    def building(*args: Any, **kwargs: Any) -> Any:
        left.extend(p for p in multiprocessing.active_children() if p in workers)
        return build(*args, **kwargs)

    monkeypatch.setattr(amend, "amendments", amending)
    monkeypatch.setattr(outputs, "build", building)
    audit([SAMPLES], tmp_path / "out", jobs=2, dask=dask)
    assert workers, "the scan ran in no worker process"
    assert left == []


def test_workers_that_fail_to_end_do_not_cost_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailcheck.audit as audit_module

    made = audit_module._backend
    calls: list[str] = []

    def backend(options: Options) -> Any:
        real = made(options)
        close = real.close

        def failing() -> None:
            calls.append("close")
            close()
            if len(calls) == 1:
                raise RuntimeError("the cluster did not answer")

        real.close = failing  # type: ignore[method-assign]
        return real

    monkeypatch.setattr(audit_module, "_backend", backend)
    out = tmp_path / "out"
    audit([SAMPLES / "03-genuine-reply.ja.eml"], out)
    assert calls and (out / "results.csv").exists() and (out / "report.html").exists()


@pytest.mark.parametrize("block", [32, 64, 4096])
def test_mbox_offsets_cut_where_the_mbox_reader_cuts(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import random

    from mailcheck.parse import mbox

    monkeypatch.setattr(mbox, "_BLOCK", block)
    bodies = [
        "a\n",
        "\nFrom x\n",
        ">From y\n",
        "b\r\n\r\nFrom z\r\n",
        "x" * 70 + "\n",
        "\r\n\r\nFrom q\r\n\r\nFrom r\n",
    ]
    chooser = random.Random(block)
    for _ in range(300):
        count = chooser.randint(1, 6)
        data = "".join(
            f"From s{n} Mon\nSubject: {n}\n\n{chooser.choice(bodies)}\n" for n in range(count)
        ).encode()
        offsets = list(mbox.mbox_offsets(io.BytesIO(data)))
        messages = list(mbox.iter_mbox(io.BytesIO(data), 1 << 20))
        assert len(offsets) == len(messages)
        # Read alone, each range gives the message the whole-file reader gave.
        ends = [*offsets[1:], len(data)]
        for start, end, message in zip(offsets, ends, messages, strict=True):
            assert list(mbox.iter_mbox(io.BytesIO(data[start:end]), 1 << 20)) == [message]


def test_progress_is_drawn_on_a_terminal(tmp_path: Path) -> None:
    import pty

    files = numbered_mails(300)
    folder = write_folder(tmp_path / "in", files)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", "audit", str(folder), "--out", str(tmp_path / "out")],
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100", "LANG": "C.UTF-8"},
    )
    os.close(terminal)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    assert process.wait(120) == 0
    text = drawn.decode("utf-8", "replace")
    assert "/300" in text  # messages done of the total, counted up front
    assert "CLEAN" in text and "error" in text  # the running counts line
