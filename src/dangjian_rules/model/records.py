"""The domain: organizations, members and events (:mod:`~dangjian_rules.model.entities`)
and a dataset that holds them, checked (:mod:`~dangjian_rules.model.validate`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Context, Decimal
from functools import cached_property

import attrs

from dangjian_rules.collector import collector_paused
from dangjian_rules.errors import ProblemsFound
from dangjian_rules.model.entities import (
    ALIASES,
    KIND_OF,
    MEMBER_STATUS_OF,
    MEMBER_STATUSES,
    ORGANIZATION_KINDS,
    REVIEW_STATUS_OF,
    REVIEW_STATUSES,
    AttributeValue,
    Event,
    Member,
    MemberStatus,
    Organization,
    OrganizationKind,
    ReviewStatus,
    SubjectKind,
)
from dangjian_rules.model.validate import Location, RecordKey, check_loaded

__all__ = [
    "ALIASES",
    "KIND_OF",
    "MEMBER_STATUSES",
    "MEMBER_STATUS_OF",
    "ORGANIZATION_KINDS",
    "REVIEW_STATUSES",
    "REVIEW_STATUS_OF",
    "AttributeValue",
    "Dataset",
    "Event",
    "Member",
    "MemberStatus",
    "Organization",
    "OrganizationKind",
    "ReviewStatus",
    "SubjectKind",
    "dataset_from",
    "record_dict",
    "validate_records",
]


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


def _typed(value: AttributeValue) -> object:
    """An attribute's value with its type, in the fingerprint's canonical form: the text
    ``"5"`` and the number 5 differ, 5, 5.0 and 5.00 are one number."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (Decimal, int)):
        return ["n", _number(Decimal(value))]
    return ["d", value.isoformat()]


def _number(value: Decimal | None) -> str | None:
    if value is None:
        return None
    normal = value.normalize()
    if normal != value:  # more digits than the default context keeps: none may be lost
        normal = value.normalize(Context(prec=len(value.as_tuple().digits)))
    # Plain digits in the usual range; far out, exponent form (a plain 1E+999999 would be
    # a million characters).  An "E" tells the two forms apart.
    return format(normal, "f") if -30 < normal.adjusted() < 30 else str(normal)


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _canonical_fields(record: Organization | Member | Event) -> list[object]:
    """One record's fields, each in its place, a missing value as ``None``."""
    attributes = record.attributes
    extra = [[k, _typed(v)] for k, v in sorted(attributes.items())] if attributes else ()
    if isinstance(record, Event):
        e = record
        return [
            e.id, e.type, e.date.isoformat(), e.member, e.organization, _day(e.end),
            _number(e.quantity), e.status, extra,
        ]  # fmt: skip
    if isinstance(record, Member):
        m = record
        return [
            m.id, m.name, m.organization, m.status, _day(m.joined), _day(m.left), m.roles,
            extra,
        ]  # fmt: skip
    o = record
    return [o.id, o.name, o.kind, o.parent, o.region, extra]


_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


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
        with collector_paused():
            for name, records in groups:
                # Each section as one JSON array of its records' fields: JSON escapes every
                # separator and control character and writes None as null, so two datasets
                # give the same text only when their records are the same.
                rows = [_canonical_fields(r) for r in sorted(records, key=lambda r: r.id)]
                digest.update(_encode([name, rows]).encode("ascii"))
        return digest.hexdigest()

    def counts(self) -> dict[str, int]:
        return {
            "organizations": len(self.organizations),
            "members": len(self.members),
            "events": len(self.events),
        }


def validate_records(
    organizations: list[Organization],
    members: list[Member],
    events: list[Event],
    source: str = "<memory>",
    locations: Mapping[RecordKey, Location] | None = None,
) -> Dataset:
    """Check the records and build a dataset; raise :class:`ProblemsFound` with every problem.

    ``locations`` maps ``(section, index in its list)`` to the record's place, so problems
    name the file, line and column; without it they name the path (``events[3].date``).
    """
    problems = check_loaded(organizations, members, events, locations, ())
    if problems:
        raise ProblemsFound(problems)
    return dataset_from(organizations, members, events, source)


def dataset_from(
    organizations: Iterable[Organization],
    members: Iterable[Member],
    events: Iterable[Event],
    source: str,
) -> Dataset:
    return Dataset(
        organizations={o.id: o for o in organizations},
        members={m.id: m for m in members},
        events=tuple(events),
        source=source,
    )
