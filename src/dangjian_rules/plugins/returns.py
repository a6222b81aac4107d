"""Plugin code wrapped where it enters ours: what it raises, exits or overruns names the
plugin (see :mod:`~dangjian_rules.plugins.failure`), and what it returns is checked, so a
float, a NaN or a None never reaches a score or a report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from dangjian_rules.errors import Problem
from dangjian_rules.io.formats import CheckReporter, DataLoader, Reporter
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset, Event
from dangjian_rules.model.result import Measured, RunResult
from dangjian_rules.plugins.failure import checked_call
from dangjian_rules.ruleset.expr import BOOLEAN, DATE, DECIMAL, LIST_OF_STRING, STRING, Function
from dangjian_rules.ruleset.measures import Measure, SubjectContext
from dangjian_rules.ruleset.rules import Award, EndContext, SubjectChange

FINITE_DECIMAL = "a finite Decimal"


def is_finite_decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def sequence_of(*types: type) -> Callable[[object], bool]:
    """A list or tuple whose items are all of ``types``."""

    def valid(value: object) -> bool:
        return isinstance(value, list | tuple) and all(isinstance(v, types) for v in value)

    return valid


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, bool | str) or is_finite_decimal(value)


def _is_measured(value: object) -> bool:
    return (
        isinstance(value, Measured)
        and _is_scalar(value.value)
        and all(_is_scalar(part) for part in value.parts.values())
    )


def _is_changes(value: object) -> bool:
    return sequence_of(SubjectChange)(value) and all(
        is_finite_decimal(change.points)
        for change in value  # type: ignore[attr-defined]
    )


_FUNCTION_RESULTS: dict[str, tuple[Callable[[object], bool], str]] = {
    STRING: (lambda v: isinstance(v, str), "a str"),
    DECIMAL: (is_finite_decimal, FINITE_DECIMAL),
    BOOLEAN: (lambda v: isinstance(v, bool), "a bool"),
    DATE: (lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime), "a date"),
    LIST_OF_STRING: (sequence_of(str), "a list of str"),
}


def guarded_function(function: Function, owner: str) -> Function:
    """A plugin's condition function, its result checked against its declared type."""
    implementation = function.implementation
    valid, expected = _FUNCTION_RESULTS.get(function.returns, (lambda v: True, "anything"))
    doing = f"failed in condition function {function.name}()"

    def guarded(*args: Any) -> Any:
        return checked_call(
            owner,
            doing,
            lambda: implementation(*args),
            lambda v: v is None or valid(v),
            f"{expected} or None",
        )

    return attrs.evolve(function, implementation=guarded)


def guarded_award(award: Award, owner: str, kind: str, rule_id: str) -> Award:
    """A plugin rule kind's award: ``amount`` must give a finite Decimal (or None),
    ``finish`` a list of SubjectChange with finite points."""
    doing = f'failed in rule "{rule_id}" (kind "{kind}")'
    amount = award.amount

    def guarded_amount(event: Event, period: Period) -> Decimal | None:
        return checked_call(
            owner,
            doing,
            lambda: amount(event, period),
            lambda v: v is None or is_finite_decimal(v),
            f"{FINITE_DECIMAL} or None",
        )

    finish = award.finish
    guarded_finish = None
    if finish is not None:
        ends = finish

        def guarded_finish(
            counted: Sequence[tuple[Event, Decimal]], context: EndContext
        ) -> Sequence[SubjectChange]:
            return checked_call(
                owner,
                doing,
                lambda: ends(counted, context),
                _is_changes,
                "a list of SubjectChange with finite Decimal points",
            )

    return attrs.evolve(award, amount=guarded_amount, finish=guarded_finish)


def guarded_measure(measure: Measure, owner: str) -> Measure:
    """A plugin measure kind's computation: it must give a Measured of allowed values."""
    compute = measure.compute
    doing = f'failed in measure "{measure.id}" (kind "{measure.kind}")'

    def guarded_compute(context: SubjectContext) -> Measured:
        return checked_call(
            owner,
            doing,
            lambda: compute(context),
            _is_measured,
            "a Measured whose value and parts are finite Decimal, bool, str or None",
        )

    return attrs.evolve(measure, compute=guarded_compute)


def guarded_reporter(reporter: Reporter, owner: str) -> Reporter:
    """A plugin's reporter: str for a text format, bytes for a binary one."""
    render = reporter.render
    kind, expected = (bytes, "bytes") if reporter.binary else (str, "a str")

    def guarded_render(run: RunResult, rulesets: Sequence[Any], options: Any) -> str | bytes:
        return checked_call(
            owner,
            f'failed while writing the "{reporter.name}" format',
            lambda: render(run, rulesets, options),
            lambda v: isinstance(v, kind),
            expected,
        )

    return attrs.evolve(reporter, render=guarded_render)


def guarded_check_reporter(reporter: CheckReporter, owner: str) -> CheckReporter:
    """A plugin's check reporter: it must return a str."""
    render = reporter.render

    def guarded_render(problems: Sequence[Problem], files: Sequence[str], lang: Any) -> str:
        return checked_call(
            owner,
            f'failed while writing the "{reporter.name}" check format',
            lambda: render(problems, files, lang),
            lambda v: isinstance(v, str),
            "a str",
        )

    return attrs.evolve(reporter, render=guarded_render)


def guarded_loader(loader: DataLoader, owner: str) -> DataLoader:
    """A plugin's data loader: ``accepts`` gives a bool, ``load`` a Dataset."""
    accepts, load = loader.accepts, loader.load
    doing = f'failed in the "{loader.name}" data loader'

    def guarded_accepts(path: Path) -> bool:
        return checked_call(
            owner, doing, lambda: accepts(path), lambda v: isinstance(v, bool), "a bool"
        )

    def guarded_load(path: Path, schema: Any, encoding: str | None) -> Dataset:
        return checked_call(
            owner,
            doing,
            lambda: load(path, schema, encoding),
            lambda v: isinstance(v, Dataset),
            "a Dataset",
        )

    return attrs.evolve(loader, accepts=guarded_accepts, load=guarded_load)
