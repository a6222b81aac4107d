"""The negative corpus: each bad ruleset gives exactly its expected report, in both languages.

To update an expected file after a deliberate change, run
``python tests/test_check_corpus.py`` and review the diff.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from dangjian_rules.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BAD = sorted((HERE / "rulesets" / "bad").glob("*.toml"))
GOOD = sorted((HERE / "rulesets" / "good").glob("*.toml"))


def run_check(path: Path, lang: str) -> tuple[int, str]:
    out = io.StringIO()
    relative = path.relative_to(ROOT).as_posix()
    code = main(["check", "--lang", lang, relative], out=out, err=out)
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_ruleset_report(path: Path, lang: str) -> None:
    code, output = run_check(path, lang)
    expected = path.with_suffix(f".{lang}.txt").read_text(encoding="utf-8")
    assert output == expected
    assert code == 1


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_ruleset_is_clean_even_when_strict(path: Path) -> None:
    out = io.StringIO()
    assert main(["check", "--strict", str(path)], out=out, err=out) == 0, out.getvalue()


def test_corpus_is_not_empty() -> None:
    assert len(BAD) >= 5 and len(GOOD) >= 2


if __name__ == "__main__":  # regenerate expected reports
    import os

    os.chdir(ROOT)
    for bad in BAD:
        for language in ("en", "zh"):
            _, text = run_check(bad, language)
            bad.with_suffix(f".{language}.txt").write_text(text, encoding="utf-8")
    sys.exit(0)
