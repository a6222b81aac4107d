"""The condition language: parsing, type checking, evaluation, bounds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian_rules.model.records import Event, Member, Organization
from dangjian_rules.plugins.manager import default_registry
from dangjian_rules.ruleset.expr import MAX_DEPTH, MAX_SOURCE_LENGTH, ExprError, compile_condition

ENV = {
    "event": {
        "type": "string",
        "date": "date",
        "quantity": "decimal",
        "late": "boolean",
        "level": "string",
        "days": "decimal",
    },
    "member": {"status": "string", "roles": "list[string]", "joined": "date"},
    "organization": {"kind": "string", "region": "string"},
}
FUNCTIONS = default_registry().functions

MEMBER = Member(
    "M1", "张三", "B1", status="probationary", roles=("书记",), joined=dt.date(2010, 5, 1)
)
ORG = Organization("B1", "某支部", "branch", region="渑池县")


def event(**attributes: object) -> Event:
    return Event(
        "E1",
        "volunteer",
        dt.date(2015, 3, 8),
        member="M1",
        quantity=Decimal("2.5"),
        attributes=attributes,  # type: ignore[arg-type]
    )


def holds(source: str, ev: Event | None = None) -> bool:
    return compile_condition(source, ENV, FUNCTIONS)(ev or event(), MEMBER, ORG)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('event.type == "volunteer"', True),
        ('event.type != "volunteer"', False),
        ("event.quantity >= 2.5", True),
        ("event.quantity * 2 == 5", True),
        ("event.quantity - 0.5 == 2", True),
        ("event.date >= 2015-03-01 and event.date <= 2015-03-31", True),
        ("event.date - member.joined > 365", True),
        ("month(event.date) == 3 and quarter(event.date) == 1 and year(event.date) == 2015", True),
        ('"书记" in member.roles', True),
        ('"委员" not in member.roles', True),
        ('member.status in ["full", "probationary"]', True),
        ('organization.kind == "branch" or organization.region == "灵宝市"', True),
        ('not (member.status == "full")', True),
        ("-event.quantity < 0", True),
        ("event.late", False),  # missing field: false
        ('event.level == "county"', False),  # missing field compares false
        ('event.level != "county"', False),  # … both ways
        ("true and not false", True),
    ],
)
def test_conditions_evaluate(source: str, expected: bool) -> None:
    assert holds(source) is expected


def test_declared_attribute_is_read() -> None:
    assert holds("event.late", event(late=True))
    assert holds('event.level in ["county", "city"]', event(level="city"))


def test_decimal_arithmetic_is_exact() -> None:
    assert holds("0.1 + 0.2 == 0.3")


@pytest.mark.parametrize(
    ("source", "offset", "message", "hint"),
    [
        ("event.levl == 1", 0, "event.levl is not a declared field", 'did you mean "level"?'),
        ('event.level = "x"', 12, 'unexpected character "="', "conditions use and, or"),
        ("event.level == 3", 12, "cannot compare text with a number", "put text in quotes"),
        ("(event.late", 11, 'expected ")", found "the end"', 'every "(" needs a ")"'),
        ("event.late and", 14, 'expected a value, found "the end"', None),
        ("event.quantity > 2 > 1", 19, "comparisons cannot be chained", "write a < b and b < c"),
        ("event.quantity", 0, "expected true/false here, got a number", "compare it"),
        ("mnth(event.date) == 3", 0, 'unknown function "mnth"', 'did you mean "month"?'),
        ("month(event.date, 1) == 3", 0, "month() takes 1 argument(s), got 2", None),
        ('event.level in "county"', 12, '"in" needs a list on its right', "write a list"),
        ('[1, "a"] == [1]', 0, "a list must hold values of one type", None),
        ("subject.id == 1", 0, '"subject" is not available here', "expected one of"),
        ("event.level == 'a' and county", 23, '"county" is not a value', "write event."),
        ("2015-02-30 == event.date", 0, '"2015-02-30" is not a real date', None),
        ('event.level < "b"', 12, '"<" compares numbers or dates, not text', None),
        ("", 0, "condition is empty", "remove the key"),
    ],
)
def test_errors_are_located_and_explained(
    source: str, offset: int, message: str, hint: str | None
) -> None:
    with pytest.raises(ExprError) as caught:
        compile_condition(source, ENV, FUNCTIONS)
    assert caught.value.offset == offset
    assert caught.value.message.startswith(message)
    assert caught.value.message_zh  # every message has its Chinese
    if hint is None:
        assert caught.value.hint is None
    else:
        assert caught.value.hint is not None and caught.value.hint.startswith(hint)


def test_size_and_depth_are_bounded() -> None:
    with pytest.raises(ExprError, match="longer than"):
        compile_condition("true or " * (MAX_SOURCE_LENGTH // 8) + "true", ENV, FUNCTIONS)
    with pytest.raises(ExprError, match="nested too deeply"):
        compile_condition("not " * (MAX_DEPTH + 1) + "true", ENV, FUNCTIONS)
    with pytest.raises(ExprError, match="nested too deeply"):
        compile_condition("(" * (MAX_DEPTH + 1) + "true" + ")" * (MAX_DEPTH + 1), ENV, FUNCTIONS)


def test_no_code_runs() -> None:
    for source in ("__import__('os')", "event.__class__", "open('x')", "event.type.upper()"):
        with pytest.raises(ExprError):
            compile_condition(source, ENV, FUNCTIONS)


def test_conditions_without_event_cannot_read_events() -> None:
    env = {k: v for k, v in ENV.items() if k != "event"}
    with pytest.raises(ExprError, match='"event" is not available here'):
        compile_condition("event.late", env, FUNCTIONS)
