"""The county rulesets under rulesets/ check clean and do what their county's practice says,
evaluated from the command line on the shipped sample data (examples/sanmenxia-2014, -2015)."""

from __future__ import annotations

import io
import json
import math
import random
import shutil
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from dangjian_rules.api import check_paths
from dangjian_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
DATA = {year: ROOT / "examples" / f"sanmenxia-{year}" for year in (2014, 2015)}
MIANCHI = RULESETS / "mianchi" / "member-points.toml"

COUNTY_FILES = (
    "lingbao/venue-checklist.toml",
    "lushi/star-branches.toml",
    "hubin/tiers.toml",
    "hubin/contact-cadence.toml",
    "kaifaqu/target-responsibility.toml",
    "kaifaqu/member-targets.toml",
    "shanxian/top-ten-members.toml",
    "yima/top-ten-cases.toml",
    "national/streak.toml",
)

Result = dict[str, Any]


def evaluate(*args: str | Path) -> dict[str, Any]:
    """``dangjian-rules evaluate … --format json`` as a user runs it; the parsed output."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["evaluate", *map(str, args), "--format", "json"], out, err)
    assert code == 0, err.getvalue()
    parsed: dict[str, Any] = json.loads(out.getvalue())
    return parsed


def results(run: dict[str, Any], ruleset: str) -> dict[str, Result]:
    return {r["subject"]["id"]: r for r in run["results"] if r["ruleset"] == ruleset}


def value(result: Result, measure: str) -> Any:
    raw = result["measures"][measure]["value"]
    return Decimal(raw) if result["measures"][measure]["type"] == "decimal" else raw


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    import csv

    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def events_2015() -> list[dict[str, str]]:
    return read_csv(DATA[2015], "events.csv")


@pytest.fixture(scope="module")
def members_2015() -> dict[str, dict[str, str]]:
    return {m["id"]: m for m in read_csv(DATA[2015], "members.csv")}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("county")


@pytest.fixture(scope="module")
def mianchi_2014(work: Path) -> Path:
    """The 渑池 card as it would read in force for 2014 (the shipped one is for 2015 only).

    It extends the city baseline, whose 2014 version is then used.
    """
    text = MIANCHI.read_text(encoding="utf-8")
    assert "in_force = { from = 2015-01-01, until = 2015-12-31 }" in text
    text = text.replace(
        "in_force = { from = 2015-01-01, until = 2015-12-31 }",
        "in_force = { from = 2014-01-01, until = 2014-12-31 }",
    ).replace('version = "2015.1"', 'version = "2014.1"')
    folder = work / "mianchi-2014" / "card"
    folder.mkdir(parents=True)
    (folder / "member-points.toml").write_text(text, encoding="utf-8")
    return folder / "member-points.toml"


# ------------------------------------------------------------------------- checks


def test_every_ruleset_checks_clean_without_warnings() -> None:
    assert [p.to_dict() for p in check_paths([RULESETS])] == []


@pytest.mark.parametrize("name", COUNTY_FILES)
def test_county_ruleset_is_clean_and_says_it_is_illustrative(name: str) -> None:
    path = RULESETS / name
    assert check_paths([path]) == []
    head = path.read_text(encoding="utf-8").split("[ruleset]")[0]
    assert "ILLUSTRATIVE" in head and "Illustrative" in head
    assert "示意" in path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------- 灵宝


@pytest.fixture(scope="module")
def lingbao() -> dict[str, Result]:
    return results(
        evaluate("-r", RULESETS / "lingbao", "-d", DATA[2015], "-p", "2015"),
        "lingbao.venue-checklist",
    )


def test_lingbao_verdicts_include_not_inspected(
    lingbao: dict[str, Result], events_2015: list[dict[str, str]]
) -> None:
    verdicts = Counter(value(r, "venue") for r in lingbao.values())
    assert set(verdicts) == {"达标", "基本达标", "不达标", "未检查"}
    inspected = {
        e["organization"]
        for e in events_2015
        if e["type"] == "venue_inspection" and e["status"] == "approved"
    }
    for branch, result in lingbao.items():
        parts = result["measures"]["venue"]["parts"]
        passed = parts["passed"]["value"]
        if branch not in inspected:  # missing is not failing
            assert value(result, "venue") == "未检查"
            assert parts["inspected"]["value"] is False and passed is None
            assert [f["id"] for f in result["flags"]] == ["not-inspected"]
            continue
        expected = "达标" if passed == "10" else "基本达标" if int(passed) >= 8 else "不达标"
        assert value(result, "venue") == expected


def test_lingbao_uses_the_latest_inspection(
    lingbao: dict[str, Result], events_2015: list[dict[str, str]]
) -> None:
    latest: dict[str, tuple[str, str]] = {}
    for e in events_2015:
        if e["type"] == "venue_inspection" and e["status"] == "approved":
            latest[e["organization"]] = max(
                latest.get(e["organization"], ("", "")), (e["date"], e["id"])
            )
    twice = Counter(e["organization"] for e in events_2015 if e["type"] == "venue_inspection")
    assert any(n > 1 for n in twice.values())
    for branch, (date, event_id) in latest.items():
        measured = lingbao[branch]["measures"]["venue"]
        assert measured["events"] == [event_id]
        assert measured["parts"]["date"]["value"] == date


def test_lingbao_rectification_list(
    lingbao: dict[str, Result], events_2015: list[dict[str, str]]
) -> None:
    by_id = {e["id"]: e for e in events_2015}
    checked = 0
    for result in lingbao.values():
        measured = result["measures"]["venue"]
        if not measured["events"]:
            continue
        missing = [d["label"] for d in measured["details"] if not d["passed"]]
        assert len(measured["details"]) == 10
        assert Decimal(measured["parts"]["missing"]["value"]) == len(missing)
        flags = [f["id"] for f in result["flags"]]
        if missing:
            assert "需整改：" + "、".join(missing) in measured["explanation_zh"]
            assert flags == ["rectify"]
            checked += 1
        else:
            assert flags == []
        # The room item combines a field with the area (≥ 20 m²).
        record = by_id[measured["events"][0]]
        room = next(d for d in measured["details"] if d["id"] == "room")
        area = Decimal(record["area"]) if record["area"] else Decimal(0)
        assert room["passed"] == (record["furniture"] == "true" and area >= 20)
    assert checked >= 5


# ------------------------------------------------------------------------- 卢氏


@pytest.fixture(scope="module")
def lushi_runs(work: Path, mianchi_2014: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    both = ("-r", RULESETS / "lushi", "-r", RULESETS / "lingbao")
    first = evaluate(*both, "-r", mianchi_2014, "-d", DATA[2014], "-p", "2014", "--summary")
    previous = work / "lushi-2014.json"
    previous.write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    second = evaluate(
        *both, "-r", MIANCHI, "-d", DATA[2015], "-p", "2015", "--previous", previous, "--summary"
    )
    return first, second


def stars_of(run: dict[str, Any]) -> dict[str, Result]:
    return results(run, "lushi.star-branches")


def notes(result: Result, key: str = "stars") -> list[str]:
    return [n["code"] for n in result[key]["notes"]]


def test_lushi_five_star_quota(lushi_runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    for run in lushi_runs:
        branches = stars_of(run)
        five = [b for b, r in branches.items() if r["stars"]["count"] == 5]
        assert len(five) <= math.floor(Decimal("0.1") * len(branches))
    # In 2014 more branches earned five stars than the quota allows: the lowest-ranked
    # (by the members' grades, then 支委会) keep four.
    first = stars_of(lushi_runs[0])
    earned = [b for b, r in first.items() if r["stars"]["earned"] == 5 and not r["vetoes"]]
    demoted = [b for b in earned if "quota" in notes(first[b])]
    kept = [b for b in earned if first[b]["stars"]["count"] == 5]
    assert demoted and kept
    for b in demoted:
        assert first[b]["stars"]["count"] == 4
        for k in kept:
            assert (value(first[k], "qualified"), value(first[k], "committee")) >= (
                value(first[b], "qualified"),
                value(first[b], "committee"),
            )


def test_lushi_veto_strips_every_star(
    lushi_runs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    stripped = 0
    for run in lushi_runs:
        for result in stars_of(run).values():
            if result["vetoes"]:
                assert result["stars"]["count"] == 0
                if result["stars"]["earned"]:
                    assert "veto" in notes(result)
                    stripped += 1
            else:
                assert "veto" not in notes(result)
    assert stripped >= 1


def test_lushi_at_most_one_star_up_a_year(
    lushi_runs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, now = (stars_of(run) for run in lushi_runs)
    limited = 0
    for branch, result in now.items():
        count, earned = result["stars"]["count"], result["stars"]["earned"]
        assert count <= before[branch]["stars"]["count"] + 1
        if "previous_limit" in notes(result):
            assert earned > before[branch]["stars"]["count"] + 1
            limited += 1
    assert limited >= 2
    # The first year has nothing to be limited against.
    assert not any("previous_limit" in notes(r) for r in before.values())


def test_lushi_reads_the_checklist_and_the_member_card(
    lushi_runs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    run = lushi_runs[1]
    venue = results(run, "lingbao.venue-checklist")
    cards = results(run, "mianchi.member-points")
    good = {"优秀", "合格", "按期转正"}
    members = read_csv(DATA[2015], "members.csv")
    for branch, result in stars_of(run).items():
        assert value(result, "venue") == value(venue[branch], "venue")
        graded = [cards[m["id"]]["grade"] for m in members if m["organization"] == branch]
        graded = [g for g in graded if g is not None]
        share = (Decimal(sum(g in good for g in graded)) / len(graded)).quantize(Decimal("0.0001"))
        assert value(result, "qualified") == share


# ------------------------------------------------------------------------- 湖滨


@pytest.fixture(scope="module")
def hubin_runs(work: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    both = ("-r", RULESETS / "hubin" / "tiers.toml", "-r", RULESETS / "lingbao")
    first = evaluate(*both, "-d", DATA[2014], "-p", "2014", "--summary")
    previous = work / "hubin-2014.json"
    previous.write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    alone = evaluate(*both, "-d", DATA[2015], "-p", "2015", "--summary")
    second = evaluate(*both, "-d", DATA[2015], "-p", "2015", "--previous", previous, "--summary")
    return first, alone, second


def test_hubin_promotion_is_limited(
    hubin_runs: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    order = ["先进", "较好", "一般", "后进"]
    before, alone, now = (results(run, "hubin.tiers") for run in hubin_runs)
    assert {r["tier"]["tier"] for r in alone.values()} >= {"较好", "一般", "后进"}
    limited = 0
    for branch, result in now.items():
        tier, earned = result["tier"]["tier"], result["tier"]["earned"]
        was = order.index(before[branch]["tier"]["tier"])
        assert order.index(tier) >= was - 1  # at most one tier up
        # Without the previous result nothing is limited: the tier is the one earned.
        assert alone[branch]["tier"]["tier"] == alone[branch]["tier"]["earned"]
        if tier != earned:
            assert "previous_limit" in notes(result, "tier")
            assert order.index(earned) < was - 1 and order.index(tier) == was - 1
            limited += 1
        if result["vetoes"]:
            assert tier == "后进"
    assert limited >= 2


def test_hubin_contact_cadence(
    members_2015: dict[str, dict[str, str]], events_2015: list[dict[str, str]]
) -> None:
    run = evaluate(
        "-r",
        RULESETS / "hubin" / "contact-cadence.toml",
        "-d",
        DATA[2015],
        "-p",
        "2015",
        "--summary",
    )
    cadres = {m for m, row in members_2015.items() if "联系干部" in row["roles"].split(";")}
    long_stays: dict[str, Counter[str]] = {}
    for e in events_2015:  # approved stays of at least two days, per member and month
        if e["type"] == "contact_stay" and e["status"] == "approved" and e["end"] > e["date"]:
            long_stays.setdefault(e["member"], Counter())[e["date"][:7]] += 1
    assert len(cadres) >= 10
    newcomers = 0
    for member, result in results(run, "hubin.contact-cadence").items():
        if member not in cadres:
            assert result["grade"] == "不适用"
            continue
        assert result["grade"] in {"优秀", "合格", "基本合格", "不合格"}
        stays = result["measures"]["stays"]
        joined = members_2015[member]["joined"]
        first_month = int(joined[5:7]) if joined >= "2015-01-01" else 1
        windows = [d["window"] for d in stays["details"]]
        assert windows == [f"2015-{m:02d}" for m in range(first_month, 13)]
        newcomers += first_month > 1
        # Independently: months with two approved stays of at least two days each.
        met = sum(long_stays.get(member, Counter())[w] >= 2 for w in windows)
        assert stays["parts"]["met"]["value"] == str(met)
        assert Decimal(result["score"]) == Decimal(stays["value"]) * 100
    assert newcomers == 1  # a cadre who joined mid-year is measured from that month on


# ------------------------------------------------------------------------- 开发区


def test_kaifaqu_target_card(events_2015: list[dict[str, str]]) -> None:
    run = evaluate("-r", RULESETS / "kaifaqu", "-d", DATA[2015], "-p", "2015", "--summary")
    cards = results(run, "kaifaqu.target-responsibility")
    assert len(cards) == 25
    assessments = {
        (e["organization"], e["type"]): Decimal(e["quantity"])
        for e in events_2015
        if e["type"] in ("self_assessment", "superior_assessment") and e["status"] == "approved"
    }
    sanctioned = Counter(
        e["organization"] for e in events_2015 if e["type"] == "branch_accountability"
    )
    assert sanctioned
    for branch, result in cards.items():
        own = assessments.get((branch, "self_assessment"), Decimal(0))
        superior = assessments.get((branch, "superior_assessment"), Decimal(0))
        assert value(result, "assessment") == own * Decimal("0.4") + superior * Decimal("0.6")
        categories = {c["id"]: Decimal(c["score"]) for c in result["categories"]}
        assert categories["assessment"] == value(result, "assessment") * Decimal("0.7")
        assert categories["discipline"] == -10 * sanctioned[branch]  # not swallowed by a floor
        assert Decimal(result["score"]) == sum(categories.values())
    assert {r["grade"] for r in cards.values()} >= {"好", "较好", "一般"}
    members = results(run, "kaifaqu.member-targets")
    assert len(members) >= 490
    assert set(Counter(r["grade"] for r in members.values())) == {
        "优秀",
        "合格",
        "基本合格",
        "不合格",
    }


# ------------------------------------------------------------------------- 党章 streak


def test_national_streak_flags_name_the_months(
    members_2015: dict[str, dict[str, str]], events_2015: list[dict[str, str]]
) -> None:
    run = evaluate("-r", RULESETS / "national", "-d", DATA[2015], "-p", "2015", "--summary")
    life = {"member_meeting", "group_meeting", "party_lecture", "theme_day"}
    active: dict[str, set[str]] = {}
    paid: dict[str, set[str]] = {}
    for e in events_2015:
        if e["status"] != "approved" or not e["date"].startswith("2015"):
            continue
        if e["type"] in life:
            active.setdefault(e["member"], set()).add(e["date"][:7])
        elif e["type"] == "dues":
            paid.setdefault(e["member"], set()).add(e["date"][:7])
    flagged = {m: r for m, r in results(run, "national.streak").items() if r["flags"]}
    assert 2 <= len(flagged) <= 20
    both = 0
    for member, result in flagged.items():
        assert [f["id"] for f in result["flags"]] == ["lapsed"]
        assert "自行脱党" in result["flags"][0]["label"]
        for measure, months in (("no_life", active), ("no_dues", paid)):
            measured = result["measures"][measure]
            if measured["value"] is not True:
                continue
            run_months = [d["window"] for d in measured["details"]]
            assert len(run_months) >= 6
            assert f"{run_months[0]} to {run_months[-1]}" in measured["explanation"]
            assert f"{run_months[0]} 至 {run_months[-1]}" in measured["explanation_zh"]
            assert not set(run_months) & months.get(member, set())
        both += result["measures"]["no_dues"]["value"] is True
        # Joined too late in the year to miss six months: never flagged.
        assert members_2015[member]["joined"] < "2015-08-01"
    assert both >= 1


# ------------------------------------------------------------------------- selections


def ranked(run: dict[str, Any], ruleset: str) -> list[Result]:
    eligible = [r for r in results(run, ruleset).values() if r["selection"]["eligible"]]
    return sorted(eligible, key=lambda r: r["selection"]["rank"])


def shuffled_copy(folder: Path, into: Path, seed: int) -> Path:
    """The dataset with its records in another order (the result must not change)."""
    into.mkdir()
    for name in ("organizations.csv", "members.csv"):
        shutil.copy(folder / name, into / name)
    header, *rows = (folder / "events.csv").read_text(encoding="utf-8-sig").splitlines()
    random.Random(seed).shuffle(rows)
    (into / "events.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return into


def keys(result: Result, names: list[str]) -> tuple[Any, ...]:
    out: list[Any] = []
    for name in names:
        text = result["selection"]["keys"][name]
        out.append(text if name.endswith("asc") else -Decimal(text))
    return tuple(out)


def check_selection(run: dict[str, Any], ruleset: str, rank_by: list[str]) -> list[Result]:
    order = ranked(run, ruleset)
    assert [r["selection"]["rank"] for r in order] == list(range(1, len(order) + 1))
    assert [r["selection"]["selected"] for r in order] == [i < 10 for i in range(len(order))]
    assert sum(r["selection"]["selected"] for r in results(run, ruleset).values()) == 10
    for a, b in pairwise(order):
        assert keys(a, rank_by) < keys(b, rank_by)  # strictly: every tie is broken
    return order


def test_shanxian_top_ten_members(work: Path) -> None:
    rank_by = [
        "result.score desc",
        "measure.volunteer_hours desc",
        "measure.recognitions desc",
        "subject.id asc",
    ]
    args = ("-r", RULESETS / "shanxian", "-r", MIANCHI, "-p", "2015", "--summary")
    run = evaluate(*args, "-d", DATA[2015])
    order = check_selection(run, "shanxian.top-ten-members", rank_by)
    cards = results(run, "mianchi.member-points")
    members = {m["id"]: m for m in read_csv(DATA[2015], "members.csv")}
    for member, result in results(run, "shanxian.top-ten-members").items():
        card = cards[member]
        eligible = (
            members[member]["status"] == "full"
            and not result["vetoes"]
            and (card["grade"] == "优秀" or Decimal(card["score"]) >= 88)
        )
        assert result["selection"]["eligible"] is eligible
        assert result["score"] == card["score"]
    # Ties on the score are broken by volunteer hours.
    scores = Counter(r["score"] for r in order[:15])
    assert any(n > 1 for n in scores.values())
    again = evaluate(*args, "-d", shuffled_copy(DATA[2015], work / "shuffled-members", 7))
    assert [r["subject"]["id"] for r in ranked(again, "shanxian.top-ten-members")] == [
        r["subject"]["id"] for r in order
    ]


def test_yima_top_ten_cases(events_2015: list[dict[str, str]]) -> None:
    rank_by = [
        "measure.review desc",
        "measure.committee desc",
        "measure.lectures desc",
        "subject.id asc",
    ]
    run = evaluate("-r", RULESETS / "yima", "-d", DATA[2015], "-p", "2015", "--summary")
    order = check_selection(run, "yima.top-ten-cases", rank_by)
    cases = {
        e["organization"]: Decimal(e["quantity"])
        for e in events_2015
        if e["type"] in ("feature_case", "brand_case") and e["status"] == "approved"
    }
    for branch, result in results(run, "yima.top-ten-cases").items():
        eligible = (
            branch in cases
            and value(result, "member_meetings") >= Decimal("0.75")
            and not result["vetoes"]
        )
        assert result["selection"]["eligible"] is eligible
        if branch in cases:
            assert value(result, "review") == cases[branch]
    reviews = Counter(r["selection"]["keys"]["measure.review desc"] for r in order)
    assert any(n > 1 for n in reviews.values())  # ties on the review score happen


@pytest.fixture(autouse=True, scope="module")
def _sample_data_present() -> Iterator[None]:
    for folder in DATA.values():
        assert (folder / "events.csv").is_file(), f"{folder} is missing"
    yield
