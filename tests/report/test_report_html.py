"""The HTML report, read as a parser reads it: sections, no network, every subject, escaping,
charts with the expected bars, languages, determinism; and the `report` command."""

from __future__ import annotations

import io
import re
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest

from dangjian_rules.api import evaluate
from dangjian_rules.cli import main
from dangjian_rules.io.report import grouping, pass_grades, render_report
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Organization
from dangjian_rules.model.result import format_decimal

SECTIONS = (
    "overview",
    "city",
    "grades",
    "stars",
    "tiers",
    "selection",
    "rectification",
    "flags",
    "subjects",
)


@attrs.define
class Element:
    tag: str
    attributes: dict[str, str]
    parent: Element | None
    children: list[Element] = attrs.Factory(list)
    text: list[str] = attrs.Factory(list)

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        found = []
        for child in self.children:
            classes = child.attributes.get("class", "").split()
            if child.tag == tag and (cls is None or cls in classes):
                found.append(child)
            found.extend(child.find_all(tag, cls))
        return found

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)


_VOID = {"meta", "input", "br", "img", "link", "hr"}


class Tree(HTMLParser):
    """A small DOM: enough to look for sections, links, charts and subjects."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root
        self.errors: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs_: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs_}, self.current)
        self.current.children.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs_: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs_}, self.current)
        self.current.children.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self.current.tag != tag:
            self.errors.append(f"</{tag}> closes <{self.current.tag}>")
            return
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        self.current.text.append(data)


@pytest.fixture(scope="module")
def zh(city: Any) -> str:
    return render_report(city.run, city.rulesets, city.dataset, "zh")


@pytest.fixture(scope="module")
def en(city: Any) -> str:
    return render_report(city.run, city.rulesets, city.dataset, "en")


def test_is_one_well_formed_document_with_every_section(zh: str) -> None:
    tree = Tree(zh)
    assert tree.errors == []
    assert tree.current is tree.root  # every element closed
    assert zh.startswith("<!DOCTYPE html>\n")
    (html_element,) = tree.root.find_all("html")
    assert html_element.attributes["lang"] == "zh-CN"
    sections = [s.attributes["id"] for s in tree.root.find_all("section")]
    assert sections == list(SECTIONS)
    for section in tree.root.find_all("section"):
        assert section.find_all("h2"), section.attributes["id"]
    (meta,) = [m for m in tree.root.find_all("meta") if "charset" in m.attributes]
    assert meta.attributes["charset"] == "utf-8"
    ids = [e.attributes["id"] for e in _everything(tree.root) if "id" in e.attributes]
    assert len(ids) == len(set(ids)) and all(ids)
    links = [e.attributes["href"] for e in tree.root.find_all("a")]
    assert links and all(link[1:] in ids for link in links)  # the contents point inside


def test_needs_no_network(zh: str) -> None:
    tree = Tree(zh)
    for element in _everything(tree.root):
        for name in ("src", "href", "action", "data", "xlink:href", "srcset", "poster"):
            value = element.attributes.get(name, "")
            assert not re.match(r"\s*(https?:)?//", value), (element.tag, name, value)
    assert not tree.root.find_all("link")
    assert not tree.root.find_all("img")
    assert not tree.root.find_all("iframe")
    for script in tree.root.find_all("script"):
        assert "src" not in script.attributes
    assert "http://" not in zh and "https://" not in zh
    assert "@import" not in zh and "url(" not in zh


def _everything(element: Element) -> list[Element]:
    out = []
    for child in element.children:
        out.append(child)
        out.extend(_everything(child))
    return out


def test_every_subject_is_in_the_drill_down_with_its_explanation(city: Any, zh: str) -> None:
    tree = Tree(zh)
    details = tree.root.find_all("details", "subject")
    shown = Counter(
        (d.parent.attributes["data-ruleset"] if d.parent else "", d.attributes["data-subject"])
        for d in details
    )
    wanted = Counter((r.ruleset, r.subject.id) for r in city.run.results)
    assert shown == wanted
    ids = [d.attributes["id"] for d in details]
    assert len(ids) == len(set(ids))
    first = city.run.results[0]
    block = next(d for d in details if d.attributes["data-subject"] == first.subject.id)
    (pre,) = block.find_all("pre")
    assert first.subject.name in pre.all_text()
    assert city.run.period.label in pre.all_text()


def test_provenance_names_every_ruleset_version_and_hash(city: Any, zh: str) -> None:
    overview = Tree(zh).root.find_all("section")[0].all_text()
    for ref in city.run.rulesets:
        assert ref.id in overview and ref.version in overview and ref.sha256 in overview
    assert city.run.data.sha256 in overview
    assert city.run.engine in overview


def test_charts_have_the_bars_they_say(city: Any, zh: str) -> None:
    tree = Tree(zh)
    charts = [svg for svg in tree.root.find_all("svg") if "chart" in svg.attributes["class"]]
    assert charts
    for svg in charts:
        bars = svg.find_all("rect", "bar")
        assert len(bars) == int(svg.attributes["data-bars"]) > 0, svg.attributes["id"]
        for bar in bars:
            assert float(bar.attributes["width"]) >= 0
    by_id = {svg.attributes["id"]: svg for svg in charts}
    for ruleset in city.rulesets:
        slug = ruleset.id.replace(".", "-")
        if ruleset.grades:
            bands = sum(len(scale.bands) for scale in ruleset.grades)
            ungraded = any(r.grade is None for r in city.run.results if r.ruleset == ruleset.id)
            svg = by_id[f"chart-grades-{slug}"]
            assert len(svg.find_all("rect", "bar")) == bands + ungraded
        if ruleset.stars is not None:
            groups = {
                _group(city, r.subject.organization if r.subject.kind == "member" else r.subject.id)
                for r in city.run.results
                if r.ruleset == ruleset.id
            }
            svg = by_id[f"chart-stars-{slug}"]
            levels = ruleset.stars.highest + 1
            assert len(svg.find_all("rect", "bar")) == (len(groups) + 1) * levels


def _group(city: Any, organization: str | None) -> str:
    return grouping(city.dataset).of_organization[organization or ""]


def test_city_view_compares_the_groups_side_by_side(city: Any, zh: str) -> None:
    tree = Tree(zh)
    (section,) = [s for s in tree.root.find_all("section") if s.attributes["id"] == "city"]
    groups = grouping(city.dataset)
    assert groups.mode == "top"  # one root: the organs under 三门峡市直机关工委
    tables = section.find_all("table", "compare")
    assert len(tables) == len([v for v in city.run.rulesets if v.subject])
    text = section.all_text()
    for key, label in groups.order:
        if key != city.dataset.roots[0]:
            assert label in text
    assert "差距" in text  # the spread between the best and the worst group


def test_share_at_least_qualified_counts_the_top_bands(city: Any) -> None:
    card = next(r for r in city.rulesets if r.id == "mianchi.member-points")
    passing, names = pass_grades(card)
    assert names[0] == "合格"
    assert passing[("full", "优秀")] and passing[("full", "合格")]
    assert not passing[("full", "基本合格")]
    assert passing[("probationary", "按期转正")]
    assert not passing[("probationary", "延期转正")]


def test_rectification_lists_the_failed_items_of_each_venue(city: Any, zh: str) -> None:
    (section,) = [
        s for s in Tree(zh).root.find_all("section") if s.attributes["id"] == "rectification"
    ]
    text = section.all_text()
    failing = [
        r
        for r in city.run.results
        if r.ruleset == "lingbao.venue-checklist"
        and any(d.get("passed") is False for d in r.measures["venue"].details)
    ]
    assert failing
    for result in failing:
        assert result.subject.id in text
        for item in result.measures["venue"].details:
            if item["passed"] is False:
                assert str(item["label"]) in text


def test_selections_list_the_selected_in_rank_order(city: Any, zh: str) -> None:
    (section,) = [s for s in Tree(zh).root.find_all("section") if s.attributes["id"] == "selection"]
    for ruleset in city.rulesets:
        if ruleset.selection is None:
            continue
        selected = sorted(
            (r for r in city.run.results if r.ruleset == ruleset.id and r.selection),
            key=lambda r: r.selection.rank if r.selection and r.selection.rank else 0,
        )
        picked = [r.subject.id for r in selected if r.selection and r.selection.selected]
        assert picked
        table = next(t for t in section.find_all("table") if picked[0] in t.all_text())
        rows = [tr.find_all("td") for tr in table.find_all("tr") if tr.find_all("td")]
        assert [cells[1].all_text() for cells in rows] == picked


def test_is_deterministic(city: Any, zh: str) -> None:
    again = render_report(city.run, list(reversed(city.rulesets)), city.dataset, "zh")
    assert again == zh
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d", zh)  # no timestamp


def test_english_on_request(en: str) -> None:
    tree = Tree(en)
    (html_element,) = tree.root.find_all("html")
    assert html_element.attributes["lang"] == "en"
    headings = [h.all_text() for h in tree.root.find_all("h2")]
    assert headings[0] == "Overview and provenance"
    assert "Per-subject drill-down" in headings
    assert "base score" in en and "基础分" not in en


def test_text_is_escaped(city: Any) -> None:
    nasty = '<script>alert("x")</script> & <b>'
    organizations = dict(city.dataset.organizations)
    first = city.dataset.roots[0]
    organizations[first] = attrs.evolve(organizations[first], name=nasty)
    child = city.dataset.children[first][0]
    organizations[child] = attrs.evolve(organizations[child], name=nasty + "2")
    dataset = attrs.evolve(city.dataset, organizations=organizations)
    run = evaluate(city.rulesets, dataset, Period.parse("2015"))
    document = render_report(run, city.rulesets, dataset, "zh")
    assert nasty not in document
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in document
    assert document.count("<script>") == 1  # our own, at the end
    assert Tree(document).errors == []


def test_without_drill_down_is_small(city: Any, zh: str) -> None:
    small = render_report(city.run, city.rulesets, city.dataset, "zh", drill_down=False)
    assert 'class="subject"' not in small
    assert len(small) * 5 < len(zh)
    assert [s.attributes["id"] for s in Tree(small).root.find_all("section")] == list(SECTIONS)


def test_groups_by_region_when_the_data_names_several(city: Any) -> None:
    organizations = {
        oid: attrs.evolve(o, region="灵宝市" if i % 2 else "卢氏县")
        for i, (oid, o) in enumerate(sorted(city.dataset.organizations.items()))
    }
    dataset = attrs.evolve(city.dataset, organizations=organizations)
    groups = grouping(dataset)
    assert groups.mode == "region"
    assert [label for _, label in groups.order] == ["卢氏县", "灵宝市"]
    document = render_report(city.run, city.rulesets, dataset, "zh")
    assert "按所在党组织的地区分组" in document


def test_a_county_with_one_root_and_no_children_is_one_group() -> None:
    from dangjian_rules.model.records import Dataset

    dataset = Dataset.build([Organization("A", "甲支部", "branch")], [], [])
    groups = grouping(dataset)
    assert groups.of_organization == {"A": "A"}


# ------------------------------------------------------------------------ the command


def test_report_command_writes_one_file_and_nothing_on_stderr(
    city: Any, rulesets_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "report",
            "--ruleset",
            str(rulesets_dir),
            "--data",
            str(city.folder),
            "--period",
            "2015",
            "--output",
            str(target),
            "--lang",
            "zh",
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    assert out.getvalue() == "" and err.getvalue() == ""
    captured = capsys.readouterr()
    assert captured.err == ""  # no progress bar: stderr is not a terminal
    document = target.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in document
    for result in city.run.results:
        assert f'data-subject="{result.subject.id}"' in document


def test_report_command_to_stdout_in_english_without_drill_down(
    city: Any, rulesets_dir: Path
) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["report", "-r", str(rulesets_dir), "-d", str(city.folder), "-p", "2015"]
    code = main([*argv, "--lang", "en", "--no-drill-down", "--group-by", "top"], out, err)
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in out.getvalue()
    assert 'class="subject"' not in out.getvalue()


def test_report_command_errors(city: Any, rulesets_dir: Path, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["report", "-r", str(rulesets_dir), "-p", "2015", "-o", str(tmp_path / "r.html")]
    assert main([*argv, "-d", str(tmp_path / "missing")], out, err) == 1
    assert "DJ211" in err.getvalue() or "DJ219" in err.getvalue()
    assert main([*argv, "-d", str(city.folder), "--group-by", "county"], out, err) == 2
    assert not (tmp_path / "r.html").exists()


def test_previous_period_is_named_in_the_overview(city: Any) -> None:
    earlier = attrs.evolve(
        city.run,
        period=attrs.evolve(city.run.period, label="2014"),
    )
    document = render_report(
        city.run, city.rulesets, city.dataset, "zh", drill_down=False, previous=earlier
    )
    assert "上期结果" in document and "2014" in document


def test_scores_are_shown_exactly(city: Any, zh: str) -> None:
    card = [r for r in city.run.results if r.ruleset == "mianchi.member-points"]
    mean = sum((r.score for r in card), Decimal(0)) / len(card)
    shown = format_decimal(mean.quantize(Decimal("0.01")))
    assert f">{shown}<" in zh  # the average score of all, in the comparison's last row


@pytest.mark.parametrize(
    ("locale", "lang"), [("C.UTF-8", "en"), ("zh_CN.UTF-8", "zh-CN"), ("en_US.UTF-8", "en")]
)
def test_report_language_follows_the_locale_unless_asked(
    locale: str, lang: str, monkeypatch: pytest.MonkeyPatch, root: Path
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", locale)
    out, err = io.StringIO(), io.StringIO()
    examples = root / "docs" / "examples"
    argv = ["report", "-r", str(examples / "small-card.toml"), "-d"]
    argv += [str(examples / "small-data.json"), "-p", "2015", "--no-drill-down"]
    assert main(argv, out, err) == 0, err.getvalue()
    assert f'<html lang="{lang}">' in out.getvalue()
    for chosen, attribute in (("en", "en"), ("zh", "zh-CN")):
        out = io.StringIO()
        assert main([*argv, "--lang", chosen], out, err) == 0
        assert f'<html lang="{attribute}">' in out.getvalue()
    # the report command changes no other command's default language
    out = io.StringIO()
    assert main(["check", str(examples / "small-card.toml")], out, err) == 0
    assert ("检查通过" in out.getvalue()) == (lang == "zh-CN")


def test_the_style_and_script_are_package_data() -> None:
    """The report reads its CSS and JS from files beside it: an installed wheel must hold
    them, so pyproject.toml declares them as package data."""
    import fnmatch

    import tomli

    root = Path(__file__).resolve().parents[2]
    package = root / "src" / "dangjian_rules"
    config = tomli.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["dangjian_rules"]
    folder = package / "io" / "report"
    assets = sorted([*folder.glob("*.css"), *folder.glob("*.js")])
    assert [a.name for a in assets] == ["report.css", "report.js"]
    for asset in assets:
        relative = asset.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
