"""Streaming evaluation equals evaluation on the whole data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dangjian_rules import Period, ProblemsFound, evaluate, load_ruleset
from dangjian_rules.convert.results import subject_result_json
from dangjian_rules.engine.stream import check_streamable, evaluate_stream
from dangjian_rules.io.jsonl import evaluate_file
from dangjian_rules.model.records import record_dict
from dangjian_rules.tools.generate import generate_county

ROOT = Path(__file__).resolve().parent.parent
CARD = ROOT / "rulesets" / "mianchi" / "member-points.toml"


def test_streamed_results_equal_the_whole_run(tmp_path: Path) -> None:
    card = load_ruleset(CARD)
    data = generate_county(members=120, seed=7, year=2015)
    path = tmp_path / "events.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for (kind, subject), events in sorted(data.events_by_subject.items()):
            assert kind == "member"
            rows = []
            for event in events:
                row = record_dict(event)
                row.update(row.pop("attributes"))  # type: ignore[arg-type]
                rows.append({k: v for k, v in row.items() if v is not None})
            handle.write(json.dumps({"subject": subject, "events": rows}, ensure_ascii=False))
            handle.write("\n")
    whole = evaluate(card, data, Period.parse("2015"), with_trace=False)
    streamed = sorted(
        evaluate_file(card, data.organizations, data.members, path, Period.parse("2015")),
        key=lambda r: r.subject.id,
    )
    assert [subject_result_json(r, False) for r in streamed] == [
        subject_result_json(r, False) for r in whole.results
    ]


@pytest.mark.parametrize(
    ("added", "reason"),
    [
        (
            '\n[selection]\ncount = 3\nrank_by = ["result.score desc"]\n',
            "a selection ranks subjects against each other",
        ),
        (
            '\n[stars]\nmode = "cumulative"\nlevels = [{ stars = 1, label = "一星", '
            'when = "result.score >= 80" }]\nquota = [{ stars = 1, at_most = 0.1 }]\n'
            'rank_by = ["result.score desc"]\n',
            "star quotas compare subjects with each other",
        ),
    ],
)
def test_rulesets_that_compare_subjects_cannot_stream(
    tmp_path: Path, added: str, reason: str
) -> None:
    # A folder of its own: baselines are also searched one folder up, where pytest keeps
    # the other tests' folders.
    tmp_path = tmp_path / "own"
    tmp_path.mkdir()
    plain = CARD.read_text(encoding="utf-8")
    (tmp_path / "card.toml").write_text(plain + added, encoding="utf-8")
    for name in ("member-baseline-2015.toml",):
        (tmp_path / name).write_text(
            (ROOT / "rulesets" / "sanmenxia" / name).read_text(encoding="utf-8"), "utf-8"
        )
    assert check_streamable(load_ruleset(CARD)) == []
    card = load_ruleset(tmp_path / "card.toml")
    assert check_streamable(card) == [reason]
    with pytest.raises(ProblemsFound, match="cannot be evaluated as a stream"):
        list(evaluate_stream(card, {}, {}, iter(()), Period.parse("2015")))
