"""Test cases that rulesets carry: given these records, expect this score, grade, stars …

A ruleset (or a sibling file ``<name>.tests.toml``) holds ``[[tests]]``::

    [[tests]]
    name = "late dues cost two points"
    period = "2015"
    subject = "M1"
    given.members = [{ id = "M1" }]
    given.events = [{ type = "dues", date = 2015-03-01, late = true }]
    expect = { score = 58, grade = "基本合格" }

Omitted records are filled in: a committee ``ROOT`` and a branch ``B1``; a member without an
organization is in ``B1``; an event without a subject is the test subject's; ids are
numbered.  ``previous`` gives the subject's result of the period before (score, grade,
stars, tier).  ``dangjian-rules test`` runs every case, prints each, then ``N passed,
N failed``; ``--coverage`` reports which rules, grade bands, star levels, tiers and flags
the cases exercised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import attrs

from dangjian_rules.convert.records import RecordBuilder
from dangjian_rules.errors import Language, Problem, ProblemsFound
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import (
    DataRef,
    PeriodRef,
    RulesetRef,
    RunResult,
    Stars,
    Subject,
    SubjectResult,
    Tier,
    format_decimal,
    scalar_text,
)
from dangjian_rules.plugins.manager import Registry
from dangjian_rules.ruleset.compiled import Ruleset, TestCase

_DEFAULT_ORGANIZATIONS = (
    {"id": "ROOT", "name": "县直机关工委", "kind": "work_committee"},
    {"id": "B1", "name": "第一党支部", "kind": "branch", "parent": "ROOT"},
)


@attrs.frozen
class Outcome:
    case: TestCase
    ruleset: str
    passed: bool
    differences: tuple[str, ...]
    result: SubjectResult | None
    run: RunResult | None


def build_dataset(case: TestCase, ruleset: Ruleset) -> Dataset:
    """The case's records, with the omitted parts filled in, built by the one record
    builder and typed by the ruleset's fields; raises ProblemsFound (DJ130 for a value that
    does not fit, the data checks' codes for the rest), each at the case."""
    problems: list[Problem] = []

    def report(
        _: None, __: str, code: str, message: str, message_zh: str, hint: str | None,
        hint_zh: str | None,
    ) -> None:  # fmt: skip
        problems.append(
            Problem(
                "DJ130" if code == "DJ210" else code,
                f"test “{case.name}”: {message}",
                f"测试“{case.name}”：{message_zh}",
                file=case.file,
                line=case.line,
                hint=hint,
                hint_zh=hint_zh,
            )
        )

    build: RecordBuilder[None] = RecordBuilder(ruleset.schema, report, name_records=False)
    organizations = [
        build.organization(None, {"name": raw.get("id"), "kind": "branch", **raw})
        for raw in case.given.get("organizations") or _DEFAULT_ORGANIZATIONS
    ]
    default_org = next((o.id for o in organizations if o.kind == "branch"), organizations[-1].id)
    members = [
        build.member(None, {"name": raw.get("id"), "organization": default_org, **raw})
        for raw in case.given.get("members") or []
    ]
    subject_field = "member" if ruleset.subject == "member" else "organization"
    events = []
    for number, raw in enumerate(case.given.get("events") or [], start=1):
        defaults = {"id": f"T{number:03d}", "type": ""}
        if raw.get("member") is None and raw.get("organization") is None:
            defaults[subject_field] = case.subject or ""
        event = build.event(None, {**defaults, **raw})
        if event is not None:
            events.append(event)
    if problems:
        raise ProblemsFound(problems)
    try:
        return Dataset.build(organizations, members, events, source=f"test {case.name}")
    except ProblemsFound as exc:
        raise ProblemsFound(
            [
                attrs.evolve(
                    p,
                    message=f"test “{case.name}”: {p.message}",
                    message_zh=f"测试“{case.name}”：{p.message_zh}",
                    file=case.file,
                    line=case.line,
                    column=None,
                )
                for p in exc.problems
            ]
        ) from None


def _previous(case: TestCase, ruleset: Ruleset, period: Period) -> RunResult | None:
    if not case.previous or case.subject is None:
        return None
    raw = case.previous
    day = period.start - dt.timedelta(days=1)
    stars = raw.get("stars")
    tier = raw.get("tier")
    result = SubjectResult(
        subject=Subject(ruleset.subject, case.subject, case.subject, None),
        ruleset=ruleset.id,
        score=Decimal(raw.get("score", 0)),
        base=Decimal(0),
        grade=raw.get("grade"),
        scale=None,
        categories=(),
        vetoes=(),
        adjustments=(),
        events={},
        trace=(),
        stars=None if stars is None else Stars(int(stars), int(stars), (), ()),
        tier=None if tier is None else Tier(str(tier), str(tier), (), ()),
    )
    return RunResult(
        schema="test",
        engine="test",
        period=PeriodRef(dt.date(day.year, 1, 1), day, str(day.year)),
        rulesets=(RulesetRef(ruleset.id, ruleset.name, "previous", "", ruleset.subject, {}),),
        data=DataRef("", 0, 0, 0),
        results=(result,),
    )


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, Decimal)) and isinstance(actual, (int, Decimal)):
        return Decimal(expected) == Decimal(actual)
    return bool(expected == actual)


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return scalar_text(value) if value is None or isinstance(value, (bool, str)) else str(value)


def compare(expect: Mapping[str, Any], result: SubjectResult, lang: Language) -> list[str]:
    """Differences between what a case expects and what the subject got."""
    zh = lang == "zh"
    actual: dict[str, Any] = {
        "score": result.score,
        "grade": result.grade,
        "vetoed": bool(result.vetoes),
        "stars": None if result.stars is None else result.stars.count,
        "tier": None if result.tier is None else result.tier.tier,
        "selected": None if result.selection is None else result.selection.selected,
        "rank": None if result.selection is None else result.selection.rank,
        "flags": sorted(f.id for f in result.flags),
    }
    out: list[str] = []
    for key, wanted in expect.items():
        if key == "measures":
            for measure_id, value in wanted.items():
                got = result.measures.get(measure_id)
                got_value = None if got is None else got.value
                if not _same(value, got_value):
                    out.append(
                        f"measure.{measure_id}: 应为 {_show(value)}，实际 {_show(got_value)}"
                        if zh
                        else f"measure.{measure_id}: expected {_show(value)}, got {_show(got_value)}"
                    )
            continue
        if key == "events":
            for bucket, count in wanted.items():
                got_count = result.events.get(bucket)
                if not _same(count, got_count):
                    out.append(
                        f"events.{bucket}: 应为 {count}，实际 {got_count}"
                        if zh
                        else f"events.{bucket}: expected {count}, got {got_count}"
                    )
            continue
        value = sorted(wanted) if key == "flags" else wanted
        if not _same(value, actual[key]):
            out.append(
                f"{key}: 应为 {_show(value)}，实际 {_show(actual[key])}"
                if zh
                else f"{key}: expected {_show(value)}, got {_show(actual[key])}"
            )
    return out


def run_case(
    case: TestCase,
    ruleset: Ruleset,
    available: Mapping[str, Sequence[Ruleset]],
    registry: Registry,
    lang: Language,
) -> Outcome:
    """Evaluate one case (with the rulesets its ruleset reads) and compare."""
    from dangjian_rules.api import evaluate

    period = Period.parse(case.period)
    needed: list[Ruleset] = [ruleset]
    queue = list(ruleset.needs)
    while queue:
        ruleset_id = queue.pop()
        if any(r.id == ruleset_id for r in needed):
            continue
        versions = available.get(ruleset_id, ())
        needed.extend(versions)
        for version in versions:
            queue.extend(version.needs)
    try:
        dataset = build_dataset(case, ruleset)
        run = evaluate(needed, dataset, period, registry, _previous(case, ruleset, period))
    except ProblemsFound as exc:
        shown = tuple(f"{p.code} {p.text(lang)}" for p in exc.problems)
        return Outcome(case, ruleset.id, False, shown, None, None)
    mine = [r for r in run.results if r.ruleset == ruleset.id]
    subject = case.subject
    if subject is None and len(mine) == 1:
        subject = mine[0].subject.id
    result = next((r for r in mine if r.subject.id == subject), None)
    if result is None:
        what = (
            f"no result for subject {subject!r}"
            if lang != "zh"
            else f"没有考核对象“{subject}”的结果"
        )
        return Outcome(case, ruleset.id, False, (what,), None, run)
    differences = compare(case.expect, result, lang)
    return Outcome(case, ruleset.id, not differences, tuple(differences), result, run)


@attrs.frozen
class Coverage:
    """What a ruleset's cases exercised."""

    ruleset: str
    items: Mapping[str, bool]  # "rule meeting" → covered?

    @property
    def exact(self) -> Decimal:
        """The covered share in percent, unrounded (thresholds compare with this)."""
        if not self.items:
            return Decimal(100)
        covered = sum(1 for v in self.items.values() if v)
        return Decimal(100) * covered / len(self.items)

    @property
    def percent(self) -> Decimal:
        """The covered share rounded down to 0.1%, for display (never shows 100 too early)."""
        return self.exact.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


def coverage(ruleset: Ruleset, outcomes: Sequence[Outcome]) -> Coverage:
    items: dict[str, bool] = {}
    for rule in ruleset.rules:
        items[f"rule {rule.id}"] = False
    for scale in ruleset.grades:
        for band in scale.bands:
            items[f"grade {scale.id}:{band.grade}"] = False
    if ruleset.stars is not None:
        for criterion in ruleset.stars.criteria:
            items[f"star {criterion.id}"] = False
    if ruleset.tiers is not None:
        for tier in ruleset.tiers.order:
            items[f"tier {tier}"] = False
    for flag in ruleset.flags:
        items[f"flag {flag.id}"] = False
    for outcome in outcomes:
        if outcome.run is None:
            continue
        for result in outcome.run.results:
            if result.ruleset != ruleset.id:
                continue
            for entry in result.trace:
                if entry.rule is not None and entry.bucket in (
                    "counted",
                    "partial",
                    "capped",
                    "veto",
                ):
                    items[f"rule {entry.rule}"] = True
            for adjustment in result.adjustments:
                items[f"rule {adjustment.rule}"] = True
            if result.grade is not None and result.scale is not None:
                items[f"grade {result.scale}:{result.grade}"] = True
            if result.stars is not None:
                for held in result.stars.criteria:
                    if held.held:
                        items[f"star {held.id}"] = True
            if result.tier is not None:
                items[f"tier {result.tier.tier}"] = True
            for raised in result.flags:
                items[f"flag {raised.id}"] = True
    return Coverage(ruleset.id, items)
