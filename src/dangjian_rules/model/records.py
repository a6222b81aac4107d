"""The domain: organizations, members, events and a dataset that holds them.

All classes are frozen attrs classes.  Points and quantities are :class:`~decimal.Decimal`,
dates are :class:`datetime.date`; there are no floats and no times.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from functools import cached_property
from typing import Literal

import attrs

OrganizationKind = Literal["work_committee", "committee", "general_branch", "branch", "group"]
ORGANIZATION_KINDS: tuple[str, ...] = (
    "work_committee",
    "committee",
    "general_branch",
    "branch",
    "group",
)
MemberStatus = Literal["full", "probationary"]
MEMBER_STATUSES: tuple[str, ...] = ("full", "probationary")
ReviewStatus = Literal["approved", "pending", "returned"]
REVIEW_STATUSES: tuple[str, ...] = ("approved", "pending", "returned")
SubjectKind = Literal["member", "organization"]

#: Chinese words clerks write in spreadsheets, mapped to the canonical values.
ALIASES: dict[str, dict[str, str]] = {
    "kind": {
        "机关工委": "work_committee",
        "直工委": "work_committee",
        "工委": "work_committee",
        "党委": "committee",
        "党总支": "general_branch",
        "总支": "general_branch",
        "党支部": "branch",
        "支部": "branch",
        "党小组": "group",
        "小组": "group",
    },
    "member_status": {
        "正式": "full",
        "正式党员": "full",
        "预备": "probationary",
        "预备党员": "probationary",
    },
    "review_status": {
        "通过": "approved",
        "已通过": "approved",
        "审核通过": "approved",
        "已审核": "approved",
        "已审": "approved",
        "待审核": "pending",
        "待审": "pending",
        "退回": "returned",
        "已退回": "returned",
    },
}

#: The canonical value of each word a file may write: the value itself or its Chinese alias.
KIND_OF: dict[str, str] = {**{k: k for k in ORGANIZATION_KINDS}, **ALIASES["kind"]}
MEMBER_STATUS_OF: dict[str, str] = {**{s: s for s in MEMBER_STATUSES}, **ALIASES["member_status"]}
REVIEW_STATUS_OF: dict[str, str] = {**{s: s for s in REVIEW_STATUSES}, **ALIASES["review_status"]}

AttributeValue = str | Decimal | int | bool | dt.date | None


@attrs.frozen
class Organization:
    """A party organization: a work committee, committee, general branch, branch or group."""

    id: str
    name: str
    kind: str
    parent: str | None = None
    region: str | None = None
    attributes: Mapping[str, AttributeValue] = attrs.field(factory=dict, eq=True)


@attrs.frozen
class Member:
    """A party member, full or probationary, belonging to one organization."""

    id: str
    name: str
    organization: str
    status: str = "full"
    joined: dt.date | None = None
    left: dt.date | None = None
    roles: tuple[str, ...] = ()
    attributes: Mapping[str, AttributeValue] = attrs.field(factory=dict)

    def active_during(self, start: dt.date, end: dt.date) -> bool:
        """Whether the member belonged to the party for at least one day of [start, end]."""
        if self.joined is not None and self.joined > end:
            return False
        return not (self.left is not None and self.left < start)


@attrs.frozen
class Event:
    """A record: an activity, a payment, an inspection, a sanction …

    Exactly one of ``member`` and ``organization`` names its subject.
    """

    id: str
    type: str
    date: dt.date
    member: str | None = None
    organization: str | None = None
    end: dt.date | None = None
    quantity: Decimal | None = None
    status: str = "approved"
    attributes: Mapping[str, AttributeValue] = attrs.field(factory=dict)

    @property
    def subject_kind(self) -> SubjectKind:
        return "member" if self.member is not None else "organization"

    @property
    def subject(self) -> str:
        subject = self.member if self.member is not None else self.organization
        assert subject is not None
        return subject

    @property
    def days(self) -> int:
        """Inclusive length in days (1 for a one-day event)."""
        if self.end is None:
            return 1
        return (self.end - self.date).days + 1


def _plain(value: object) -> object:
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def record_dict(record: Organization | Member | Event) -> dict[str, object]:
    """A record as plain JSON-ready values (dates and decimals as strings)."""
    out = attrs.asdict(record, recurse=False)
    return {k: _plain(v) for k, v in out.items()}


def _number(value: Decimal | None) -> str:
    """5, 5.0 and 5.00 are one number: the fingerprint should not tell them apart."""
    return "" if value is None else format(value.normalize(), "f")


def _canonical_line(record: Organization | Member | Event) -> str:
    # Plain text of every field, attributes sorted: stable across runs and machines, and
    # several times faster than JSON. str() of a list shows its items' repr, so the
    # text "1" and the number 1 stay distinct.
    extra = sorted(record.attributes.items()) if record.attributes else ""
    if isinstance(record, Event):
        e = record
        return (
            f"{e.id}\x1f{e.type}\x1f{e.date}\x1f{e.member}\x1f{e.organization}\x1f{e.end}"
            f"\x1f{_number(e.quantity)}\x1f{e.status}\x1f{extra}"
        )
    if isinstance(record, Member):
        m = record
        return (
            f"{m.id}\x1f{m.name}\x1f{m.organization}\x1f{m.status}\x1f{m.joined}\x1f{m.left}"
            f"\x1f{m.roles}\x1f{extra}"
        )
    o = record
    return f"{o.id}\x1f{o.name}\x1f{o.kind}\x1f{o.parent}\x1f{o.region}\x1f{extra}"


@attrs.frozen
class Dataset:
    """Organizations, members and events of one or more periods, already validated.

    Build one with :func:`dangjian_rules.load_dataset` or :meth:`Dataset.build`;
    lookups and the organization tree are computed once, on first use.
    """

    organizations: Mapping[str, Organization]
    members: Mapping[str, Member]
    events: tuple[Event, ...]
    source: str = "<memory>"

    @classmethod
    def build(
        cls,
        organizations: Iterable[Organization],
        members: Iterable[Member],
        events: Iterable[Event],
        source: str = "<memory>",
    ) -> Dataset:
        """Check references, ids and the tree, then build a dataset.

        Raises :class:`~dangjian_rules.errors.ProblemsFound` listing every problem.
        """
        from dangjian_rules.model.validate import validate_records

        return validate_records(list(organizations), list(members), list(events), source)

    # -- lookups, computed once -------------------------------------------------

    @cached_property
    def children(self) -> Mapping[str, tuple[str, ...]]:
        kids: dict[str, list[str]] = {oid: [] for oid in self.organizations}
        for org in self.organizations.values():
            if org.parent is not None:
                kids[org.parent].append(org.id)
        return {k: tuple(sorted(v)) for k, v in kids.items()}

    @cached_property
    def roots(self) -> tuple[str, ...]:
        return tuple(sorted(o.id for o in self.organizations.values() if o.parent is None))

    @cached_property
    def events_by_subject(self) -> Mapping[tuple[str, str], tuple[Event, ...]]:
        """Events per (subject kind, subject id), each in (date, id) order."""
        grouped: dict[tuple[str, str], list[Event]] = {}
        for event in self.events:
            key = (
                ("member", event.member)
                if event.member is not None
                else (
                    "organization",
                    event.organization or "",
                )
            )
            grouped.setdefault(key, []).append(event)
        return {k: tuple(sorted(v, key=lambda e: (e.date, e.id))) for k, v in grouped.items()}

    @cached_property
    def members_by_organization(self) -> Mapping[str, tuple[str, ...]]:
        grouped: dict[str, list[str]] = {}
        for member in self.members.values():
            grouped.setdefault(member.organization, []).append(member.id)
        return {k: tuple(sorted(v)) for k, v in grouped.items()}

    def subtree(self, organization_id: str) -> Iterator[str]:
        """The organization and all organizations below it, depth first, sorted."""
        stack = [organization_id]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(self.children.get(current, ())))

    def ancestors(self, organization_id: str) -> Iterator[str]:
        """The parents of an organization, nearest first."""
        parent = self.organizations[organization_id].parent
        while parent is not None:
            yield parent
            parent = self.organizations[parent].parent

    def members_in_subtree(self, organization_id: str) -> Iterator[Member]:
        for org_id in self.subtree(organization_id):
            for member_id in self.members_by_organization.get(org_id, ()):
                yield self.members[member_id]

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the records in canonical order: the same data in any order gives
        the same fingerprint."""
        digest = hashlib.sha256()
        groups: tuple[tuple[str, Iterable[Organization | Member | Event]], ...] = (
            ("organizations", self.organizations.values()),
            ("members", self.members.values()),
            ("events", self.events),
        )
        for name, records in groups:
            digest.update(name.encode())
            lines = [_canonical_line(r) for r in sorted(records, key=lambda r: r.id)]
            digest.update("\n".join(lines).encode("utf-8"))
        return digest.hexdigest()

    def counts(self) -> dict[str, int]:
        return {
            "organizations": len(self.organizations),
            "members": len(self.members),
            "events": len(self.events),
        }
