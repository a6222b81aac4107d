"""Baseline (c): the 渑池 card as a polars query — the columnar ceiling.

The events become one frame (a column per field); one lazy query then does what columnar
operations can express of the card:

* the period and review-status filters, the veto (any approved 党纪处分 or crime in the
  period), the rule each event falls under and its amount;
* **caps in date order**: within a rule's window, what an event adds is the part of the
  running sum that stays under the cap, ``min(cumsum, cap) − min(cumsum − amount, cap)``
  — exactly the sequential rule "the earlier events count first"; a second cap (theme
  days and volunteering also have a yearly one) is the same step on what the first left;
* **category bounds** the same way over a member's running category sum in date order
  (exact here because additions only add and deductions only subtract), the 纪律规矩
  floor of −20 likewise;
* the score, its bounds [0, 100], the veto and the grade bands.

What it leaves out: (1) the score bound is applied to the final sum, not event by event.
The engine stops additions at 100 *as they come*: a member who reaches 100, then loses two
points for late dues, then attends another meeting ends at 100 in the engine, and the cap
counters did not move while the score was full; a column-wise sum cannot express that
sequential clamp with deductions in between (it is a scan with state).  The run reports
how many members this changes (usually none or a handful); (2) no explanation at all —
no per-event trace, no limit that bit, no accounting buckets; (3) arithmetic in integer
hundredths of a point (``Int64``), which is exact only because every amount of this card
has at most two decimals — the engine takes any decimal.  polars also uses both cores.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from dangjian_rules import Dataset, Period

CENTS = 100
_BIG = 10**9


def event_frame(dataset: Dataset) -> Any:
    """The events as a polars DataFrame (quantities in hundredths of an hour)."""
    import polars as pl

    ids, members, types, dates, statuses, quantities = [], [], [], [], [], []
    levels, adopted, late = [], [], []
    for e in dataset.events:
        if e.member is None:
            continue
        ids.append(e.id)
        members.append(e.member)
        types.append(e.type)
        dates.append(e.date)
        statuses.append(e.status)
        quantities.append(None if e.quantity is None else int(e.quantity * CENTS))
        a = e.attributes
        levels.append(a.get("level"))
        adopted.append(a.get("adopted"))
        late.append(a.get("late"))
    return pl.DataFrame(
        {
            "id": ids,
            "member": members,
            "type": types,
            "date": dates,
            "status": statuses,
            "quantity": pl.Series(quantities, dtype=pl.Int64),
            "level": pl.Series(levels, dtype=pl.Utf8),
            "adopted": pl.Series(adopted, dtype=pl.Boolean),
            "late": pl.Series(late, dtype=pl.Boolean),
        }
    )


def member_frame(dataset: Dataset, period: Period) -> Any:
    import polars as pl

    active = [m for m in dataset.members.values() if m.active_during(period.start, period.end)]
    return pl.DataFrame({"member": [m.id for m in active], "status": [m.status for m in active]})


def _clip_step(amount: Any, running: Any, cap: Any) -> Any:
    """What an event adds under a cap, given the running sum including it."""
    import polars as pl

    return pl.min_horizontal(running, cap) - pl.min_horizontal(running - amount, cap)


def card_query(events: Any, members: Any, period: Period) -> Any:
    """The lazy query: member, score (hundredths), grade."""
    import polars as pl

    c, lit = pl.col, pl.lit
    ev = events.lazy().filter(
        (c("date") >= period.start) & (c("date") <= period.end) & (c("status") == "approved")
    )
    vetoed = (
        ev.filter(c("type").is_in(["discipline", "crime"]))
        .select("member")
        .unique()
        .with_columns(veto=lit(True))
    )
    t, q = c("type"), c("quantity")
    # rule, category, amount (hundredths), cap 1 window and max, cap 2, category bound, sign
    table = [
        (t == "member_meeting", "mm", "life", lit(200), "q", 200, None, _BIG, 2400),
        (t == "group_meeting", "gm", "life", lit(100), "m", 100, None, _BIG, 2400),
        (t == "party_lecture", "pl", "life", lit(150), "q", 150, None, _BIG, 2400),
        (t == "theme_day", "td", "life", lit(100), "m", 100, "y", 1000, 2400),
        ((t == "study") & q.is_not_null(), "st", "study", q // 5, "m", 100, None, _BIG, 800),
        ((t == "volunteer") & q.is_not_null(), "vo", "service", q // 2, "m", 200, "y", 1000, 1000),
        (
            (t == "pioneer") & c("level").is_in(["county", "city", "province"]),
            "pc",
            "pioneer",
            lit(300),
            None,
            _BIG,
            None,
            _BIG,
            1000,
        ),
        (t == "pioneer", "pb", "pioneer", lit(100), "y", 300, None, _BIG, 1000),
        (
            (t == "suggestion") & c("adopted").fill_null(False),
            "sg",
            "pioneer",
            lit(100),
            "y",
            300,
            None,
            _BIG,
            1000,
        ),
        (
            (t == "dues") & c("late").fill_null(False),
            "ld",
            "discipline",
            lit(-200),
            None,
            _BIG,
            None,
            _BIG,
            2000,
        ),
        (t == "absence", "ab", "discipline", lit(-300), None, _BIG, None, _BIG, 2000),
    ]

    def pick(index: int) -> Any:
        expr = pl.when(table[0][0]).then(_value(table[0][index]))
        for row in table[1:]:
            expr = expr.when(row[0]).then(_value(row[index]))
        return expr.otherwise(None)

    def _value(v: Any) -> Any:
        return v if isinstance(v, pl.Expr) else lit(v)

    month = c("date").dt.year().cast(pl.Int64) * 12 + c("date").dt.month().cast(pl.Int64)
    quarter = (
        c("date").dt.year().cast(pl.Int64) * 4 + (c("date").dt.month().cast(pl.Int64) - 1) // 3
    )
    year = c("date").dt.year().cast(pl.Int64)

    def window(per: Any) -> Any:
        return (
            pl.when(per == "m")
            .then(month)
            .when(per == "q")
            .then(quarter)
            .when(per == "y")
            .then(year)
            .otherwise(0)
        )

    scored = (
        ev.with_columns(
            rule=pick(1),
            category=pick(2),
            amount=pick(3).cast(pl.Int64),
            per1=pick(4),
            cap1=pick(5).cast(pl.Int64),
            per2=pick(6),
            cap2=pick(7).cast(pl.Int64),
            bound=pick(8).cast(pl.Int64),
        )
        .filter(c("rule").is_not_null())
        .with_columns(size=c("amount").abs(), w1=window(c("per1")), w2=window(c("per2")))
        .sort("member", "date", "id")
        .with_columns(run1=c("size").cum_sum().over("member", "rule", "w1"))
        .with_columns(a1=_clip_step(c("size"), c("run1"), c("cap1")))
        .with_columns(run2=c("a1").cum_sum().over("member", "rule", "w2"))
        .with_columns(a2=_clip_step(c("a1"), c("run2"), c("cap2")))
        .with_columns(run3=c("a2").cum_sum().over("member", "category"))
        .with_columns(a3=_clip_step(c("a2"), c("run3"), c("bound")))
        .with_columns(signed=pl.when(c("amount") < 0).then(-c("a3")).otherwise(c("a3")))
        .group_by("member")
        .agg(points=c("signed").sum())
    )
    return (
        members.lazy()
        .join(scored, on="member", how="left")
        .join(vetoed, on="member", how="left")
        .with_columns(
            score=pl.when(c("veto").fill_null(False))
            .then(0)
            .otherwise((6000 + c("points").fill_null(0)).clip(0, 100 * CENTS))
        )
        .with_columns(
            grade=pl.when(c("status") == "probationary")
            .then(
                pl.when(c("veto").fill_null(False))
                .then(lit("取消预备党员资格"))
                .when(c("score") >= 8500)
                .then(lit("按期转正"))
                .when(c("score") >= 7000)
                .then(lit("延期转正"))
                .otherwise(lit("取消预备党员资格"))
            )
            .otherwise(
                pl.when(c("veto").fill_null(False))
                .then(lit("不合格"))
                .when(c("score") >= 9000)
                .then(lit("优秀"))
                .when(c("score") >= 7500)
                .then(lit("合格"))
                .when(c("score") >= 6000)
                .then(lit("基本合格"))
                .otherwise(lit("不合格"))
            )
        )
        .select("member", "score", "grade")
    )


def polars_scores(events: Any, members: Any, period: Period) -> dict[str, tuple[Decimal, str]]:
    """Run the query; scores back as decimals for the comparison with the engine."""
    frame = card_query(events, members, period).collect()
    return {
        m: (Decimal(s) / CENTS, g)
        for m, s, g in zip(frame["member"], frame["score"], frame["grade"], strict=True)
    }


def mismatches(
    engine: Mapping[str, tuple[Decimal, str]], columnar: Mapping[str, tuple[Decimal, str]]
) -> list[str]:
    """Members whose score or grade differ (what the columnar form leaves out)."""
    return sorted(m for m in engine if columnar.get(m) != engine[m])
