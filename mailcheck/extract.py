"""Extract stage: the attachment tree of a message, with nested messages opened.

Produces two views of the same tree: `model.Attachment` nodes for the report (no bytes)
and `Item`s (with bytes) for the attachment analyzers. Nested messages are parsed here
so that the analyzers see them like the top-level one.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .containers import OPENERS, PAGE_KINDS, DocumentAction, Member, Opener, OpenRequest
from .containers.session import display_name, passed_payloads
from .limits import Budget
from .model import ATTACHMENT_ROLES, Attachment, AttachmentRole, AttachmentStatus, Evidence, Hit
from .names import claimed_kind
from .parse import NotAMessageError, parse_message
from .parse.types import Leaf, ParsedMessage
from .records import record, replace
from .sniff import Sniffed, sniff

if TYPE_CHECKING:
    from .engine import Engine

Passwords = Callable[[], tuple[str, ...]]  # a message's candidates, harvested on demand


@record
class Item:
    """One analysable node of the tree: a MIME leaf or (later) an archive member."""

    path: str
    filename: str
    declared_type: str
    sniffed: Sniffed
    data: bytes
    sha256: str  # hex digest, computed once for the report and every cache key
    depth: int
    role: str  # body, inline, attachment, member
    # The message whose attachment tree holds it: "" for the scanned message, else the
    # prefix of the attached message, as on `NestedMessage` ("attachment 2/fwd.eml: ").
    prefix: str = ""
    # A document's own links and actions, as its opener read them (a PDF's).
    links: tuple[str, ...] = ()
    actions: tuple[DocumentAction, ...] = ()

    @property
    def location(self) -> str:
        return f"attachment {self.path}"


@record
class NestedMessage:
    prefix: str  # location prefix for everything found inside, e.g. "attachment 2/fwd.eml: "
    message: ParsedMessage
    depth: int


@dataclass(slots=True)
class Extraction:
    attachments: list[Attachment] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    messages: list[NestedMessage] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)  # about containers and attached messages


def _role(value: str) -> AttachmentRole:
    """A leaf's disposition or an item's role as the report's closed vocabulary."""
    for role in ATTACHMENT_ROLES:
        if value == role:
            return role
    return "attachment"


def _node_path(parent: str, leaf: Leaf) -> str:
    own = f"{leaf.path}/{display_name(leaf.filename)}" if leaf.filename else leaf.path
    return f"{parent}/{own}" if parent else own


class _Extractor:
    def __init__(
        self,
        budget: Budget,
        passwords: tuple[str, ...],
        openers: Mapping[str, Opener],
        engine: Engine | None,
    ) -> None:
        self.budget = budget
        self.extra_passwords = passwords  # from elsewhere (an audit), tried first
        self.openers = openers
        self.engine = engine  # the isolated worker of openers whose parser may hang
        self.out = Extraction()

    def message(self, message: ParsedMessage, parent: str, depth: int) -> list[Attachment]:
        # Passwords for encrypted archives come from the message that carries them.
        texts = [body.text for body in message.bodies]
        names = [leaf.filename for leaf in message.leaves if leaf.filename]

        # Harvested when a container is first opened: plain mail never pays for it.
        @functools.cache
        def passwords() -> tuple[str, ...]:
            from .containers.passwords import candidates

            own = candidates(message.subject, texts, names)
            return tuple(dict.fromkeys((*self.extra_passwords, *own)))

        prefix = f"attachment {parent}: " if parent else ""
        nodes = [self.leaf(leaf, parent, depth, passwords, prefix) for leaf in message.leaves]
        self.passed(message, parent)
        return nodes

    def passed(self, message: ParsedMessage, parent: str) -> None:
        """Parts past the part bound were only listed: say so if their names run code."""
        names = [leaf.filename for leaf in message.leaves if leaf.skipped]
        where = f"attachment {parent}" if parent else "message"
        hit = passed_payloads(where, parent or "message", names, len(names))
        if hit is not None:
            self.out.hits.append(hit)

    def leaf(
        self, leaf: Leaf, parent: str, depth: int, passwords: Passwords, prefix: str
    ) -> Attachment:
        path = _node_path(parent, leaf)
        if leaf.skipped:
            return _listed(path, leaf.filename, leaf.declared_type, depth, role=leaf.disposition)
        return self.node(
            path=path,
            filename=leaf.filename,
            declared_type=leaf.declared_type,
            data=leaf.data,
            depth=depth,
            role=leaf.disposition,
            truncated=leaf.truncated,
            is_message=leaf.is_message,
            passwords=passwords,
            prefix=prefix,
        )

    def node(
        self,
        *,
        path: str,
        filename: str,
        declared_type: str,
        data: bytes,
        depth: int,
        role: str,
        truncated: bool,
        is_message: bool,
        passwords: Passwords,
        prefix: str,
        closed: bool = False,
    ) -> Attachment:
        """One node, analysed; opened too (a nested message, a container) unless `closed`:
        a file rescued past a bound is analysed as it is, never opened further."""
        sniffed = sniff(data, scripts=role != "body")
        digest = hashlib.sha256(data).hexdigest()
        status: AttachmentStatus = "truncated" if truncated else "ok"
        children: list[Attachment] = []
        item = Item(
            path=path,
            filename=filename,
            declared_type=declared_type,
            sniffed=sniffed,
            data=data,
            sha256=digest,
            depth=depth,
            role=role,
            prefix=prefix,
        )
        index = len(self.out.items)
        self.out.items.append(item)
        opener = self.openers.get(sniffed.kind)
        if closed:
            status = "skipped" if opener is not None else status
        elif (is_message or sniffed.kind in ("eml", "msg")) and data and role != "body":
            if not self.budget.depth_ok(depth + 1, item.location):
                status = "skipped"
                children = self.beyond(data, path, depth + 1)
            else:
                nested = self.nested(data, path, depth)
                if nested is None:
                    status = "broken"
                else:
                    children = self.message(nested, path, depth + 1)
        elif opener is not None and data and not (role == "body" and sniffed.kind in PAGE_KINDS):
            if not self.budget.depth_ok(depth + 1, item.location):
                status = "skipped"
            else:
                request = OpenRequest(
                    data=data,
                    kind=sniffed.kind,
                    path=path,
                    passwords=passwords(),
                    budget=self.budget,
                    depth=depth,
                    engine=self.engine,
                )
                opened = opener(request)
                self.out.hits.extend(opened.hits)
                status = opened.status if status == "ok" else status
                if opened.links or opened.actions:
                    item = replace(item, links=opened.links, actions=opened.actions)
                    self.out.items[index] = item
                children = [
                    self.member(member, path, depth + 1, passwords, prefix)
                    for member in opened.members
                ]
        return Attachment(
            path=path,
            filename=filename,
            declared_type=declared_type,
            sniffed_type=sniffed.mime,
            size=len(data),
            sha256=digest,
            depth=depth,
            status=status,
            children=tuple(children),
            role=_role(role),
        )

    def member(
        self, member: Member, parent: str, depth: int, passwords: Passwords, prefix: str
    ) -> Attachment:
        if member.skipped:  # a bound kept it closed: listed, not analysed
            path = f"{parent}/{display_name(member.name)}"
            return _listed(path, member.name, "", depth, role="member")
        return self.node(
            path=f"{parent}/{display_name(member.name)}",
            filename=member.name,
            declared_type="",
            data=member.data,
            depth=depth,
            role="member",
            truncated=member.truncated,
            is_message=False,
            passwords=passwords,
            prefix=prefix,
        )

    def beyond(self, data: bytes, path: str, depth: int) -> list[Attachment]:
        """A message nested deeper than `max_depth`: its files are listed by name (down to
        twice that depth), and those whose names run code are analysed all the same
        (`Budget.rescue`), never opened further: ten forwarded layers must not hide one."""
        if depth > 2 * self.budget.limits.max_depth:
            return []
        try:
            parsed = parse_message(data, self.budget, f"attachment {path}: ")
        except NotAMessageError:
            return []
        nodes: list[Attachment] = []
        passed: list[str] = []
        for leaf in parsed.leaves:
            if leaf.disposition == "body":
                continue
            child = _node_path(path, leaf)
            if leaf.is_message or sniff(leaf.data).kind in ("eml", "msg"):
                below = self.beyond(leaf.data, child, depth + 1) if leaf.data else []
                role = leaf.disposition
                nodes.append(_listed(child, leaf.filename, leaf.declared_type, depth, below, role))
            elif leaf.data and self.budget.rescue(claimed_kind(leaf.filename)):
                nodes.append(self.rescued(leaf, child, depth, f"attachment {path}: "))
            else:
                passed.append(leaf.filename)
                nodes.append(
                    _listed(child, leaf.filename, leaf.declared_type, depth, role=leaf.disposition)
                )
        hit = passed_payloads(f"attachment {path}", path, passed, len(passed))
        if hit is not None:
            self.out.hits.append(hit)
        return nodes

    def rescued(self, leaf: Leaf, path: str, depth: int, prefix: str) -> Attachment:
        """A file past the depth bound analysed as it is: no archive of it is opened."""
        return self.node(
            path=path,
            filename=leaf.filename,
            declared_type=leaf.declared_type,
            data=leaf.data,
            depth=depth,
            role=leaf.disposition,
            truncated=leaf.truncated,
            is_message=False,
            passwords=lambda: (),
            prefix=prefix,
            closed=True,
        )

    def nested(self, data: bytes, path: str, depth: int) -> ParsedMessage | None:
        prefix = f"attachment {path}: "
        try:
            parsed = parse_message(data, self.budget, prefix)
        except NotAMessageError as exc:
            reason = str(exc)
            evidence = Evidence(
                location=f"attachment {path}",
                excerpt=reason,
                facts=(("attachment", path), ("error", reason)),
            )
            self.out.hits.append(Hit(id="attachment.unreadable", evidence=(evidence,)))
            return None
        self.out.messages.append(NestedMessage(prefix=prefix, message=parsed, depth=depth + 1))
        return parsed


def _listed(
    path: str,
    filename: str,
    declared_type: str,
    depth: int,
    children: Sequence[Attachment] = (),
    role: str = "attachment",
) -> Attachment:
    """A file a bound kept closed: in the tree by name and declared type, never analysed."""
    return Attachment(
        path=path,
        filename=filename,
        declared_type=declared_type,
        sniffed_type="",
        size=0,
        sha256="",
        depth=depth,
        status="skipped",
        children=tuple(children),
        role=_role(role),
    )


def extract(
    message: ParsedMessage,
    budget: Budget,
    passwords: tuple[str, ...] = (),
    openers: Mapping[str, Opener] = OPENERS,
    engine: Engine | None = None,
) -> Extraction:
    """The whole attachment tree of `message`, bounded by `budget`; `passwords` are tried on
    encrypted containers before the candidates the message itself offers. `openers` by
    sniffed kind: the API adds those that need the Office worker (OLE Package objects).
    `engine` is the isolated worker for documents whose parser may hang (PDF); by default
    the process's."""
    extractor = _Extractor(budget, passwords, openers, engine)
    extractor.out.attachments = extractor.message(message, "", 0)
    return extractor.out
