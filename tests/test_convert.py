"""The one converter: exact numbers, dates, and every failure located with its path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from dangjian_rules.convert import structure
from dangjian_rules.errors import ProblemsFound


@attrs.frozen
class _Item:
    id: str
    points: Decimal
    date: dt.date | None = None


@attrs.frozen
class _Doc:
    name: str
    items: tuple[_Item, ...] = ()


def test_structures_exact_numbers_and_dates() -> None:
    doc = structure(
        {"name": "card", "items": [{"id": "a", "points": "0.1", "date": "2015-03-01"}]},
        _Doc,
        code="DJ299",
    )
    assert doc.items[0].points == Decimal("0.1")
    assert doc.items[0].date == dt.date(2015, 3, 1)


def test_every_failure_is_reported_with_its_path_and_place() -> None:
    data = {
        "name": "card",
        "items": [
            {"id": "a", "points": 0.5},
            {"id": "b", "points": "1", "date": "2015-13-01", "pionts": 2},
            {"points": "2"},
        ],
    }
    places = {("items", 0, "points"): (3, 7)}
    with pytest.raises(ProblemsFound) as caught:
        structure(data, _Doc, file="x.json", locate=places.get, code="DJ299")
    found = {(p.path, p.line): p for p in caught.value.problems}
    assert set(found) == {
        ("items[0].points", 3),
        ("items[1].date", None),
        ("items[1].pionts", None),
        ("items[2].id", None),
    }
    assert "floats are refused" in found[("items[0].points", 3)].message
    assert found[("items[1].pionts", None)].hint == 'did you mean "points"?'
    assert found[("items[2].id", None)].message == '"items[2].id" is required'
    assert all(p.file == "x.json" and p.code == "DJ299" for p in caught.value.problems)


@pytest.mark.parametrize("bad", [True, "NaN", "Infinity", [], "1e", 1.0])
def test_inexact_or_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(ProblemsFound):
        structure({"id": "a", "points": bad}, _Item, code="DJ299")
