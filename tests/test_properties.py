"""The contract of the brief (§4) as properties, beside those in test_engine.py (order, accounting,
caps, JSON round trip, monotonicity): loaders that raise nothing but ProblemsFound on any
input, the canonical form of rulesets, veto dominance, generated rulesets that evaluate
on generated data with every invariant kept, and partition invariance."""

from __future__ import annotations

import atexit
import csv
import functools
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import tomli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dangjian_rules import (
    Dataset,
    Period,
    ProblemsFound,
    Ruleset,
    dumps,
    evaluate,
    load_dataset,
    load_ruleset,
    loads,
    parse_ruleset,
)
from dangjian_rules.errors import Problem
from dangjian_rules.io.jsonl import read_jsonl_events
from dangjian_rules.model.records import Event
from dangjian_rules.model.result import SubjectResult
from dangjian_rules.ruleset.canon import canonical, render
from dangjian_rules.testing import DatasetBuilder
from dangjian_rules.testing.strategies import (
    county_datasets,
    hinted_attributes,
    ruleset_documents,
    toml_documents,
    valid_rulesets,
)
from dangjian_rules.tools.fuzz import check_invariants

ROOT = Path(__file__).resolve().parent.parent
CARD_PATH = ROOT / "rulesets" / "mianchi" / "member-points.toml"
CARD = load_ruleset(CARD_PATH)
YEAR = Period.parse("2015")
SHIPPED = sorted(p for p in (ROOT / "rulesets").rglob("*.toml"))


def small(*rulesets: Ruleset) -> st.SearchStrategy[Dataset]:
    """County data small enough to keep a property to a fraction of a second an example."""
    return county_datasets(
        *rulesets, max_members=4, max_per_subject=6, max_events=80, max_branches=4
    )


#: For the heavier properties: half the profile's examples (30 in ci, 1,000 in thorough).
HALF = settings(
    max_examples=max(10, (settings.default.max_examples if settings.default else 60) // 2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def parsed(text: str) -> Ruleset:
    ruleset, problems = parse_ruleset(text, "generated.toml")
    assert ruleset is not None, (text, problems)
    return ruleset


# ------------------------------------------------------------ loaders: only ProblemsFound

_CODE = re.compile(r"\bDJ\d{3}\b")
#: every problem code the reference documents (docs/ruleset-format.md, docs/data-format.md)
DOCUMENTED = {
    code
    for doc in ("ruleset-format.md", "data-format.md")
    for code in _CODE.findall((ROOT / "docs" / doc).read_text(encoding="utf-8"))
}


def only_documented(problems: Iterable[Problem]) -> None:
    """Located (a file), bilingual, and with a documented code: nothing else may come out."""
    problems = list(problems)
    assert problems
    for problem in problems:
        assert problem.code in DOCUMENTED, problem
        assert problem.file and problem.message and problem.message_zh, problem


#: TOML a careless or hostile hand writes: numbers past int()'s 4,300 digits, nan, deep arrays
hostile_toml = st.one_of(
    st.integers(4290, 4310).map(lambda n: "[score]\nbase = " + "9" * n + "\n"),
    st.sampled_from(["[score]\nbase = nan\n", "a = " + "[" * 300 + "]" * 300 + "\n"]),
)


@given(st.one_of(st.text(), st.binary(), hostile_toml))
def test_the_ruleset_loader_returns_problems_for_any_text_or_bytes(source: str | bytes) -> None:
    ruleset, problems = parse_ruleset(source, "any.toml")
    assert (ruleset is None) == any(p.severity == "error" for p in problems)
    if problems:
        only_documented(problems)


@HALF
@given(toml_documents())
def test_the_ruleset_loader_returns_problems_for_any_toml_document(
    document: dict[str, Any],
) -> None:
    text = render(document)
    ruleset, problems = parse_ruleset(text, "any.toml")
    assert (ruleset is None) == any(p.severity == "error" for p in problems)
    for problem in problems:
        assert problem.file == "any.toml" and problem.message and problem.message_zh
        assert problem.code in DOCUMENTED


@settings(max_examples=20)
@given(st.one_of(st.binary(max_size=300), toml_documents().map(render), hostile_toml))
def test_loading_a_ruleset_file_raises_nothing_but_problems_found(data: bytes | str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        # one level down: a baseline named by `extends` is looked for here and one up
        (Path(folder) / "county").mkdir()
        path = Path(folder) / "county" / "any.toml"
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        try:
            load_ruleset(path)
        except ProblemsFound as exc:
            only_documented(exc.problems)


NON_FINITE = [
    pytest.param("[score]\nmin = nan\nmax = 1\n", id="nan-score-bound"),
    pytest.param(
        '[event_types.m]\nlabel = "m"\n[[rules]]\nid = "r"\nlabel = "r"\n'
        'kind = "points"\non = "m"\npoints = nan\n',
        id="nan-points",
    ),
    pytest.param(
        '[event_types.m]\nlabel = "m"\n[[rules]]\nid = "r"\nlabel = "r"\n'
        'kind = "points"\non = "m"\npoints = 1\ncaps = [{ per = "month", max = nan }]\n',
        id="nan-cap",
    ),
    pytest.param("[score]\nbase = inf\n", id="infinite-base"),
]


@pytest.mark.parametrize("extra", NON_FINITE)
def test_a_number_that_is_not_finite_is_a_problem_not_a_crash(extra: str) -> None:
    head = '[ruleset]\nid = "t"\nname = "t"\nversion = "1"\nsubject = "member"\n'
    ruleset, problems = parse_ruleset(head + extra, "x.toml")
    if ruleset is not None:  # accepted: it must then evaluate and print like any other
        data = DatasetBuilder().member("M1").event("m", "2015-03-01", member="M1").build()
        dumps(evaluate(ruleset, data, YEAR))
    assert ruleset is None and problems


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=10),
        st.sampled_from(["2015-03-01", "2015/3/1", "approved", "待审核", "M1", "B1", "R"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(
                    [
                        "id",
                        "name",
                        "kind",
                        "parent",
                        "organization",
                        "member",
                        "type",
                        "date",
                        "end",
                        "quantity",
                        "status",
                        "joined",
                        "left",
                        "roles",
                        "late",
                        "level",
                    ]
                ),
                st.text(max_size=5),
            ),
            inner,
            max_size=6,
        ),
    ),
    max_leaves=20,
)
dataset_documents = st.fixed_dictionaries(
    {},
    optional={
        "organizations": st.lists(json_values, max_size=3),
        "members": st.lists(json_values, max_size=3),
        "events": st.lists(json_values, max_size=4),
    },
)


@given(st.one_of(st.binary(max_size=400), dataset_documents.map(lambda d: json.dumps(d).encode())))
def test_the_json_data_loader_raises_nothing_but_problems_found(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.json"
        path.write_bytes(data)
        try:
            load_dataset(path, schema=CARD.schema)
        except ProblemsFound as exc:
            only_documented(exc.problems)


#: JSON text a careless or hostile hand writes: integers past int()'s limit, 20-digit years
hostile_json = st.one_of(
    st.integers(4290, 4310).map(lambda n: '{"events": [{"quantity": ' + "9" * n + "}]}"),
    st.sampled_from(
        [
            '{"events": [{"id": "E1", "date": "20150000000000000000-03-01"}]}',
            '{"events": [{"id": "E1", "quantity": NaN, "date": "2015-03-01"}]}',
            '{"organizations": ' + "[" * 5000 + "]" * 5000 + "}",
        ]
    ),
)


@given(hostile_json)
def test_the_json_data_loader_refuses_hostile_numbers_with_problems(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ProblemsFound) as exc:
            load_dataset(path, schema=CARD.schema)
        only_documented(exc.value.problems)


@given(
    st.one_of(
        st.binary(max_size=300),
        st.lists(json_values.map(json.dumps), max_size=4).map("\n".join),
        hostile_json,
    )
)
def test_the_json_lines_reader_raises_nothing_but_problems_found(data: bytes | str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        try:
            for _ in read_jsonl_events(path, CARD.schema):
                pass
        except ProblemsFound as exc:
            only_documented(exc.problems)


@st.composite
def workbook_bytes(draw: st.DrawFn) -> bytes:
    """An .xlsx: arbitrary bytes, or a real workbook whose parts are replaced by
    arbitrary bytes or by XML declaring entities."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.binary(max_size=300))
    parts = dict(_plain_workbook())
    name = draw(st.sampled_from(sorted(parts)))
    parts[name] = draw(
        st.one_of(
            st.binary(max_size=200),
            st.sampled_from(
                [
                    b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                    + parts[name],
                    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
                ]
            ),
        )
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for part, data in parts.items():
            book.writestr(part, data)
    return out.getvalue()


@functools.cache
def _plain_workbook() -> tuple[tuple[str, bytes], ...]:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in (
        ("organizations", [["id", "name", "kind"], ["B1", "支部", "branch"]]),
        ("members", [["id", "name", "organization"], ["M1", "张伟", "B1"]]),
        ("events", [["id", "type", "member", "date"], ["E1", "dues", "M1", "2015-03-01"]]),
    ):
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as saved:
        return tuple((part, saved.read(part)) for part in saved.namelist())


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(workbook_bytes())
def test_the_xlsx_data_loader_raises_nothing_but_problems_found(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.xlsx"
        path.write_bytes(data)
        try:
            load_dataset(path, schema=CARD.schema)
        except ProblemsFound as exc:
            only_documented(exc.problems)


COLUMNS = {
    "organizations": ["id", "name", "kind", "parent", "region"],
    "members": ["id", "name", "organization", "status", "joined", "left", "roles"],
    "events": [
        "id",
        "type",
        "member",
        "organization",
        "date",
        "end",
        "quantity",
        "status",
        "late",
        "level",
        "adopted",
    ],
}
cells = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", "R", "B1", "M1", "branch", "党支部", "full", "2015-03-01", "3", "是"]),
)


@st.composite
def csv_texts(draw: st.DrawFn, table: str) -> bytes:
    """A table's CSV: its real header (sometimes not) over rows of arbitrary cells, or
    arbitrary bytes."""
    if draw(st.integers(0, 4)) == 4:
        return draw(st.binary(max_size=200))
    header = COLUMNS[table] if draw(st.booleans()) else draw(st.lists(cells, max_size=5))
    rows = draw(st.lists(st.lists(cells, max_size=len(header) + 1), max_size=4))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return out.getvalue().encode(encoding, errors="replace")


@given(csv_texts("organizations"), csv_texts("members"), csv_texts("events"))
def test_the_csv_data_loader_raises_nothing_but_problems_found(
    organizations: bytes, members: bytes, events: bytes
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, data in (
            ("organizations", organizations),
            ("members", members),
            ("events", events),
        ):
            (Path(folder) / f"{name}.csv").write_bytes(data)
        try:
            load_dataset(folder, schema=CARD.schema)
        except ProblemsFound as exc:
            only_documented(exc.problems)


# ------------------------------------------------------------ the canonical form


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(ruleset_documents())
def test_a_ruleset_survives_its_canonical_form(document: dict[str, Any]) -> None:
    text = render(document)
    assert tomli.loads(text, parse_float=Decimal) == document
    assert canonical(text) == text  # the canonical form of a canonical text is itself
    _, problems = parse_ruleset(text, "generated.toml")
    assert problems == [], text  # a generated ruleset loads without a warning, even


@HALF
@given(toml_documents())
def test_any_toml_document_survives_the_canonical_form(document: dict[str, Any]) -> None:
    text = render(document)
    assert tomli.loads(text, parse_float=Decimal) == document
    assert canonical(text) == text


@pytest.mark.parametrize("path", SHIPPED, ids=[p.relative_to(ROOT).as_posix() for p in SHIPPED])
def test_shipped_rulesets_survive_their_canonical_form(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    text = canonical(source)
    assert tomli.loads(text, parse_float=Decimal) == tomli.loads(source, parse_float=Decimal)
    assert canonical(text) == text


@functools.cache
def canonical_card() -> Ruleset:
    """The 渑池 card loaded from its canonical text, written beside a copy of the city
    baseline it extends (baselines are looked for in the folder and the one above)."""
    folder = Path(tempfile.mkdtemp(prefix="canonical-"))
    atexit.register(shutil.rmtree, folder, True)
    for source in (ROOT / "rulesets" / "sanmenxia").glob("member-baseline-*.toml"):
        if not source.name.endswith(".tests.toml"):
            (folder / "sanmenxia").mkdir(exist_ok=True)
            (folder / "sanmenxia" / source.name).write_bytes(source.read_bytes())
    (folder / "mianchi").mkdir()
    copy = folder / "mianchi" / "member-points.toml"
    copy.write_text(canonical(CARD_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    return load_ruleset(copy)


@settings(max_examples=20)
@given(small(CARD))
def test_the_canonical_form_of_a_card_scores_like_the_card(dataset: Dataset) -> None:
    again = canonical_card()
    assert again.sha256 != CARD.sha256  # another source text, the same rules
    assert evaluate(again, dataset, YEAR).results == evaluate(CARD, dataset, YEAR).results


# ------------------------------------------------------------ veto dominance


def _veto_grade(ruleset: Ruleset, result: SubjectResult, rule_id: str) -> str | None:
    rule = next(r for r in ruleset.rules if r.id == rule_id)
    if rule.award.veto_grade is not None:
        return rule.award.veto_grade
    scale = next((s for s in ruleset.grades if s.id == result.scale), None)
    if scale is None:
        return None
    return scale.veto or (scale.bands[-1].grade if scale.bands else None)


@st.composite
def vetoed(draw: st.DrawFn, ruleset: Ruleset) -> tuple[Dataset, Event]:
    """Member data, and an approved record that a veto rule claims, for an active member."""
    dataset = draw(small(ruleset))
    active = sorted(m.id for m in dataset.members.values() if m.active_during(YEAR.start, YEAR.end))
    assume(active)
    member = dataset.members[draw(st.sampled_from(active))]
    rule = draw(st.sampled_from([r for r in ruleset.rules if r.award.effect == "veto"]))
    type_id = draw(st.sampled_from(rule.on))
    start = max(YEAR.start, member.joined or YEAR.start)
    end = min(YEAR.end, member.left or YEAR.end)
    day = draw(st.dates(start, end))
    fields = ruleset.event_types[type_id].fields
    event = Event(
        "V-ADDED",
        type_id,
        day,
        member=member.id,
        quantity=draw(st.none() | st.decimals(1, 8, places=1)),
        attributes=draw(hinted_attributes(fields, "event")),
    )
    organization = dataset.organizations.get(member.organization)
    assume(rule.condition is None or rule.condition(event, member, organization))
    return Dataset(dataset.organizations, dataset.members, (*dataset.events, event)), event


def _check_veto_dominance(ruleset: Ruleset, dataset: Dataset, event: Event) -> None:
    run = evaluate(ruleset, dataset, YEAR)
    result = run.for_subject(event.subject)
    assert event.id in {v.event for v in result.vetoes}
    first = result.vetoes[0]
    assert result.grade == _veto_grade(ruleset, result, first.rule)
    if first.score is not None:
        assert result.score == first.score
    # Whatever else the member did: without the records no veto claimed, the same verdict.
    claimed = {v.event for v in result.vetoes}
    rest = tuple(e for e in dataset.events if e.subject != event.subject or e.id in claimed)
    alone = evaluate(ruleset, attrs.evolve(dataset, events=rest), YEAR).for_subject(event.subject)
    assert (alone.grade, alone.vetoes) == (result.grade, result.vetoes)
    if first.score is not None:
        assert alone.score == result.score


@HALF
@given(ruleset_documents(subject="member", veto=True).map(render), st.data())
def test_a_veto_decides_the_grade_whatever_else_happens(text: str, data: st.DataObject) -> None:
    ruleset = parsed(text)
    dataset, event = data.draw(vetoed(ruleset))
    _check_veto_dominance(ruleset, dataset, event)


@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(vetoed(CARD))
def test_a_veto_decides_the_grade_on_the_mianchi_card(pair: tuple[Dataset, Event]) -> None:
    dataset, event = pair
    _check_veto_dominance(CARD, dataset, event)
    result = evaluate(CARD, dataset, YEAR).for_subject(event.subject)
    assert result.grade in ("不合格", "取消预备党员资格") and result.score == 0


# ------------------------------------------------------------ generated rulesets run clean


def _shuffled(dataset: Dataset) -> Dataset:
    return Dataset(
        dict(reversed(list(dataset.organizations.items()))),
        dict(reversed(list(dataset.members.items()))),
        tuple(reversed(dataset.events)),
    )


@HALF
@given(valid_rulesets(), st.data())
def test_generated_rulesets_evaluate_generated_data_and_keep_every_invariant(
    text: str, data: st.DataObject
) -> None:
    ruleset = parsed(text)
    dataset = data.draw(small(ruleset))
    # a generated ruleset is in force for the period and reads no other ruleset's results,
    # so evaluating it raises nothing
    run = evaluate(ruleset, dataset, YEAR)
    assert loads(dumps(run)) == run
    check_invariants([ruleset], dataset, run, evaluate(ruleset, _shuffled(dataset), YEAR))


@given(small(CARD))
def test_county_data_is_valid_data(dataset: Dataset) -> None:
    rebuilt = Dataset.build(
        dataset.organizations.values(), dataset.members.values(), dataset.events
    )
    assert rebuilt.fingerprint == dataset.fingerprint
    homes = {o.id for o in dataset.organizations.values() if o.kind in ("branch", "group")}
    assert all(m.organization in homes for m in dataset.members.values())
    for event in dataset.events:
        declared = CARD.event_types[event.type]
        assert set(event.attributes) <= set(declared.fields)
        assert event.quantity is None or declared.quantity is not None


# ------------------------------------------------------------ partition invariance


def _branches(dataset: Dataset) -> Iterator[set[str]]:
    """The members of each top branch's subtree (branches under branches stay with theirs)."""
    for org in sorted(dataset.organizations.values(), key=lambda o: o.id):
        if org.kind != "branch":
            continue
        if any(dataset.organizations[a].kind == "branch" for a in dataset.ancestors(org.id)):
            continue
        yield {m.id for m in dataset.members_in_subtree(org.id)}


def _check_partition(ruleset: Ruleset, dataset: Dataset) -> None:
    whole = {(r.ruleset, r.subject.id): r for r in evaluate(ruleset, dataset, YEAR).results}
    parts: dict[tuple[str, str], SubjectResult] = {}
    for members in _branches(dataset):
        part = Dataset(
            dataset.organizations,
            {k: v for k, v in dataset.members.items() if k in members},
            tuple(e for e in dataset.events if e.member in members),
        )
        for result in evaluate(ruleset, part, YEAR).results:
            parts[(result.ruleset, result.subject.id)] = result
    assert parts == whole


@given(small(CARD))
def test_branches_evaluated_apart_score_as_together(dataset: Dataset) -> None:
    _check_partition(CARD, dataset)


@HALF
@given(valid_rulesets(subject="member"), st.data())
def test_generated_member_rulesets_are_partition_invariant(text: str, data: st.DataObject) -> None:
    ruleset = parsed(text)
    _check_partition(ruleset, data.draw(small(ruleset)))


def _shipped_member_rulesets() -> list[Ruleset]:
    """Shipped member rulesets that judge each member alone (no selection among members,
    no other ruleset's results) and are in force in 2015."""
    found = []
    for path in SHIPPED:
        if path.name.endswith(".tests.toml"):
            continue
        ruleset = load_ruleset(path)
        if (
            ruleset.subject == "member"
            and ruleset.selection is None
            and not ruleset.needs
            and ruleset.in_force_on(YEAR.start, YEAR.end)
        ):
            found.append(ruleset)
    return found


MEMBER_RULESETS = _shipped_member_rulesets()


@pytest.mark.parametrize("ruleset", MEMBER_RULESETS, ids=[r.id for r in MEMBER_RULESETS])
def test_shipped_member_rulesets_are_partition_invariant(ruleset: Ruleset) -> None:
    @HALF
    @given(small(ruleset))
    def check(dataset: Dataset) -> None:
        _check_partition(ruleset, dataset)

    check()
