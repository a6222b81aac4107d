"""Built-in condition functions."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from dangjian_rules.plugins.hookspecs import hookimpl
from dangjian_rules.ruleset.expr import DATE, DECIMAL, Function


@hookimpl
def dangjian_rules_condition_functions() -> Sequence[Function]:
    return (
        Function("year", (DATE,), DECIMAL, lambda d: Decimal(d.year), "the year of a date"),
        Function("month", (DATE,), DECIMAL, lambda d: Decimal(d.month), "the month, 1–12"),
        Function(
            "quarter",
            (DATE,),
            DECIMAL,
            lambda d: Decimal((d.month - 1) // 3 + 1),
            "the quarter, 1–4",
        ),
    )
