"""Built-in condition functions."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..expr import DATE, DECIMAL, Function
from ..hookspecs import hookimpl


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
