"""The command line, run the way a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CARD = ROOT / "rulesets" / "mianchi" / "member-points.toml"
BASELINE = ROOT / "rulesets" / "sanmenxia" / "member-baseline-2015.toml"

SMALL_DATA = {
    "organizations": [
        {"id": "R", "name": "县直机关工委", "kind": "work_committee"},
        {"id": "B1", "name": "财政局机关党支部", "kind": "branch", "parent": "R"},
    ],
    "members": [
        {"id": "M1", "name": "张伟", "organization": "B1", "status": "full"},
        {"id": "M2", "name": "王芳", "organization": "B1", "status": "probationary"},
    ],
    "events": [
        {"id": "E1", "type": "theme_day", "member": "M1", "date": "2015-03-05"},
        {"id": "E2", "type": "theme_day", "member": "M1", "date": "2015-03-20"},
        {"id": "E3", "type": "volunteer", "member": "M1", "date": "2015-04-02", "quantity": 3},
        {"id": "E4", "type": "dues", "member": "M2", "date": "2015-04-10", "late": True},
        {
            "id": "E5",
            "type": "study",
            "member": "M2",
            "date": "2015-05-01",
            "quantity": 2,
            "status": "pending",
        },
        {
            "id": "E6",
            "type": "discipline",
            "member": "M2",
            "date": "2015-06-01",
            "sanction": "警告",
        },
    ],
}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    env.pop("LC_ALL", None)
    return subprocess.run(
        [sys.executable, "-m", "dangjian_rules", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(SMALL_DATA, ensure_ascii=False), encoding="utf-8")
    return path


def test_check_clean_exits_zero() -> None:
    done = run("check", "rulesets/")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"All checked: \d+ ruleset file\(s\), no problems.\n", done.stdout)


def test_check_reports_located_problems_and_exits_one(tmp_path: Path) -> None:
    bad = tmp_path / "card.toml"
    bad.write_text(
        BASELINE.read_text(encoding="utf-8").replace('kind = "deduction"', 'kind = "deducton"', 1),
        encoding="utf-8",
    )
    done = run("check", "--lang", "en", str(bad))
    assert done.returncode == 1
    assert f'{bad}:140:8: DJ111 unknown rule kind "deducton"\n' in done.stdout
    assert '  hint: did you mean "deduction"?\n' in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_check_json_format(tmp_path: Path) -> None:
    bad = tmp_path / "card.toml"
    bad.write_text('[ruleset]\nid = "x"\n', encoding="utf-8")
    done = run("check", "--format", "json", str(bad))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert [p["code"] for p in report["problems"]] == ["DJ102", "DJ102", "DJ102"]
    assert report["problems"][0]["line"] == 1


def test_usage_errors_exit_two() -> None:
    assert run("evaluate", "--ruleset", "rulesets").returncode == 2
    assert run("frobnicate").returncode == 2
    done = run("check", "no/such/place")
    assert done.returncode == 1
    assert "no/such/place: DJ114 no such file or folder" in done.stdout


def test_bad_period_is_a_usage_error(data_file: Path) -> None:
    done = run("evaluate", "-r", "rulesets", "-d", str(data_file), "-p", "2015-13")
    assert done.returncode == 2
    assert 'dangjian-rules: period "2015-13" is not a real date range' in done.stderr


def test_evaluate_table(data_file: Path) -> None:
    done = run("evaluate", "-r", "rulesets/mianchi", "-d", str(data_file), "-p", "2015")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "渑池县直机关党员积分管理（示意）  (mianchi.member-points 2015.1)"
    assert "  one-vote veto: 1" in lines
    row = next(line for line in lines if line.startswith("M1 "))
    assert row.split() == ["M1", "张伟", "B1", "62.5", "基本合格"]
    row = next(line for line in lines if line.startswith("M2 "))
    assert row.split() == ["M2", "王芳", "B1", "0", "取消预备党员资格", "veto:", "discipline-veto"]


def test_evaluate_json_is_deterministic_and_complete(data_file: Path, tmp_path: Path) -> None:
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    for out in (out1, out2):
        done = run(
            "evaluate",
            "-r",
            "rulesets/mianchi",
            "-d",
            str(data_file),
            "-p",
            "2015",
            "--format",
            "json",
            "-o",
            str(out),
        )
        assert done.returncode == 0, done.stderr
    assert out1.read_bytes() == out2.read_bytes()
    result = json.loads(out1.read_text(encoding="utf-8"))
    assert set(result) == {"schema", "engine", "period", "rulesets", "data", "results"}
    assert result["rulesets"][0]["id"] == "mianchi.member-points"
    assert len(result["rulesets"][0]["sha256"]) == 64
    assert result["data"]["events"] == 6
    m1 = result["results"][0]
    assert m1["subject"]["id"] == "M1" and m1["score"] == "62.5"
    assert [t["bucket"] for t in m1["trace"]] == ["counted", "capped", "counted"]
    assert m1["trace"][1]["limit"] == {
        "scope": "rule",
        "owner": "theme-day",
        "per": "month",
        "window": "2015-03",
        "bound": "max",
        "value": "1",
    }
    m2 = result["results"][1]
    assert m2["vetoes"][0]["event"] == "E6" and m2["grade"] == "取消预备党员资格"
    assert m2["events"]["pending"] == 1


def test_evaluate_csv_has_a_bom_for_excel(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    done = run(
        "evaluate",
        "-r",
        "rulesets/mianchi",
        "-d",
        str(data_file),
        "-p",
        "2015",
        "--format",
        "csv",
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:9] == [
        "ruleset",
        "subject_kind",
        "subject",
        "name",
        "organization",
        "status",
        "score",
        "grade",
        "scale",
    ]


def test_explain_in_chinese(data_file: Path) -> None:
    done = run(
        "explain",
        "-r",
        "rulesets/mianchi",
        "-d",
        str(data_file),
        "-p",
        "2015",
        "--subject",
        "M1",
        "--lang",
        "zh",
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "M1  张伟  (B1)  正式党员" in text
    assert (
        "2015-03-20  E2  主题党日  +0  （应得 +1，受规则“theme-day”每月封顶 1（2015-03）限制）"
        in text
    )
    assert "2015-04-02  E3  志愿服务（小时）  +1.5" in text
    assert text.rstrip().endswith(
        "总分 62.5 → 等次 基本合格 [正式党员等次: 优秀 ≥90，合格 ≥75，基本合格 ≥60，不合格 ≥0]"
    )


def test_explain_unknown_subject_suggests(data_file: Path) -> None:
    done = run(
        "explain", "-r", "rulesets/mianchi", "-d", str(data_file), "-p", "2015", "--subject", "M3"
    )
    assert done.returncode == 2
    assert 'no result for subject "M3"' in done.stderr


def test_bad_data_is_reported_with_location_and_exit_one(tmp_path: Path) -> None:
    data = json.loads(json.dumps(SMALL_DATA))
    data["events"][0]["member"] = "M9"
    data["events"][1]["date"] = "2015-02-30"
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    done = run("evaluate", "-r", "rulesets/mianchi", "-d", str(path), "-p", "2015")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "DJ206" in done.stderr and "DJ207" in done.stderr
    assert "Traceback" not in done.stderr


def test_generate_then_evaluate(tmp_path: Path) -> None:
    out = tmp_path / "county"
    done = run("generate", "--members", "40", "--seed", "7", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "events.csv",
        "members.csv",
        "organizations.csv",
    ]
    done = run("evaluate", "-r", "rulesets/mianchi", "-d", str(out), "-p", "2015", "--limit", "0")
    assert done.returncode == 0, done.stderr
    assert "40 subjects" in done.stdout or "subjects" in done.stdout


def test_a_reader_that_stops_early_is_not_an_error() -> None:
    # `dangjian-rules evaluate … | head -3` must not fail with "Broken pipe".
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dangjian_rules",
            "evaluate",
            "-r",
            "rulesets/mianchi",
            "-d",
            "examples/mianchi-2015",
            "-p",
            "2015",
            "--limit",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read().decode("utf-8")
    assert process.wait() == 0, errors
    assert errors == ""
