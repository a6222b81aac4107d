"""The HTML report in a real browser: Debian's chromium, headless.

It must render (a non-empty PNG screenshot, kept in pytest's tmp dir), log nothing to the
console (no script error, no blocked request: the file needs no network), run its script
to the end, and draw every chart with the bars it should have.

On a developer machine without chromium the test is skipped, saying so; in CI (CI=true)
chromium is installed by .ci/run and a missing browser fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from dangjian_rules.io.report import render_report

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")


def find_chromium() -> str:
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    reason = (
        "chromium is not installed: the browser test needs Debian's chromium "
        "(apt-get install chromium)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; .ci/run installs it in CI")
    pytest.skip(reason)


def chromium(binary: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "LANG": "C.UTF-8"},
    )


class Charts(HTMLParser):
    """The charts of a DOM: per svg.chart, its data-bars and the rect.bar inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, Any]] = []
        self.inside: dict[str, Any] | None = None
        self.ready = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        classes = attributes.get("class", "").split()
        if tag == "html":
            self.ready = attributes.get("data-ready") == "1"
        if tag == "svg" and "chart" in classes:
            self.inside = {"id": attributes["id"], "expected": int(attributes["data-bars"])}
            self.inside["bars"] = []
            self.charts.append(self.inside)
        elif tag == "rect" and self.inside is not None and "bar" in classes:
            self.inside["bars"].append(float(attributes["width"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.inside = None


def test_report_renders_in_chromium_without_console_errors(city: Any, tmp_path: Path) -> None:
    binary = find_chromium()
    page = tmp_path / "report.html"
    page.write_text(render_report(city.run, city.rulesets, city.dataset, "zh"), encoding="utf-8")
    url = page.resolve().as_uri()

    screenshot = tmp_path / "report.png"
    shot = chromium(
        binary,
        tmp_path / "profile-shot",
        f"--screenshot={screenshot}",
        "--window-size=1280,2000",
        "--hide-scrollbars",
        url,
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a page with text and charts, not a blank one
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)

    dump = chromium(
        binary,
        tmp_path / "profile-dom",
        "--dump-dom",
        "--enable-logging=stderr",
        "--v=0",
        url,
    )
    assert dump.returncode == 0, dump.stderr[-2000:]
    console = [line for line in dump.stderr.splitlines() if re.search(r"CONSOLE|Uncaught", line)]
    assert console == [], "\n".join(console)
    blocked = [line for line in dump.stderr.splitlines() if "ERR_" in line and "file://" in line]
    assert blocked == []

    dom = Charts()
    dom.feed(dump.stdout)
    assert dom.ready, "the report's script did not run to its end"
    ids = {chart["id"] for chart in dom.charts}
    for ruleset in city.rulesets:
        slug = ruleset.id.replace(".", "-")
        if ruleset.grades:
            assert f"chart-grades-{slug}" in ids
        if ruleset.stars is not None:
            assert f"chart-stars-{slug}" in ids
        if ruleset.tiers is not None:
            assert f"chart-tiers-{slug}" in ids
    for chart in dom.charts:
        assert len(chart["bars"]) == chart["expected"] > 0, chart["id"]
        if not chart["id"].startswith("chart-city-"):  # a comparison may be all zero
            assert any(width > 0 for width in chart["bars"]), chart["id"]
    grades = next(c for c in dom.charts if c["id"] == "chart-grades-mianchi-member-points")
    card = next(r for r in city.rulesets if r.id == "mianchi.member-points")
    assert len(grades["bars"]) == sum(len(scale.bands) for scale in card.grades)
