"""report.html groups the flagged messages by folder: the IMAP folder of a message on a
server, the directory of a file, the mbox a message was cut from. Each folder has a header
row with its counts (over every flagged message, listed or not) and the messages under it;
a folder filter sits beside the others."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SAMPLES
from test_audit_html import sample_outline

from mailcheck.audit import Options, Stop, run_audit
from mailcheck.audit.html import render_html
from mailcheck.audit.outline import Flagged, Folder, folder_of
from mailcheck.audit.remote import Server, mailbox_of, message_url
from mailcheck.catalog import Lang
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.limits import DEFAULT
from mailcheck.records import replace

SERVER = Server(scheme="imaps", user="taro", host="mail.example.jp", port=993)
ARCHIVE = "取引先/2024"  # a Japanese, nested folder name


@dataclass
class Group:
    """One folder's header row and the rows under it, as the page has them."""

    number: str
    name: str = ""
    server: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""
    keys: list[str] = field(default_factory=list)  # the location cell of each row


class _Groups(HTMLParser):
    """The flagged table's folder groups, in page order; a row must say it belongs to the
    group it is under."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[Group] = []
        self.options: list[tuple[str, str]] = []  # the folder filter's (value, text)
        self._into: tuple[str, str] | None = None  # (what the text is, badge verdict)
        self._text = ""
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "tbody" and "folder" in classes:
            self.groups.append(Group(number=str(found["data-folder"])))
        elif tag == "tbody" and "msg" in classes:
            assert self.groups, "a message row before any folder header"
            assert found["data-folder"] == self.groups[-1].number, "a row under another folder"
        elif tag == "span" and "folder-name" in classes:
            self._start("name")
        elif tag == "span" and "server" in classes:
            self._start("server")
        elif tag == "span" and found.get("data-count"):
            self._start("count", str(found["data-count"]))
        elif tag == "span" and "note" in classes and self._in_header():
            self._start("note")
        elif tag == "td" and "path" in classes:
            self._start("key")
        elif tag == "option":
            self._option, self._text = str(found["value"]), ""

    def _in_header(self) -> bool:
        return bool(self.groups) and not self.groups[-1].keys and self._into is None

    def _start(self, what: str, verdict: str = "") -> None:
        self._into, self._text = (what, verdict), ""

    def handle_data(self, data: str) -> None:
        if self._into is not None or self._option is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            self.options.append((self._option, self._text.strip()))
            self._option = None
        if self._into is None or tag not in ("span", "td"):
            return
        what, verdict = self._into
        group, text = self.groups[-1], self._text.strip()
        if what == "count":
            group.counts[verdict] = int(text.rsplit(" ", 1)[1])
        elif what == "key":
            group.keys.append(text)
        else:
            setattr(group, what, text)
        self._into = None


def groups_of(page: str) -> _Groups:
    parser = _Groups()
    parser.feed(page)
    return parser


def summary(page: str) -> list[tuple[str, str, int, int, list[str]]]:
    """(folder, server, malicious, suspicious, locations of its rows) of each group."""
    return [
        (g.name, g.server, g.counts["malicious"], g.counts["suspicious"], g.keys)
        for g in groups_of(page).groups
    ]


# --- where a message's folder is ----------------------------------------------------------------


def test_the_folder_of_an_imap_message_a_file_and_an_mbox_message() -> None:
    url = message_url(SERVER, ARCHIVE, 7, 42)
    assert mailbox_of(url) == ("imaps://taro@mail.example.jp", ARCHIVE)
    assert folder_of(url, None) == Folder(
        key=f"imaps://taro@mail.example.jp/{ARCHIVE}",
        name=ARCHIVE,
        server="imaps://taro@mail.example.jp",
    )
    # A folder name holding what a URL escapes reads as the mail client shows it.
    odd = message_url(SERVER, "Q1; 100% done", 7, 1)
    assert "Q1%3B%20100%25%20done" in odd and mailbox_of(odd) == (SERVER.name, "Q1; 100% done")
    assert folder_of("mail/経理/invoice.eml", None) == Folder(key="mail/経理", name="mail/経理")
    assert folder_of("mail/saved.mbox", 3) == Folder(key="mail/saved.mbox", name="mail/saved.mbox")
    assert mailbox_of("mail/INBOX;UIDVALIDITY=1/;UID=2") is None


def test_a_message_url_gives_back_where_to_fetch_it() -> None:
    # The fetcher keeps nothing per message: the server, folder, UIDVALIDITY and UID it
    # fetches are read back from the message's name.
    from mailcheck.audit.remote import place_of

    odd = "Q1; 100% done/#?"
    assert place_of(message_url(SERVER, odd, 4294967295, 123456)) == (
        SERVER.name,
        odd,
        4294967295,
        123456,
    )
    assert place_of(message_url(SERVER, ARCHIVE, 7, 42)) == (SERVER.name, ARCHIVE, 7, 42)
    assert place_of("mail/INBOX;UIDVALIDITY=1/;UID=2") is None


# --- IMAP folders -------------------------------------------------------------------------------


def imap_outline(lang: Lang) -> tuple[Flagged, ...]:
    """The sample's three messages and a fourth, on a server: two in INBOX, two in ARCHIVE,
    worst first across folders (so a flat list would interleave them)."""
    first, second, third = sample_outline(lang).flagged
    fourth = replace(second, subject="Fourth", verdict="suspicious", score=40)
    places = [("INBOX", 11), (ARCHIVE, 5), ("INBOX", 12), (ARCHIVE, 6)]
    return tuple(
        replace(m, key=url, path=url, index=None)
        for m, url in zip(
            (first, second, third, fourth),
            (message_url(SERVER, folder, 3, uid) for folder, uid in places),
            strict=True,
        )
    )


@pytest.mark.parametrize(
    ("lang", "folder", "every"),
    [("ja", "フォルダー", "すべてのフォルダー"), ("en", "Folder", "All folders")],
)
def test_messages_of_two_imap_folders_are_grouped_by_folder(
    lang: Lang, folder: str, every: str
) -> None:
    flagged = imap_outline(lang)
    page = render_html(replace(sample_outline(lang), flagged=flagged))
    inbox, archive = (
        [f"{SERVER.name}/{name};UIDVALIDITY=3/;UID={uid}" for uid in uids]
        for name, uids in (("INBOX", (11, 12)), ("取引先/2024", (5, 6)))
    )
    # The folder with more malicious mail first; within it, the outline's worst-first order.
    assert summary(page) == [
        ("INBOX", "imaps://taro@mail.example.jp", 2, 0, inbox),
        ("取引先/2024", "imaps://taro@mail.example.jp", 0, 2, archive),
    ]
    parsed = groups_of(page)
    assert parsed.options == [
        ("", every),
        ("1", "INBOX (imaps://taro@mail.example.jp): 2"),
        ("2", "取引先/2024 (imaps://taro@mail.example.jp): 2"),
    ]
    assert f"<label>{folder} <select id=\"folder-filter\">" in page
    assert all(not g.note for g in parsed.groups)  # every message of each folder is listed
    # The anchors the campaigns link to still name the outline's rows.
    assert 'id="msg-2" data-verdict="suspicious" data-folder="2"' in page


def test_folder_counts_cover_messages_past_the_cap(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mailcheck.audit import outputs
    from mailcheck.audit.iocs import Collector
    from mailcheck.catalog import load
    from testkit.flagged_report import flagged_results

    monkeypatch.setattr(outputs, "SHOWN", 3)
    tally = outputs._Tally(load(), "en", Collector(()))
    # Eight results, malicious at even n: INBOX holds n = 0, 1, 2, 4, 6 and Spam 3, 5, 7.
    for n, item in enumerate(flagged_results(8)):
        folder = "Spam" if n in (3, 5, 7) else "INBOX"
        item["source"]["path"] = message_url(SERVER, folder, 9, 100 + n)
        tally.counts[item["verdict"]] += 1
        tally.flag(item, n)
    built = outputs._finish(tmp_path, tally, "en", False, 1.0, ())
    assert dict((f.name, (m, s)) for f, m, s in built.outline.folders) == {
        "INBOX": (4, 1),
        "Spam": (0, 3),
    }
    found = groups_of((tmp_path / "report.html").read_text(encoding="utf-8")).groups
    # The three listed are the malicious n = 0, 2, 4, all in INBOX: its counts are over all
    # five of its messages and it says how many are listed. Spam has none listed: no group.
    assert [(g.name, g.counts, g.keys, g.note) for g in found] == [
        (
            "INBOX",
            {"malicious": 4, "suspicious": 1},
            [message_url(SERVER, "INBOX", 9, 100 + n) for n in (0, 2, 4)],
            "3 of them listed here",
        ),
    ]


# --- files: directories and an mbox ---------------------------------------------------------------


@pytest.fixture(scope="module")
def file_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real audit of mail/sales (a malicious and a suspicious file), mail/経理 (one
    malicious file) and mail/saved.mbox (one suspicious message of three)."""
    root = tmp_path_factory.mktemp("in") / "mail"
    for folder, names in (
        ("sales", ("01-hijacked-reply-macro.ja.eml", "02-display-name-address.en.eml")),
        ("経理", ("05-forwarded-invoice.en.eml", "03-genuine-reply.ja.eml")),
    ):
        (root / folder).mkdir(parents=True)
        for name in names:
            shutil.copy(SAMPLES / name, root / folder / name)
    shutil.copy(SAMPLES / "08-mailbox.mbox", root / "saved.mbox")
    out = tmp_path_factory.mktemp("out")
    options = Options(
        paths=(str(root),), out=out, lang="ja", limits=DEFAULT, config=DEFAULT_CONFIG, jobs=1
    )
    run_audit(options, Stop())
    return out / "report.html"


def test_files_of_two_directories_and_an_mbox_are_grouped_by_folder(file_audit: Path) -> None:
    page = file_audit.read_text(encoding="utf-8")
    found = [
        (Path(name).name, counts, [Path(key).name for key in keys])
        for name, _, *counts, keys in summary(page)
    ]
    assert found == [
        ("sales", [1, 1], ["01-hijacked-reply-macro.ja.eml", "02-display-name-address.en.eml"]),
        ("経理", [1, 0], ["05-forwarded-invoice.en.eml"]),  # the genuine reply is clean
        ("saved.mbox", [0, 1], ["saved.mbox#1"]),
    ]
    assert all(not server for _, server, *_ in summary(page))
    assert "フォルダー" in page and "すべてのフォルダー" in page


def test_one_folder_has_its_header_and_no_folder_filter() -> None:
    first, _, third = sample_outline("en").flagged
    page = render_html(replace(sample_outline("en"), flagged=(first, third)))
    assert summary(page) == [("inbox", "", 2, 0, ["inbox/invoice.eml", "inbox/reply.eml"])]
    assert 'id="folder-filter"' not in page
