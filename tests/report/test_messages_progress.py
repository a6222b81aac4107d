"""The message catalogue (both languages, the same placeholders) and the progress bar
(only on a terminal, never in piped output)."""

from __future__ import annotations

import io
import string
from typing import Any

import pytest

from dangjian_rules.api import evaluate
from dangjian_rules.io.messages import MESSAGES, Catalogue, message
from dangjian_rules.io.progress import TerminalProgress, terminal_progress
from dangjian_rules.model.period import Period


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_and_the_same_placeholders(key: str) -> None:
    entry = MESSAGES[key]
    assert set(entry) == {"en", "zh"}
    assert entry["en"].strip() and entry["zh"].strip()
    assert _fields(entry["en"]) == _fields(entry["zh"])


def test_catalogue_fills_placeholders() -> None:
    assert message("report.period", "zh", period="2015") == "考核期 2015"
    assert Catalogue("en")("report.period", period="2015") == "period 2015"
    assert Catalogue("zh")("report.title") == "党建考核报告"
    with pytest.raises(KeyError):
        message("no.such.message", "en")


def test_report_words_all_come_from_the_catalogue() -> None:
    import re
    from pathlib import Path

    import dangjian_rules.io.excel
    import dangjian_rules.io.report

    for module in (dangjian_rules.io.report, dangjian_rules.io.excel):
        file = Path(str(module.__file__))
        files = sorted(file.parent.glob("*.py")) if file.name == "__init__.py" else [file]
        source = "".join(f.read_text(encoding="utf-8") for f in files)
        for key in re.findall(r'\bt\(\s*"([a-z_]+\.[a-z_.]+)"', source):
            assert key in MESSAGES, f"{module.__name__} uses unknown message {key}"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_unless_stderr_is_a_terminal() -> None:
    piped = io.StringIO()
    progress = terminal_progress(piped, "zh")
    assert progress.callback is None
    progress.status("正在读取数据……")
    progress.update("x", 1, 2)
    progress.close()
    assert piped.getvalue() == ""


def test_progress_on_a_terminal_redraws_one_line_and_clears_it() -> None:
    screen = Terminal()
    progress = TerminalProgress(screen, "en")
    assert progress.callback is not None
    progress.status("reading data …")
    progress.update("mianchi.member-points", 0, 4300)
    progress.update("mianchi.member-points", 4300, 4300)
    progress.close()
    text = screen.getvalue()
    assert "\n" not in text
    assert "reading data …" in text
    assert "evaluating mianchi.member-points" in text and "4300/4300" in text
    assert "[" + "#" * 24 + "]" in text
    assert text.endswith("\r")


def test_the_engine_reports_progress_per_ruleset(small: Any) -> None:
    calls: list[tuple[str, int, int]] = []
    run = evaluate(
        small.rulesets,
        small.dataset,
        Period.parse("2015"),
        progress=lambda ruleset, done, total: calls.append((ruleset, done, total)),
    )
    assert run == small.run  # the callback changes nothing
    for ref in run.rulesets:
        mine = [c for c in calls if c[0] == ref.id]
        total = sum(1 for r in run.results if r.ruleset == ref.id)
        assert mine[0] == (ref.id, 0, total)
        assert mine[-1] == (ref.id, total, total)
        assert [done for _, done, _ in mine] == sorted(done for _, done, _ in mine)
