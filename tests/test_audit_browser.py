"""report.html in a real browser: headless Chromium opens the page as a reader would (a
file:// URL), runs its script, and the DOM it ends with shows the counts and the messages,
with no script from a message having run. A screenshot proves the page is drawn."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from test_audit_html import EXPLANATION, JA_SUBJECT, sample_outline

from mailcheck.audit import Options, Stop, run_audit
from mailcheck.audit.html import render_html
from mailcheck.catalog import Lang
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.limits import DEFAULT
from mailcheck.records import replace

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed: apt-get install chromium")


def _run(tmp_path: Path, *args: str) -> str:
    command = [
        _browser(),
        "--headless",
        # Containers (and root, which Chromium refuses to sandbox) lack the namespaces the
        # sandbox needs; the page is our own file and its CSP blocks every fetch anyway.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",  # a container's /dev/shm is often 64 MB
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        # Headless Chromium waits forever on a dialog: an alert() from a message that ran.
        pytest.fail("chromium did not finish in 60 s: did a script open a dialog (alert)?")
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(sample_outline("ja")), encoding="utf-8")
    return path


def test_the_page_runs_its_script_and_no_message_script(report: Path, tmp_path: Path) -> None:
    # The fragment points at the second message: our script opens its findings.
    url = report.as_uri() + "#msg-2"
    dom = _run(tmp_path, "--virtual-time-budget=2000", "--dump-dom", url)
    html_tag = re.search(r"<html[^>]*>", dom)
    assert html_tag and 'data-ready="1"' in html_tag.group(0), "the page's script did not run"

    for name, count in [("total", 45), ("malicious", 2), ("suspicious", 3), ("clean", 40)]:
        assert re.search(rf'id="count-{name}">{count}<', dom), name
    assert JA_SUBJECT in dom
    assert EXPLANATION in dom

    # The hostile subject and name are text on the page, never elements or script.
    body_tag = re.search(r"<body[^>]*>", dom)
    assert body_tag and "data-pwned" not in body_tag.group(0)
    assert not re.search(r"<[a-z][^>]*\sdata-pwned", dom)
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert title and "pwned" not in title.group(1) and "メール監査レポート" in title.group(1)
    assert "&lt;script&gt;document.title='pwned'" in dom
    assert '<img src="x"' not in dom and "<svg" not in dom

    # Our script showed the filter controls and opened the message the URL points at.
    assert re.search(r'<div class="controls" id="controls">', dom)
    second = re.search(r'<tbody class="msg" id="msg-2".*?</tbody>', dom, re.DOTALL)
    assert second and "<details open" in second.group(0)


def test_the_page_is_drawn(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _run(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # A blank 1280x2000 page compresses to a few kilobytes; text, cards and bars do not.
    assert len(data) > 40_000, len(data)
    if os.environ.get("MAILCHECK_KEEP_SCREENSHOT"):  # to look at it by hand
        shutil.copy(shot, os.environ["MAILCHECK_KEEP_SCREENSHOT"])


# --- what a reader sees of a real audit: order, counts, addresses, the filter box ----------

# Appended to a copy of the page (the CSP allows inline script): measures what only a browser
# knows and leaves it, as JSON, in an attribute that --dump-dom shows.
PROBE = """<script>
(function () {
  "use strict";
  var out = {messages: [], addresses: [], placeholder: null};
  document.querySelectorAll("tbody.msg").forEach(function (body) {
    out.messages.push({
      file: body.rows[0].cells[6].textContent,
      severities: Array.prototype.map.call(body.querySelectorAll(".sev"), function (s) {
        return s.classList[1];
      }),
      summary: body.querySelector("details > summary").textContent
    });
  });
  // Each line an address is laid out on: a new line may start only at a break chance.
  document.querySelectorAll(".email").forEach(function (el) {
    var text = el.textContent, tops = [], range = document.createRange(), offset = 0;
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    var starts = [];
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      for (var i = 0; i < node.data.length; i += 1) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        var rect = range.getClientRects()[0];
        if (rect) {
          var top = Math.round(rect.top);
          if (tops.length && top > tops[tops.length - 1] + 2) { starts.push(offset + i); }
          tops.push(top);
        }
      }
      offset += node.data.length;
    }
    out.addresses.push({text: text, breaks: starts});
  });
  var input = document.getElementById("filter");
  if (input) {
    var style = getComputedStyle(input);
    var context = document.createElement("canvas").getContext("2d");
    context.font = style.font;
    out.placeholder = {
      text: input.placeholder,
      needed: context.measureText(input.placeholder).width,
      room: input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
    };
  }
  document.documentElement.setAttribute("data-probe", JSON.stringify(out));
})();
</script>"""

LONG_FROM = "accounts-receivable.notifications@billing-department.subsidiary-holdings.example.co.jp"


def _probe(
    page: Path, tmp_path: Path, width: int = 0, *, script: str = PROBE, budget: int = 2000
) -> dict[str, Any]:
    """What `script`, run at the end of a copy of `page` in headless Chromium, left as JSON
    in the page's data-probe attribute."""
    probed = tmp_path / f"probed-{page.name}"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8"
    )
    size = [f"--window-size={width},2000"] if width else []
    dom = _run(tmp_path, f"--virtual-time-budget={budget}", *size, "--dump-dom", probed.as_uri())
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, "the probe did not run"
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of a real audit in Japanese: a macro mail whose critical finding the scan
    lists last, a mail without files, and a sender with a long address."""
    folder = tmp_path_factory.mktemp("in")
    for sample in ("01-hijacked-reply-macro.ja.eml", "02-display-name-address.en.eml"):
        shutil.copy(SAMPLES / sample, folder / sample)
    long_from = (SAMPLES / "02-display-name-address.en.eml").read_bytes()
    long_from = long_from.replace(b"noreply@mailer.hacked.example", LONG_FROM.encode(), 1)
    (folder / "long.eml").write_bytes(long_from.replace(b"Subject: ", b"Subject: long ", 1))
    out = tmp_path_factory.mktemp("out")
    options = Options(
        paths=(str(folder),), out=out, lang="ja", limits=DEFAULT, config=DEFAULT_CONFIG, jobs=1
    )
    run_audit(options, Stop())
    return out / "report.html"


def _message(probe: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in probe["messages"] if m["file"].endswith(name))


def test_a_real_report_reads_right_in_the_browser(audited: Path, tmp_path: Path) -> None:
    probe = _probe(audited, tmp_path, 1100)
    rank = ["info", "low", "medium", "high", "critical"]
    macro = _message(probe, "01-hijacked-reply-macro.ja.eml")
    assert macro["severities"][0] == "critical", macro
    assert macro["severities"] == sorted(macro["severities"], key=rank.index, reverse=True)
    # The message's own text is not an attachment: one file, and none for a plain mail.
    assert "添付ファイル 1)" in macro["summary"], macro["summary"]
    assert "添付ファイル 0)" in _message(probe, "02-display-name-address.en.eml")["summary"]

    # Addresses break before "@" and "." (or after a hyphen), never inside a word.
    long_one = [a for a in probe["addresses"] if LONG_FROM in a["text"]]
    assert long_one and any(a["breaks"] for a in long_one), "the long address did not wrap"
    for address in probe["addresses"]:
        text = address["text"]
        for at in address["breaks"]:
            assert text[at] in "@." or text[at - 1] in "-/", (text, text[:at], text[at:])


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_filter_box_shows_its_whole_placeholder(
    lang: Lang, audited: Path, tmp_path: Path
) -> None:
    page = tmp_path / f"{lang}.html"
    page.write_text(render_html(sample_outline(lang)), encoding="utf-8")
    for width in (1280, 900):
        placeholder = _probe(page, tmp_path, width)["placeholder"]
        assert placeholder["text"]
        assert placeholder["needed"] <= placeholder["room"], (lang, width, placeholder)


# --- a report of many flagged messages -------------------------------------------------------


def test_a_report_of_5000_flagged_messages_opens_and_filters(tmp_path: Path) -> None:
    from mailcheck.audit.outputs import SHOWN
    from testkit.flagged_report import FILTER_PROBE, write_report

    out = tmp_path / "out"
    out.mkdir()
    write_report(out, 5000)
    probe = _probe(out / "report.html", tmp_path, script=FILTER_PROBE, budget=5000)
    assert probe["rows"] == SHOWN  # the worst, with a note that says where the rest is
    assert f"{SHOWN} worst of 5000 flagged" in probe["note"] and "results.csv" in probe["note"]
    assert probe["timeline"] == 5000  # every flagged message, not only those listed
    assert probe["visible"] == ["Invoice 000042"] and probe["count"] == "1"


# --- the folder groups: the folder filter, and sorting within each folder ---------------------

# Appended to the page: picks a folder, adds a text filter on top, clears both, sorts by score
# (lowest first) and leaves what the table showed at each step, as JSON.
FOLDER_PROBE = """<script>
(function () {
  "use strict";
  var visible = function (selector) {
    return Array.prototype.filter.call(document.querySelectorAll(selector), function (b) {
      return !b.hidden;
    });
  };
  var state = function () {
    return {
      folders: visible("tbody.folder").map(function (b) {
        return b.querySelector(".folder-name").textContent;
      }),
      rows: visible("tbody.msg").map(function (b) {
        return b.querySelector(".subject").textContent;
      }),
      count: document.getElementById("visible-count").textContent
    };
  };
  var select = document.getElementById("folder-filter");
  var input = document.getElementById("filter");
  var out = {options: Array.prototype.map.call(select.options, function (o) { return o.text; })};
  select.value = "2";
  select.dispatchEvent(new Event("change"));
  out.second = state();
  input.value = "inbox-2";  // only in the first folder
  input.dispatchEvent(new Event("input"));
  out.nothing = state();
  select.value = "";
  select.dispatchEvent(new Event("change"));
  out.text = state();
  input.value = "";
  input.dispatchEvent(new Event("input"));
  var score = document.querySelectorAll("#flagged-table thead th button")[1];
  score.click();  // worst first
  score.click();  // lowest first
  out.sorted = Array.prototype.map.call(document.querySelectorAll("#flagged-table > tbody"),
    function (b) {
      return b.classList.contains("folder")
        ? "folder " + b.querySelector(".folder-name").textContent
        : b.querySelector(".subject").textContent + " " + b.rows[0].cells[1].textContent;
    });
  document.documentElement.setAttribute("data-probe", JSON.stringify(out));
})();
</script>"""


def test_the_folder_filter_and_sorting_keep_each_message_under_its_folder(
    tmp_path: Path,
) -> None:
    from test_report_folders import imap_outline

    flagged = tuple(
        replace(m, subject=subject)
        for m, subject in zip(
            imap_outline("en"), ("inbox-1", "archive-1", "inbox-2", "archive-2"), strict=True
        )
    )
    page = tmp_path / "folders.html"
    rendered = render_html(replace(sample_outline("en"), flagged=flagged))
    page.write_text(rendered, encoding="utf-8")
    probe = _probe(page, tmp_path, script=FOLDER_PROBE)
    server = "imaps://taro@mail.example.jp"
    assert probe["options"] == [
        "All folders",
        f"INBOX ({server}): 2",
        f"取引先/2024 ({server}): 2",
    ]
    assert probe["second"] == {
        "folders": ["取引先/2024"],
        "rows": ["archive-1", "archive-2"],
        "count": "2",
    }
    assert probe["nothing"] == {"folders": [], "rows": [], "count": "0"}
    assert probe["text"] == {"folders": ["INBOX"], "rows": ["inbox-2"], "count": "1"}
    # Lowest score first within each folder; INBOX (the more malicious) stays first.
    assert probe["sorted"] == [
        "folder INBOX",
        "inbox-2 150",
        "inbox-1 180",
        "folder 取引先/2024",
        "archive-2 40",
        "archive-1 45",
    ]
