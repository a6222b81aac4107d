"""Organizations, members and events, and the words data may use for their kinds and
statuses (Chinese aliases included).

All classes are frozen attrs classes.  Points and quantities are :class:`~decimal.Decimal`,
dates are :class:`datetime.date`; there are no floats and no times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
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
