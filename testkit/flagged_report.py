"""An audit's report files for many flagged messages without scanning them: one real
flagged result (a sample scanned once) varied in path, subject, sender and date, fed to the
audit's report writer. For the browser test and tools/scale.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "01-hijacked-reply-macro.ja.eml"


# Appended to report.html: counts the rows and the timeline, filters for one subject, and
# leaves what it saw, as JSON, in an attribute that Chromium's --dump-dom shows.
FILTER_PROBE = """<script>
(function () {
  "use strict";
  var out = {rows: document.querySelectorAll("tbody.msg").length};
  var days = document.querySelectorAll(".day .num");
  out.timeline = Array.prototype.reduce.call(days, function (sum, n) {
    return sum + Number(n.textContent);
  }, 0);
  var note = document.getElementById("flagged-truncated");
  out.note = note ? note.textContent : "";
  var input = document.getElementById("filter");
  input.value = "Invoice 000042";
  input.dispatchEvent(new Event("input"));
  out.visible = Array.prototype.filter.call(document.querySelectorAll("tbody.msg"), function (b) {
    return !b.hidden;
  }).map(function (b) { return b.querySelector(".subject").textContent; });
  out.count = document.getElementById("visible-count").textContent;
  document.documentElement.setAttribute("data-probe", JSON.stringify(out));
})();
</script>"""


def flagged_results(count: int, lang: str = "en") -> Iterator[dict[str, Any]]:
    """`count` flagged results, half malicious, dated over 60 days of 2024."""
    from mailcheck.api import scan_path
    from mailcheck.catalog import load
    from mailcheck.report import json_codec

    (result,) = list(scan_path(SAMPLE))
    text = json.dumps(json_codec.to_dict(result, load(), lang), ensure_ascii=False)  # type: ignore[arg-type]
    for n in range(count):
        item: dict[str, Any] = json.loads(text)
        item["source"]["path"] = f"/archive/{n // 1000:03d}/{n:06d}.eml"
        item["message"]["subject"] = f"Invoice {n:06d}"
        item["message"]["from"] = {
            "name": f"Sender {n % 97}",
            "address": f"s{n % 97}@x{n % 13}.example",
        }
        item["message"]["date"] = f"{1 + n % 28:02d} {('Feb', 'Mar')[n % 2]} 2024 09:00:00 +0000"
        item["verdict"] = "malicious" if n % 2 == 0 else "suspicious"
        yield item


def write_report(directory: Path, count: int, lang: str = "en") -> None:
    """report.html (and the indicator files) of an audit whose `count` messages are flagged."""
    from mailcheck.audit.iocs import Collector
    from mailcheck.audit.outputs import _finish, _Tally
    from mailcheck.catalog import load

    tally = _Tally(load(), lang, Collector(()))  # type: ignore[arg-type]
    for position, item in enumerate(flagged_results(count, lang)):
        tally.counts[item["verdict"]] += 1
        tally.flag(item, position)
    _finish(directory, tally, lang, False, 1.0, ("/archive",))  # type: ignore[arg-type]
