"""``dangjian-rules fuzz``: what a ruleset does on many generated datasets.

Before a county adopts a ruleset it wants to know what the ruleset does on data nobody has
written yet.  :func:`fuzz` evaluates it on datasets that hypothesis generates for it
(:func:`~dangjian_rules.testing.strategies.county_datasets`: an organization tree, members
joining and leaving, events of the ruleset's declared types with the values its conditions
test) and reports:

* **invariants** the engine promises for every result, checked on every example: a score not
  vetoed stays within ``score.min``/``score.max``, categories within their bounds, no rule
  or category cap exceeded in any window, the accounting adds up (every event in one
  bucket, the score equal to the base plus what counted), shuffling the input changes
  nothing, star quotas and selection counts are kept.  A failed invariant is a bug in the
  ruleset (e.g. a base above the maximum) or in the engine; hypothesis shrinks the data to
  a minimal example, given as a ``[[tests]]`` case ready to paste into the ruleset;
* **warnings**, things a county may not have meant: grades, star levels, tiers or flags
  never reached; rules that never fire; caps (and category bounds) that bind every time
  their rule counts; ties at a star quota's or a selection's boundary that only the
  subject id decides.

Runs are deterministic: the same ruleset, seed and number of examples give the same
report.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules.errors import Language, ProblemsFound
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import SubjectResult, format_decimal
from dangjian_rules.plugins.manager import Registry, default_registry
from dangjian_rules.ruleset.canon import render_value
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.tools.findings import (
    Finding,
    Tally,
    bound_keys,
    findings_of,
    observe,
    observe_ties,
)
from dangjian_rules.tools.invariants import INVARIANTS, InvariantFailed, check_invariants

__all__ = [
    "INVARIANTS",
    "Failure",
    "Finding",
    "FuzzReport",
    "InvariantFailed",
    "as_test_case",
    "check_invariants",
    "fuzz",
    "needed_rulesets",
    "to_json",
    "to_text",
]


@attrs.frozen
class Failure:
    """A failed invariant, on the minimal example hypothesis found."""

    invariant: str
    message: str
    message_zh: str
    subject: str | None
    #: the minimal example as a ``[[tests]]`` case, ready to paste into the ruleset
    case: str
    #: the same case with its name and comments in Chinese
    case_zh: str

    def text(self, lang: Language = "en") -> str:
        title, title_zh = INVARIANTS[self.invariant]
        if lang == "zh":
            return f"{title_zh}：{self.message_zh}"
        return f"{title}: {self.message}"

    def case_text(self, lang: Language = "en") -> str:
        return self.case_zh if lang == "zh" else self.case


@attrs.frozen
class FuzzReport:
    ruleset: str
    version: str
    source: str
    period: str
    seed: int
    examples: int  # examples evaluated (those hypothesis generated, and shrank if one failed)
    subjects: int  # subject results looked at, over all examples
    findings: tuple[Finding, ...]
    failure: Failure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


# ------------------------------------------------------------------ the minimal example


def _value(value: object) -> str:
    if isinstance(value, Decimal):
        return format_decimal(value)
    return render_value(value)


def _inline(pairs: Sequence[tuple[str, object]]) -> str:
    return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in pairs) + " }"


def _list(key: str, items: Sequence[str]) -> list[str]:
    if not items:
        return [f"{key} = []"]
    if len(items) == 1 and len(items[0]) < 80:
        return [f"{key} = [{items[0]}]"]
    return [f"{key} = [", *(f"  {item}," for item in items), "]"]


def _default_tree(dataset: Dataset) -> bool:
    shape = {(o.id, o.kind, o.parent) for o in dataset.organizations.values()}
    attributes = any(o.attributes or o.region for o in dataset.organizations.values())
    return shape == {("ROOT", "work_committee", None), ("B1", "branch", "ROOT")} and not attributes


def _organization_lines(dataset: Dataset) -> tuple[list[str], str]:
    """The ``given.organizations`` lines (none for the default tree) and the branch that
    members belong to unless they say otherwise."""
    if _default_tree(dataset):
        return [], "B1"
    listed = sorted(
        dataset.organizations.values(), key=lambda o: (o.kind != "work_committee", o.id)
    )
    orgs = []
    for org in listed:
        pairs: list[tuple[str, object]] = [("id", org.id), ("kind", org.kind)]
        if org.parent is not None:
            pairs.append(("parent", org.parent))
        if org.region is not None:
            pairs.append(("region", org.region))
        pairs += sorted(org.attributes.items())
        orgs.append(_inline(pairs))
    default_org = next((o.id for o in listed if o.kind == "branch"), listed[-1].id)
    return _list("given.organizations", orgs), default_org


def _expect_line(result: SubjectResult | None) -> str:
    if result is None:
        return "expect = {}  # no result: evaluating these records fails"
    expect: list[tuple[str, object]] = [("score", result.score)]
    if result.grade is not None:
        expect.append(("grade", result.grade))
    if result.vetoes:
        expect.append(("vetoed", True))
    if result.stars is not None:
        expect.append(("stars", result.stars.count))
    if result.tier is not None:
        expect.append(("tier", result.tier.tier))
    if result.selection is not None:
        expect.append(("selected", result.selection.selected))
    buckets = {k: v for k, v in result.events.items() if v}
    if buckets:
        expect.append(("events", buckets))
    return "expect = " + _inline(expect)


def as_test_case(
    ruleset: Ruleset,
    dataset: Dataset,
    result: SubjectResult | None,
    subject: str | None,
    period: Period,
    name: str,
    comment: Sequence[str] = (),
) -> str:
    """A ``[[tests]]`` case of ``dataset``, expecting what ``result`` says (the engine's
    output), with ``comment`` lines above it; field names are the ruleset's."""
    lines = [f"# {line}" for line in comment]
    lines += ["[[tests]]", f"name = {render_value(name)}", f"period = {render_value(period.label)}"]
    if subject is not None:
        lines.append(f"subject = {render_value(subject)}")
    org_lines, default_org = _organization_lines(dataset)
    lines += org_lines
    members = []
    for member in sorted(dataset.members.values(), key=lambda m: m.id):
        pairs: list[tuple[str, object]] = [("id", member.id)]
        if member.organization != default_org:
            pairs.append(("organization", member.organization))
        if member.status != "full":
            pairs.append(("status", member.status))
        if member.joined is not None:
            pairs.append(("joined", member.joined))
        if member.left is not None:
            pairs.append(("left", member.left))
        if member.roles:
            pairs.append(("roles", list(member.roles)))
        pairs += sorted(member.attributes.items())
        members.append(_inline(pairs))
    if members:
        lines += _list("given.members", members)
    own = ("member" if ruleset.subject == "member" else "organization", subject)
    events = []
    for event in sorted(dataset.events, key=lambda e: (e.date, e.id)):
        pairs = [("type", event.type), ("date", event.date)]
        if (event.subject_kind, event.subject) != own:
            pairs.append((event.subject_kind, event.subject))
        if event.end is not None:
            pairs.append(("end", event.end))
        if event.quantity is not None:
            pairs.append(("quantity", event.quantity))
        if event.status != "approved":
            pairs.append(("status", event.status))
        pairs += sorted(event.attributes.items())
        events.append(_inline(pairs))
    lines += _list("given.events", events)
    lines.append(_expect_line(result))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the run


@contextlib.contextmanager
def _only_hypothesis_constants() -> Iterator[None]:
    """Generate from hypothesis's own constants only, while fuzzing.

    Hypothesis (6.131 and later) also draws now and then on constants it finds in the
    source of the local modules a process has loaded; which modules happened to be loaded
    (another command run before, a plugin, an edit anywhere in this package) would then
    change a fuzz report.  Its internals may move: if they have, nothing is changed and a
    report is reproducible within one kind of process only.
    """
    try:
        from hypothesis.internal.conjecture import providers

        original = getattr(providers, "_get_local_constants")  # noqa: B009
        cache = getattr(providers, "CONSTANTS_CACHE").cache  # noqa: B009
        empty = getattr(providers, "Constants")()  # noqa: B009
    except (ImportError, AttributeError, TypeError):
        yield
        return
    setattr(providers, "_get_local_constants", lambda: empty)  # noqa: B010
    cache.clear()  # constants chosen before may include local ones
    try:
        yield
    finally:
        setattr(providers, "_get_local_constants", original)  # noqa: B010
        cache.clear()


def needed_rulesets(
    ruleset: Ruleset, given: Sequence[Ruleset] = (), registry: Registry | None = None
) -> list[Ruleset]:
    """The rulesets ``ruleset`` reads (and those they read), every version of each: those
    ``given``, else found by id beside its file (its folder and the one above, as for
    ``extends``) or among installed plugins' rulesets.  Raises :class:`ProblemsFound`
    when one cannot be found or loaded."""
    from dangjian_rules.api import load_ruleset
    from dangjian_rules.ruleset.corpus import unknown_references
    from dangjian_rules.ruleset.files import index_for

    registry = registry or default_registry()
    index = index_for([ruleset.source], registry)
    found: list[Ruleset] = [r for r in given if r.id != ruleset.id]
    queue = list(ruleset.needs)
    missing = False
    while queue:
        wanted = queue.pop(0)
        if wanted == ruleset.id or any(r.id == wanted for r in found):
            continue
        paths = index.find(wanted)
        missing = missing or not paths
        for path in paths:
            loaded = load_ruleset(path, registry, index)
            found.append(loaded)
            queue.extend(loaded.needs)
    if missing:  # the one DJ121 of check, located at the measure that reads it
        raise ProblemsFound(unknown_references([ruleset, *found], index))
    return found


def _period_for(ruleset: Ruleset, everything: Sequence[Ruleset], registry: Registry) -> Period:
    """A year all the rulesets can be evaluated for: the first, from the ruleset's own
    start (2015 if it gives none), in which it and a version of each ruleset it reads are
    in force."""
    from dangjian_rules.api import evaluate

    first = ruleset.in_force_from.year if ruleset.in_force_from is not None else 2015
    if ruleset.in_force_until is not None:
        first = min(first, ruleset.in_force_until.year)
    starts = {r.in_force_from.year for r in everything if r.in_force_from is not None}
    candidates = sorted({first, *(y for y in starts if y > first)})
    empty = Dataset({}, {}, ())
    for year in candidates:
        period = Period.parse(str(year))
        try:
            evaluate(everything, empty, period, registry)
        except ProblemsFound:
            continue
        return period
    return Period.parse(str(first))  # evaluate reports why it cannot run


def fuzz(
    ruleset: Ruleset,
    others: Sequence[Ruleset] = (),
    examples: int = 100,
    seed: int = 0,
    period: Period | None = None,
    registry: Registry | None = None,
) -> FuzzReport:
    """Evaluate ``ruleset`` (with ``others``, the rulesets it reads) on ``examples``
    generated datasets and report what it never or always does and any invariant that
    failed (see the module docstring).  Raises :class:`ProblemsFound` when the rulesets
    cannot be evaluated for the period at all (not in force, a ruleset they read missing).
    """

    from dangjian_rules.api import evaluate
    from dangjian_rules.testing.strategies import county_datasets

    registry = registry or default_registry()
    everything = [ruleset, *(o for o in others if o.id != ruleset.id)]
    period = period or _period_for(ruleset, everything, registry)
    empty = Dataset({}, {}, ())
    evaluate(everything, empty, period, registry)  # ProblemsFound: not evaluable at all
    quotas = ruleset.stars is not None and bool(ruleset.stars.quotas)
    unquoted = [
        attrs.evolve(r, stars=attrs.evolve(r.stars, quotas=())) if r is ruleset and r.stars else r
        for r in everything
    ]
    branches = 12 if quotas or ruleset.selection is not None else 6
    strategy = county_datasets(*everything, year=period.start.year, max_branches=branches)
    tally = Tally()
    bounds = bound_keys(ruleset)
    failure: dict[str, Any] = {}

    def example(dataset: Dataset, shuffle: Callable[[list[Any]], None]) -> None:
        tally.examples += 1
        mixed = _reordered(dataset, shuffle)
        try:
            try:
                run = evaluate(everything, dataset, period, registry)
                again = evaluate(everything, mixed, period, registry)
            except ProblemsFound:
                raise
            except Exception as exc:
                raise InvariantFailed(
                    "no-crash",
                    f"evaluating raised {type(exc).__name__}: {exc}",
                    f"评估时出错：{type(exc).__name__}: {exc}",
                    None,
                ) from exc
            check_invariants(everything, dataset, run, again)
        except InvariantFailed as broken:
            failure.update(broken=broken, dataset=dataset)
            raise
        mine = [r for r in run.results if r.ruleset == ruleset.id]
        observe(tally, ruleset, mine, bounds)
        before = None
        if quotas:
            plain = evaluate(unquoted, dataset, period, registry)
            before = [r for r in plain.results if r.ruleset == ruleset.id]
        observe_ties(tally, ruleset, mine, before)

    _run_examples(example, strategy, examples, seed, failed=lambda: bool(failure))
    found: Failure | None = None
    if failure:
        broken: InvariantFailed = failure["broken"]
        dataset: Dataset = failure["dataset"]
        found = _failure(ruleset, everything, dataset, broken, period, registry, seed)
    return FuzzReport(
        ruleset=ruleset.id,
        version=ruleset.version,
        source=ruleset.source,
        period=period.label,
        seed=seed,
        examples=tally.examples,
        subjects=tally.subjects,
        # After a failed invariant the examples are mostly hypothesis shrinking it: what
        # they never or always did says nothing about the ruleset.
        findings=() if found is not None else tuple(findings_of(ruleset, tally)),
        failure=found,
    )


def _reordered(dataset: Dataset, shuffle: Callable[[list[Any]], None]) -> Dataset:
    """The same records in another order: organizations and members reversed, events
    shuffled (the "order" invariant)."""
    events = list(dataset.events)
    shuffle(events)
    return Dataset(
        dict(reversed(list(dataset.organizations.items()))),
        dict(reversed(list(dataset.members.items()))),
        tuple(events),
    )


def _run_examples(
    example: Callable[[Dataset, Callable[[list[Any]], None]], None],
    strategy: Any,
    examples: int,
    seed: int,
    failed: Callable[[], bool],
) -> None:
    """Run ``example`` on ``examples`` datasets hypothesis draws (and shrinks, when one
    fails), deterministically for ``seed`` and quietly."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as use_seed
    from hypothesis import strategies as st

    test = given(strategy, st.randoms(use_true_random=False).map(lambda r: r.shuffle))(example)
    test = settings(
        max_examples=examples,
        derandomize=False,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )(test)
    test = use_seed(seed)(test)
    with warnings.catch_warnings(), _only_hypothesis_constants():
        warnings.simplefilter("ignore")
        try:
            test()
        except Exception:
            if not failed():  # not an invariant: hypothesis or the rulesets could not run
                raise


def _failure(
    ruleset: Ruleset,
    everything: Sequence[Ruleset],
    dataset: Dataset,
    broken: InvariantFailed,
    period: Period,
    registry: Registry,
    seed: int,
) -> Failure:
    from dangjian_rules.api import evaluate

    result: SubjectResult | None = None
    target = broken.subject
    try:
        run = evaluate(everything, dataset, period, registry)
        mine = [r for r in run.results if r.ruleset == ruleset.id]
        result = next((r for r in mine if r.subject.id == target), None)
        if result is None and mine:
            result = mine[0]
            target = result.subject.id
    except Exception:  # the failure is the crash itself: no result to expect
        result = None
    title, title_zh = INVARIANTS[broken.invariant]
    comment = [
        f"dangjian-rules fuzz (seed {seed}): invariant failed: {title}",
        f"  {broken.message}",
        "The expect line is what the engine produced; change it to what the rules should give."
        if result is not None
        else "Evaluating these records fails; once it does not, write the result expected.",
    ]
    comment_zh = [
        f"dangjian-rules fuzz（种子 {seed}）：不变量不成立：{title_zh}",
        f"  {broken.message_zh}",
        "expect 一行是引擎实际给出的结果；请改为按规则应得的结果。"
        if result is not None
        else "评估这些记录时出错；修复后请写出应得的结果。",
    ]
    return Failure(
        broken.invariant,
        broken.message,
        broken.message_zh,
        target,
        as_test_case(ruleset, dataset, result, target, period, f"fuzz: {title}", comment),
        as_test_case(ruleset, dataset, result, target, period, f"fuzz：{title_zh}", comment_zh),
    )


# ------------------------------------------------------------------ reports


def to_json(report: FuzzReport) -> dict[str, Any]:
    return {
        "ruleset": report.ruleset,
        "version": report.version,
        "source": report.source,
        "period": report.period,
        "seed": report.seed,
        "examples": report.examples,
        "subjects": report.subjects,
        "invariants": {
            key: ("failed" if report.failure and report.failure.invariant == key else "held")
            for key in INVARIANTS
        },
        "failure": None
        if report.failure is None
        else {
            "invariant": report.failure.invariant,
            "message": report.failure.message,
            "message_zh": report.failure.message_zh,
            "subject": report.failure.subject,
            "case": report.failure.case,
            "case_zh": report.failure.case_zh,
        },
        "warnings": [attrs.asdict(f) for f in report.findings],
    }


def to_text(report: FuzzReport, lang: Language = "en") -> str:
    zh = lang == "zh"
    lines = [
        (
            f"{report.source}（{report.ruleset} {report.version}）：考核期 {report.period}，"
            f"{report.examples} 个样例，{report.subjects} 个考核结果，种子 {report.seed}"
        )
        if zh
        else (
            f"{report.source} ({report.ruleset} {report.version}): period {report.period}, "
            f"{report.examples} examples, {report.subjects} results, seed {report.seed}"
        )
    ]
    failed = report.failure.invariant if report.failure else None
    for key, (title, title_zh) in INVARIANTS.items():
        mark = "✗" if key == failed else "✓"
        lines.append(f"  {mark} {title_zh if zh else title}")
    for finding in report.findings:
        lines.append(("警告：" if zh else "warning: ") + finding.text(lang))
    if report.failure is not None:
        lines.append("")
        lines.append(("不变量不成立：" if zh else "invariant failed: ") + report.failure.text(lang))
        lines.append(
            "最小样例（可粘贴到规则集中的测试用例）："
            if zh
            else "minimal example, as a test case to paste into the ruleset:"
        )
        lines.append("")
        lines.append(report.failure.case_text(lang).rstrip("\n"))
        lines.append("")
    failures = 0 if report.failure is None else 1
    warnings_count = len(report.findings)
    lines.append(
        f"{failures} 个不变量不成立，{warnings_count} 个警告"
        if zh
        else f"{failures} invariant failure(s), {warnings_count} warning(s)"
    )
    return "\n".join(lines) + "\n"
