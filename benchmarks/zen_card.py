"""Baseline (b): the 渑池 card as a zen-engine decision graph, called once per event.

zen-engine (``pip install zen-engine``, Python package ``zen``; the ``bench`` extra) runs
JSON Decision Models (JDM) written in its editor.  The natural way to put the 渑池 card in
it is a decision graph that a caller invokes for every event, keeping the running state
(cap counters, category and score totals) itself between calls:

* a **decision table** (hit policy *first*) maps the event — period, review status, type,
  quantity, ``level``, ``adopted``, ``late`` — to the effect (points, deduction, veto or
  nothing), the category, the amount and the caps that apply with their maxima;
* two **expression** nodes then do the card's arithmetic for that event: the room left
  under both caps in the event's windows, then the category bound and the score bound
  (deductions: the category's floor of −20 and the score's floor of 0);
* the caller adds what was allowed to its counters, and at the end asks a second
  **decision table** for the grade (probationary or full scale, veto).

So every event costs one ``ZenDecision.evaluate`` call: the context goes in as a Python
dict, comes out as one, and the caller moves the state.  That round trip is what zen costs
per event; nothing is batched across events of one member (their caps depend on each
other in date order).  zen computes in decimals (``rust_decimal``) but hands numbers to
Python as floats; the caller turns them back into :class:`~decimal.Decimal` through their
shortest repr, which is exact for this card (amounts have at most two decimals).  The
scores are checked against the engine's for every member evaluated.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from dangjian_rules import Event, Member, Period

ZERO = Decimal(0)
#: Cap ids and their windows; ``none`` is the cap of rules without a (second) cap.
CAP_WINDOWS: dict[str, str] = {
    "mm": "quarter",
    "gm": "month",
    "pl": "quarter",
    "td": "month",
    "td-y": "year",
    "st": "month",
    "vo": "month",
    "vo-y": "year",
    "pb": "year",
    "sg": "year",
}
CATEGORIES = ("organizational_life", "study", "service", "pioneer", "discipline", "none")
_NO_CAP = 1000

# effect, category, amount (a zen expression), cap A, its max, cap B, its max, category max
_CARD_ROWS: tuple[
    tuple[dict[str, str], tuple[str, str, str, str, int | str, str, int, int]], ...
] = (
    (
        {"date": 'd($) < d("{start}") or d($) > d("{end}")'},
        ("outside", "none", "0", "none", _NO_CAP, "none", _NO_CAP, _NO_CAP),
    ),
    ({"status": '$ != "approved"'}, ("none", "none", "0", "none", _NO_CAP, "none", _NO_CAP, 0)),
    ({"type": '"discipline", "crime"'}, ("veto", "none", "0", "none", _NO_CAP, "none", 0, 0)),
    (
        {"type": '"member_meeting"'},
        ("points", "organizational_life", "2", "mm", 2, "none", _NO_CAP, 24),
    ),
    (
        {"type": '"group_meeting"'},
        ("points", "organizational_life", "1", "gm", 1, "none", _NO_CAP, 24),
    ),
    (
        {"type": '"party_lecture"'},
        ("points", "organizational_life", "1.5", "pl", "1.5", "none", _NO_CAP, 24),
    ),
    ({"type": '"theme_day"'}, ("points", "organizational_life", "1", "td", 1, "td-y", 10, 24)),
    (
        {"type": '"study"', "quantity": "$ != null"},
        ("points", "study", "quantity * 0.2", "st", 1, "none", _NO_CAP, 8),
    ),
    (
        {"type": '"volunteer"', "quantity": "$ != null"},
        ("points", "service", "quantity * 0.5", "vo", 2, "vo-y", 10, 10),
    ),
    (
        {"type": '"pioneer"', "level": '"county", "city", "province"'},
        ("points", "pioneer", "3", "none", _NO_CAP, "none", _NO_CAP, 10),
    ),
    ({"type": '"pioneer"'}, ("points", "pioneer", "1", "pb", 3, "none", _NO_CAP, 10)),
    (
        {"type": '"suggestion"', "adopted": "$ == true"},
        ("points", "pioneer", "1", "sg", 3, "none", _NO_CAP, 10),
    ),
    (
        {"type": '"dues"', "late": "$ == true"},
        ("deduction", "discipline", "2", "none", _NO_CAP, "none", _NO_CAP, 0),
    ),
    (
        {"type": '"absence"'},
        ("deduction", "discipline", "3", "none", _NO_CAP, "none", _NO_CAP, 0),
    ),
    ({}, ("none", "none", "0", "none", _NO_CAP, "none", _NO_CAP, 0)),
)
_INPUTS = ("date", "status", "type", "quantity", "level", "adopted", "late")
_OUTPUTS = ("effect", "category", "amount", "capA", "capAmax", "capB", "capBmax", "catMax")


def _node(node_id: str, kind: str, content: Mapping[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": node_id,
        "type": kind,
        "name": node_id,
        "position": {"x": 0, "y": 0},
    }
    if content is not None:
        node["content"] = content
    return node


def _graph(nodes: Sequence[dict[str, Any]]) -> str:
    edges = [
        {"id": f"e{i}", "type": "edge", "sourceId": a["id"], "targetId": b["id"]}
        for i, (a, b) in enumerate(itertools.pairwise(nodes))
    ]
    return json.dumps(
        {"contentType": "application/vnd.gorules.decision", "nodes": list(nodes), "edges": edges}
    )


def _literal(value: str | int) -> str:
    return str(value) if isinstance(value, int) or value[:1].isdigit() else json.dumps(value)


def card_graph(period: Period) -> str:
    """The per-event JDM graph: decision table → caps → bounds."""
    rules = []
    for number, (cells, outputs) in enumerate(_CARD_ROWS):
        rule: dict[str, str] = {"_id": f"r{number}"}
        for name in _INPUTS:
            cell = cells.get(name, "")
            rule[f"in-{name}"] = cell.format(start=period.start, end=period.end)
        for name, value in zip(_OUTPUTS, outputs, strict=True):
            rule[f"out-{name}"] = value if name == "amount" else _literal(value)
        rules.append(rule)
    table = {
        "hitPolicy": "first",
        "passThrough": True,
        "inputs": [{"id": f"in-{n}", "name": n, "field": n} for n in _INPUTS],
        "outputs": [{"id": f"out-{n}", "name": n, "field": n} for n in _OUTPUTS],
        "rules": rules,
    }
    caps = {
        "passThrough": True,
        "expressions": [
            {
                "id": "room",
                "key": "room",
                "value": "min([amount, capAmax - used[capA], capBmax - used[capB]])",
            }
        ],
    }
    bounds = {
        "expressions": [
            {"id": "effect", "key": "effect", "value": "effect"},
            {"id": "category", "key": "category", "value": "category"},
            {"id": "capA", "key": "capA", "value": "capA"},
            {"id": "capB", "key": "capB", "value": "capB"},
            {
                "id": "allowed",
                "key": "allowed",
                "value": (
                    'effect == "points" ? '
                    "max([0, min([room, catMax - cats[category], 100 - total])]) : "
                    '(effect == "deduction" ? '
                    "max([0, min([amount, cats[category] + 20, total])]) : 0)"
                ),
            },
        ]
    }
    return _graph(
        [
            _node("request", "inputNode"),
            _node("card", "decisionTableNode", table),
            _node("caps", "expressionNode", caps),
            _node("bounds", "expressionNode", bounds),
            _node("response", "outputNode"),
        ]
    )


def grade_graph() -> str:
    """The grade as a decision table: scale by member status, veto first, then bands."""
    rows = [
        ("probationary", "true", "", "取消预备党员资格"),
        ("probationary", "", ">= 85", "按期转正"),
        ("probationary", "", ">= 70", "延期转正"),
        ("probationary", "", "", "取消预备党员资格"),
        ("", "true", "", "不合格"),
        ("", "", ">= 90", "优秀"),
        ("", "", ">= 75", "合格"),
        ("", "", ">= 60", "基本合格"),
        ("", "", "", "不合格"),
    ]
    table = {
        "hitPolicy": "first",
        "inputs": [
            {"id": "status", "name": "status", "field": "status"},
            {"id": "veto", "name": "veto", "field": "veto"},
            {"id": "total", "name": "total", "field": "total"},
        ],
        "outputs": [{"id": "grade", "name": "grade", "field": "grade"}],
        "rules": [
            {
                "_id": f"g{n}",
                "status": json.dumps(status, ensure_ascii=False) if status else "",
                "veto": veto,
                "total": total,
                "grade": json.dumps(grade, ensure_ascii=False),
            }
            for n, (status, veto, total, grade) in enumerate(rows)
        ],
    }
    return _graph(
        [
            _node("request", "inputNode"),
            _node("grade", "decisionTableNode", table),
            _node("response", "outputNode"),
        ]
    )


class _State:
    """A member's running state between calls: cap counters, category and score totals."""

    __slots__ = ("cats", "keys", "total", "used", "veto")

    def __init__(self) -> None:
        self.used: dict[tuple[str, int], Decimal] = {}
        self.cats = dict.fromkeys(CATEGORIES, ZERO)
        self.total = Decimal(60)
        self.veto = False
        self.keys: dict[str, tuple[str, int]] = {}

    def context(self, event: Event) -> dict[str, Any]:
        """The decision's input for one event: the event and the counters of its windows."""
        day = event.date
        windows = {
            "month": day.year * 12 + day.month,
            "quarter": day.year * 4 + (day.month - 1) // 3,
            "year": day.year,
        }
        used = self.used
        self.keys = keys = {cap: (cap, windows[per]) for cap, per in CAP_WINDOWS.items()}
        attributes = event.attributes
        return {
            "date": day.isoformat(),
            "status": event.status,
            "type": event.type,
            "quantity": None if event.quantity is None else float(event.quantity),
            "level": attributes.get("level"),
            "adopted": attributes.get("adopted"),
            "late": attributes.get("late"),
            "used": {cap: float(used.get(key, ZERO)) for cap, key in keys.items()} | {"none": 0},
            "cats": {c: float(v) for c, v in self.cats.items()},
            "total": float(self.total),
        }

    def apply(self, out: Mapping[str, Any]) -> None:
        """Move the counters by what the decision allowed."""
        effect = out["effect"]
        if effect == "veto":
            self.veto = True
            return
        allowed = Decimal(repr(out["allowed"]))
        if not allowed:
            return
        if effect == "points":
            for cap in (out["capA"], out["capB"]):
                if cap != "none":
                    key = self.keys[cap]
                    self.used[key] = self.used.get(key, ZERO) + allowed
            self.cats[out["category"]] += allowed
            self.total += allowed
        else:
            self.cats[out["category"]] -= allowed
            self.total -= allowed


class ZenCard:
    """The 渑池 card on zen-engine: one decision call per event, one per member's grade."""

    def __init__(self, period: Period) -> None:
        import zen  # the bench extra

        self.period = period
        content = card_graph(period)
        self.engine = zen.ZenEngine(
            {"loader": {"type": "static", "content": {"card": json.loads(content)}}}
        )
        self.card = self.engine.create_decision(content)
        self.grade = self.engine.create_decision(grade_graph())
        self.calls = 0

    def _graded(self, member: Member, state: _State) -> tuple[Decimal, str]:
        context = {"status": member.status, "veto": state.veto, "total": float(state.total)}
        grade = self.grade.evaluate(context)["result"]["grade"]
        return (ZERO if state.veto else state.total, grade)

    def member(self, member: Member, events: Iterable[Event]) -> tuple[Decimal, str]:
        """One member's score and grade; ``events`` in (date, id) order, one call each."""
        evaluate = self.card.evaluate
        state = _State()
        for event in events:
            state.apply(evaluate(state.context(event))["result"])
            self.calls += 1
        self.calls += 1
        return self._graded(member, state)

    def batched(
        self, members: Sequence[tuple[Member, Sequence[Event]]]
    ) -> dict[str, tuple[Decimal, str]]:
        """The same, but with ``evaluate_batch``: round *k* sends the *k*-th event of every
        member in one batch (zen may spread a batch over threads).  A member's own events
        still go one after the other, since each one's caps depend on the ones before."""
        states = [_State() for _ in members]
        longest = max((len(events) for _, events in members), default=0)
        for k in range(longest):
            batch = [
                (state, events[k])
                for state, (_, events) in zip(states, members, strict=True)
                if k < len(events)
            ]
            answers = self.engine.evaluate_batch(
                [{"key": "card", "context": state.context(event)} for state, event in batch]
            )
            for (state, _), answer in zip(batch, answers, strict=True):
                if not answer.get("success"):
                    raise RuntimeError(answer.get("error"))
                state.apply(answer["data"]["result"])
            self.calls += len(batch)
        self.calls += len(members)
        return {
            member.id: self._graded(member, state)
            for state, (member, _) in zip(states, members, strict=True)
        }


def zen_scores(
    card: ZenCard,
    members: Mapping[str, Member],
    events_by_member: Mapping[str, Sequence[Event]],
    period: Period,
    member_ids: Iterable[str],
) -> dict[str, tuple[Decimal, str]]:
    """Scores and grades of the given members (those active in the period)."""
    out: dict[str, tuple[Decimal, str]] = {}
    start: dt.date = period.start
    end: dt.date = period.end
    for member_id in member_ids:
        member = members[member_id]
        if not member.active_during(start, end):
            continue
        out[member_id] = card.member(member, events_by_member.get(member_id, ()))
    return out
