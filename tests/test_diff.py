"""`diff`: what a rule change does on the same data."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

from dangjian_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "docs" / "examples" / "small-data.json"


def proposal(tmp_path: Path, base: int = 65) -> tuple[Path, Path]:
    old = ROOT / "docs" / "examples" / "small-card.toml"
    folder = tmp_path / "proposal"
    folder.mkdir()
    new = folder / "small-card.toml"
    text = old.read_text(encoding="utf-8")
    assert 'version = "1"' in text
    new.write_text(
        text.replace('version = "1"', 'version = "2"', 1).replace("base = 60", f"base = {base}", 1),
        encoding="utf-8",
    )
    return old, new


def json_diff(tmp_path: Path, base: int) -> dict[str, Any]:
    """The JSON report of ``diff`` between the card and the card with ``base``."""
    old, new = proposal(tmp_path, base)
    out = io.StringIO()
    code = main(
        ["diff", str(old), str(new), "-d", str(DATA), "-p", "2015", "--format", "json"],
        out=out,
        err=out,
    )
    assert code == 0, out.getvalue()
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def test_diff_counts_transitions_and_names_rules(tmp_path: Path) -> None:
    report = json_diff(tmp_path, base=65)
    assert report["old"]["version"] == "1" and report["new"]["version"] == "2"
    assert report["subjects"] >= 1
    assert all(c["change"] == "5" for c in report["largest_changes"] if c["rules"] == [])
    # +5 moves no one across a grade boundary (61 → 66, 61.5 → 66.5, 61 → 66)
    assert report["grade_changes"] == []
    assert all(c["old_grade"] == c["new_grade"] for c in report["largest_changes"])


def test_diff_counts_a_grade_change(tmp_path: Path) -> None:
    report = json_diff(tmp_path, base=70)  # +10 lifts M2 (61.5 → 71.5) into the next grade
    assert report["grade_changes"] == [{"from": "取消预备党员资格", "to": "延期转正", "count": 1}]
    changed = [c for c in report["largest_changes"] if c["old_grade"] != c["new_grade"]]
    assert [c["subject"] for c in changed] == ["M2"]


def test_diff_text_in_chinese(tmp_path: Path) -> None:
    old, new = proposal(tmp_path)
    out = io.StringIO()
    code = main(
        ["diff", str(old), str(new), "-d", str(DATA), "-p", "2015", "--lang", "zh"],
        out=out,
        err=out,
    )
    assert code == 0, out.getvalue()
    text = out.getvalue()
    assert text.splitlines()[0] == "example.small-card 1 → example.small-card 2"
    assert "得分变化最大的对象" in text
    assert "(+5)" in text


def test_diff_of_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(
        ["diff", "nope.toml", "nope2.toml", "-d", str(DATA), "-p", "2015"], out=out, err=out
    )
    assert code == 1 and "DJ114" in out.getvalue()
    shutil.rmtree(tmp_path, ignore_errors=True)
