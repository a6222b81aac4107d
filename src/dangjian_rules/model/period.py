"""Periods and calendar windows: inclusive date ranges, never times."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Literal

import attrs

from dangjian_rules.errors import UsageError

WindowKind = Literal["week", "month", "quarter", "half", "year", "period"]
WINDOW_KINDS: tuple[WindowKind, ...] = ("week", "month", "quarter", "half", "year", "period")
#: "per <window>" in Chinese, for messages and explanations.
PER_WINDOW_ZH: dict[str, str] = {
    "week": "每周",
    "month": "每月",
    "quarter": "每季度",
    "half": "每半年",
    "year": "每年",
    "period": "考核期内",
}

_YEAR = re.compile(r"^(\d{4})$")
_HALF = re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


@attrs.frozen(order=True)
class Period:
    """An inclusive calendar date range, e.g. the year 2015 or 2015-Q2."""

    start: dt.date
    end: dt.date
    label: str = attrs.field(eq=False, order=False, default="")

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise UsageError(f"period ends ({self.end}) before it starts ({self.start})")
        if not self.label:
            object.__setattr__(self, "label", f"{self.start.isoformat()}..{self.end.isoformat()}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2015``, ``2015-H1``, ``2015-Q2``, ``2015-03`` or ``2015-01-01..2015-06-30``."""
        text = text.strip()
        try:
            if m := _YEAR.match(text):
                y = int(m[1])
                return cls(dt.date(y, 1, 1), dt.date(y, 12, 31), text)
            if m := _HALF.match(text):
                y, h = int(m[1]), int(m[2])
                first = 1 if h == 1 else 7
                return cls(dt.date(y, first, 1), _month_end(y, first + 5), text.upper())
            if m := _QUARTER.match(text):
                y, q = int(m[1]), int(m[2])
                first = 3 * (q - 1) + 1
                return cls(dt.date(y, first, 1), _month_end(y, first + 2), text.upper())
            if m := _MONTH.match(text):
                y, mo = int(m[1]), int(m[2])
                return cls(dt.date(y, mo, 1), _month_end(y, mo), text)
            if m := _RANGE.match(text):
                return cls(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]), text)
        except ValueError as exc:
            raise UsageError(f'period "{text}" is not a real date range: {exc}') from None
        raise UsageError(
            f'period "{text}" is not understood; write 2015, 2015-H1, 2015-Q2, 2015-03 '
            "or 2015-01-01..2015-06-30"
        )

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def windows(self, kind: WindowKind) -> Iterator[tuple[dt.date, dt.date]]:
        """The windows of one kind that overlap the period, clipped to it, in order."""
        day = self.start
        while True:
            w_start, w_end = window_bounds(kind, day, self)
            yield max(w_start, self.start), min(w_end, self.end)
            if w_end >= self.end:  # not w_end + 1 day first: 9999-12-31 has no next day
                return
            day = w_end + dt.timedelta(days=1)


def window_key(kind: WindowKind, day: dt.date) -> int:
    """A number naming the window of ``kind`` that contains ``day`` (fast, comparable)."""
    if kind == "month":
        return day.year * 12 + day.month - 1
    if kind == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    if kind == "half":
        return day.year * 2 + (day.month - 1) // 6
    if kind == "year":
        return day.year
    if kind == "week":
        return day.toordinal() - day.weekday()
    return 0


def window_bounds(kind: WindowKind, day: dt.date, period: Period) -> tuple[dt.date, dt.date]:
    """The calendar window of ``kind`` containing ``day`` (weeks start on Monday)."""
    if kind == "month":
        return dt.date(day.year, day.month, 1), _month_end(day.year, day.month)
    if kind == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        return dt.date(day.year, first, 1), _month_end(day.year, first + 2)
    if kind == "half":
        first = 1 if day.month <= 6 else 7
        return dt.date(day.year, first, 1), _month_end(day.year, first + 5)
    if kind == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if kind == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    return period.start, period.end


def window_label(kind: WindowKind, day: dt.date) -> str:
    """A person-readable name of the window containing ``day``: 2015-03, 2015-Q1 …"""
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if kind == "half":
        return f"{day.year}-H{1 if day.month <= 6 else 2}"
    if kind == "year":
        return str(day.year)
    if kind == "week":
        iso = day.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    return "period"
