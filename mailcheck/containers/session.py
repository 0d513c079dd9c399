"""What every opener shares: the bounds of one archive and the members and findings it yields.

An opener walks its container and hands each member's decompressed bytes to an
`Accumulator`, which keeps the first part (up to `max_member_bytes`) and only counts the
rest, so a member that inflates to gigabytes costs CPU time but never memory. `Session`
turns the counts into findings (`attachment.inflated`, `limit.*`) and the `Opened` result.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable

from ..model import AttachmentStatus, Evidence, Hit
from ..names import CODE_FILE_KINDS, claimed_kind
from ..records import record
from .interface import Member, Opened, OpenRequest

# Ratios mean little for small outputs: a blank 100 KiB form compresses 500:1 and is
# harmless. Bombs are about bytes out, so the ratio bound applies only beyond this.
RATIO_FLOOR = 1024 * 1024
# Decompressed bytes an opener asks for at a time: small enough that no single step
# allocates much, large enough that a 600 MB member is counted in about a second.
CHUNK = 1024 * 1024
# How far past the member bound an archive may keep counting (in multiples of the bound),
# to tell a padded member (mostly zeros) from one that is merely large.
COUNT_FACTOR = 16
ReadFn = Callable[[int], bytes]  # read(n): at most n decompressed bytes, b"" at the end
# Memory an LZMA/PPMd decoder may use for its dictionary: the largest that 7-Zip's and xz's
# strongest presets write (64 MiB) with room to spare, or twice the member bound if larger.
DECODER_MEMORY = 128 * 1024 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SHOWN = 5  # names listed in one finding's evidence
# Past the member bound, names are still read up to this many times the bound (headers
# only, cheap), though only as many again as the bound are kept for the report.
NAME_WALK_FACTOR = 100
# Locked members whose names alone are evidence, and the finding each kind of name gives.
_LOCKED_BY_NAME = (
    ("attachment.encrypted_program", frozenset({"program", "shortcut", "disk image"})),
    (
        "attachment.encrypted_macro_document",
        frozenset({"macro document", *CODE_FILE_KINDS.values()}),
    ),
)
_STATUS_RANK: dict[AttachmentStatus, int] = {
    "ok": 0,
    "truncated": 1,
    "skipped": 2,
    "broken": 3,
    "encrypted": 4,
}


def display_name(name: str) -> str:
    """A file name as it stands in attachment paths: attacker text, never a separator."""
    return _UNSAFE.sub("_", name)[:200]


def shown_name(name: str) -> str:
    """A member name for evidence text: separators kept (they are the point), controls not."""
    return _CONTROL.sub("?", name)[:200]


def passed_payloads(
    location: str, container: str, names: list[str], passed: int, count: int = -1
) -> Hit | None:
    """Names that run code among the files a bound kept closed (`count` of them, if more
    than `names` holds): padding a container with harmless files, or nesting it deeper
    than the scan goes, must not hide the payload."""
    named = [(n, kind) for n in names if (kind := claimed_kind(n))]
    if not named:
        return None
    shown = ", ".join(f"{shown_name(n)} ({kind})" for n, kind in named[:_SHOWN])
    facts = (
        ("attachment", container),
        ("names", shown),
        ("count", str(max(count, len(named)))),
        ("passed", str(passed)),
    )
    evidence = Evidence(location=location, excerpt=shown[:300], facts=facts)
    return Hit(id="attachment.payload_past_limit", evidence=(evidence,))


def escapes_root(name: str) -> bool:
    """True for member names that would land outside the extraction folder (zip-slip)."""
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        return True
    return ".." in path.split("/")


@record
class Drained:
    """One member's bytes as read: the kept prefix and what was counted in total."""

    data: bytes
    counted: int  # decompressed bytes seen, kept or not
    crc: int  # CRC-32 of everything counted
    finished: bool  # the stream ended by itself (not cut at a bound, no error)
    ratio_cut: bool  # keeping stopped because the output was too dense
    error: str = ""


class Accumulator:
    """Keeps the first `keep` bytes of a stream and counts the rest up to `allowance`."""

    def __init__(self, *, keep: int, allowance: int, ratio: int, packed: int, claimed: int):
        self.keep = keep
        self.allowance = allowance
        self.ratio = ratio
        self.packed = max(packed, 1)
        self.claimed = claimed  # -1: the container does not say
        self.chunks: list[bytes] = []
        self.kept = 0
        self.counted = 0
        self.crc = 0
        self.keeping = True
        self.ratio_cut = False

    def feed(self, chunk: bytes) -> bool:
        """Take one decompressed chunk; False once reading further is pointless."""
        self.counted += len(chunk)
        self.crc = zlib.crc32(chunk, self.crc)
        if self.keeping:
            room = self.keep - self.kept
            if room > 0:
                part = chunk[:room]
                self.chunks.append(part)
                self.kept += len(part)
            dense = self.counted > RATIO_FLOOR and self.counted > self.packed * self.ratio
            # A member that admits to being large is kept up to the bound (the padded
            # document's head is what the analyzers need); anything else that turns out to
            # be this dense stops being kept, but is still counted to see how far it goes.
            if dense and self.claimed <= self.keep:
                self.keeping = False
                self.ratio_cut = True
        return self.counted - self.kept <= self.allowance

    def result(self, *, finished: bool, error: str = "") -> Drained:
        return Drained(
            data=b"".join(self.chunks),
            counted=self.counted,
            crc=self.crc,
            finished=finished and not error,
            ratio_cut=self.ratio_cut,
            error=error,
        )


class Session:
    """The bounds, members and findings of one container being opened."""

    def __init__(self, request: OpenRequest) -> None:
        self.request = request
        self.budget = request.budget
        self.limits = request.budget.limits
        self.keep = self.limits.max_member_bytes
        # Counting past the member bound is shared by the whole archive: a thousand
        # padded members are counted as far as one would be.
        self.allowance = self.keep * COUNT_FACTOR
        timeout = self.limits.archive_timeout
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.members: list[Member] = []
        self.hits: list[Hit] = []
        self.status: AttachmentStatus = "ok"
        self.admitted = 0
        self.stopped = False
        self.full = False  # the scan's byte bound is spent: nothing more can be kept
        # Members a bound kept closed: listed by name (cheap), never silently dropped.
        self.passed: list[str] = []
        self.passed_count = 0
        self.passed_code: list[str] = []  # the first few passed names that run code
        self.passed_code_count = 0
        self._timed_out = False

    # --- bookkeeping -----------------------------------------------------------------

    @property
    def decoder_memory(self) -> int:
        return max(DECODER_MEMORY, 2 * self.keep)

    @property
    def location(self) -> str:
        return self.request.location

    def member_path(self, name: str) -> str:
        return f"{self.request.path}/{display_name(name)}"

    def mark(self, status: AttachmentStatus) -> None:
        if _STATUS_RANK[status] > _STATUS_RANK[self.status]:
            self.status = status

    def out_of_time(self) -> bool:
        if time.monotonic() <= self.deadline:
            return False
        if not self._timed_out:
            self._timed_out = True
            self.budget.hit("archive_timeout", self.location, limit=f"{self.timeout:g}")
            self.mark("truncated")
        self.stopped = True
        return True

    def admit(self, name: str) -> bool:
        """Account for one more member: True to open it. Past a count bound only a name
        that runs code is still opened (`Budget.rescue`); every other name is listed
        as passed over. Openers keep walking names while `listing` says so."""
        if self.out_of_time():
            self._pass(name)
            return False
        if not self.stopped:
            if self.admitted >= self.limits.max_archive_members:
                self.budget.hit(
                    "max_archive_members",
                    self.location,
                    limit=str(self.limits.max_archive_members),
                )
                self._stop()
            else:
                self.admitted += 1
                if self.budget.take_part(f"attachment {self.member_path(name)}"):
                    return True
                self._stop()
        return self._rescue(name)

    def _rescue(self, name: str) -> bool:
        if not self.full and self.budget.rescue(claimed_kind(name)):
            return True
        self._pass(name)
        return False

    def _pass(self, name: str) -> None:
        self.passed_count += 1
        if len(self.passed) < self.limits.max_archive_members:
            self.passed.append(name)
        if claimed_kind(name):
            self.passed_code_count += 1
            if len(self.passed_code) < _SHOWN:
                self.passed_code.append(name)

    @property
    def listing(self) -> bool:
        """Whether names past a bound are still worth reading: a name costs a header read,
        and one that runs code is still opened or reported; not once time is up."""
        bound = NAME_WALK_FACTOR * self.limits.max_archive_members
        return not self._timed_out and self.passed_count < bound

    def _stop(self) -> bool:
        self.stopped = True
        self.mark("truncated")
        return False

    def finding(self, finding_id: str, location: str, excerpt: str = "", **facts: str) -> None:
        evidence = Evidence(location=location, excerpt=excerpt[:300], facts=tuple(facts.items()))
        self.hits.append(Hit(id=finding_id, evidence=(evidence,)))

    def traversal(self, names: list[str]) -> None:
        if names:
            shown = ", ".join(shown_name(n) for n in names[:_SHOWN])
            self.finding(
                "attachment.archive_path_traversal",
                self.location,
                excerpt=shown,
                attachment=self.request.path,
                names=shown,
                count=str(len(names)),
            )

    def symlinks(self, links: list[tuple[str, str]]) -> None:
        if links:
            shown = "; ".join(f"{shown_name(n)} -> {shown_name(t)}" for n, t in links[:_SHOWN])
            self.finding(
                "attachment.archive_symlink",
                self.location,
                excerpt=shown,
                attachment=self.request.path,
                links=shown,
                count=str(len(links)),
            )

    def locked(self, names: list[str], tried: int) -> None:
        """Members no password candidate opened: the archive was not (fully) checked.

        Their names are readable without the password, and a name alone can be evidence:
        nobody needs to see the bytes of a locked `invoice.exe` to know what it claims to be.
        """
        if not names:
            return
        self.mark("encrypted")
        self.finding(
            "attachment.encrypted_archive",
            self.location,
            excerpt=", ".join(shown_name(n) for n in names[:_SHOWN]),
            attachment=self.request.path,
            locked=str(len(names)),
            tried=str(tried),
        )
        for finding_id, kinds in _LOCKED_BY_NAME:
            named = [(n, claimed_kind(n)) for n in names if claimed_kind(n) in kinds]
            if named:
                shown = ", ".join(f"{shown_name(n)} ({kind})" for n, kind in named[:_SHOWN])
                self.finding(
                    finding_id,
                    self.location,
                    excerpt=shown,
                    attachment=self.request.path,
                    names=shown,
                    count=str(len(named)),
                )

    def unlocked(self, password: str, tried: int) -> None:
        self.finding(
            "attachment.archive_password_in_body",
            self.location,
            excerpt=password,
            attachment=self.request.path,
            password=password,
            tried=str(tried),
        )

    @property
    def max_tries(self) -> int:
        return self.limits.max_password_tries

    def too_many_tries(self) -> None:
        self.budget.hit("max_password_tries", self.location, limit=str(self.max_tries))

    def unreadable(self, fmt: str, reason: str, status: AttachmentStatus = "broken") -> None:
        """The container (or part of it) could not be opened: say so, never stay silent."""
        self.mark(status)
        self.finding(
            "attachment.archive_unsupported",
            self.location,
            excerpt=reason,
            attachment=self.request.path,
            format=fmt,
            reason=reason[:200],
        )

    # --- reading -----------------------------------------------------------------------

    def accumulator(self, *, packed: int, claimed: int) -> Accumulator:
        return Accumulator(
            keep=self.keep,
            allowance=self.allowance,
            ratio=self.limits.max_compression_ratio,
            packed=packed,
            claimed=claimed,
        )

    def drain(self, read: ReadFn, *, packed: int, claimed: int) -> Drained:
        """Read a member through `read(n)` with every bound applied; never raises."""
        acc = self.accumulator(packed=packed, claimed=claimed)
        try:
            while True:
                if self.out_of_time():
                    return acc.result(finished=False)
                chunk = read(CHUNK)
                if not chunk:
                    return acc.result(finished=True)
                if not acc.feed(chunk):
                    return acc.result(finished=False)
        except Exception as exc:  # damaged or wrongly decrypted data, from any library
            return acc.result(finished=False, error=f"{type(exc).__name__}: {exc}"[:200])
        finally:
            self.settle(acc)

    def settle(self, acc: Accumulator) -> None:
        """Charge what `acc` counted beyond what it kept to the archive's allowance."""
        self.allowance = max(0, self.allowance - max(0, acc.counted - acc.kept))

    def add(self, name: str, drained: Drained, *, packed: int, claimed: int) -> bool:
        """Judge a drained member and keep it as a child; False once the total bound is hit."""
        path = self.member_path(name)
        location = f"attachment {path}"
        size = max(drained.counted, claimed)
        ratio = size // max(packed, 1)
        truncated = not drained.finished or len(drained.data) < drained.counted
        if size > self.keep and ratio > self.limits.max_compression_ratio:
            self.finding(
                "attachment.inflated",
                location,
                excerpt=f"claimed {max(claimed, 0)} bytes, {drained.counted} bytes counted",
                attachment=path,
                archive=self.request.path,
                member=display_name(name),
                size=str(size),
                claimed_size=str(max(claimed, 0)),
                inflated_bytes=str(drained.counted),
                stored_bytes=str(packed),
                ratio=str(ratio),
            )
        elif drained.ratio_cut:
            self.budget.hit(
                "max_compression_ratio",
                location,
                limit=str(self.limits.max_compression_ratio),
                ratio=str(drained.counted // max(packed, 1)),
            )
        elif drained.counted > self.keep:
            self.budget.hit("max_member_bytes", location, limit=str(self.keep))
        if drained.error:
            self.mark("broken")
        elif truncated:
            self.mark("truncated")
        if not self.budget.take_bytes(len(drained.data), location):
            self.full = True
            self._pass(name)
            return self._stop()
        self.members.append(Member(name=name, data=drained.data, truncated=truncated))
        return True

    def opened(self) -> Opened:
        self._passed_payloads()
        listed = tuple(Member(name=name, data=b"", skipped=True) for name in self.passed)
        return Opened(
            status=self.status, members=(*self.members, *listed), hits=tuple(self.hits)
        )

    def _passed_payloads(self) -> None:
        hit = passed_payloads(
            self.location,
            self.request.path,
            self.passed_code,
            self.passed_count,
            self.passed_code_count,
        )
        if hit is not None:
            self.hits.append(hit)
