"""The HTML report: one self-contained file a committee member reads without help.

``render_report(run, rulesets, dataset)`` returns one HTML document — inline CSS, a few
lines of inline script for the search box, charts as inline SVG; no network, no font or
script from elsewhere, so it opens on an intranet or from a USB stick — with:

* an overview with the provenance (rulesets, versions, SHA-256, data fingerprint, period)
  and the accounting of every record;
* the side-by-side comparison of counties or committees (the speech's complaint is
  imbalance): average score, share graded at least 合格, stars, tiers, venue verdicts,
  selections, flags and vetoes per group, the best and worst marked;
* the grade distribution of each ruleset; the star and tier distribution per group;
* the top-N lists of selections; the rectification list (整改清单) of each venue
  checklist; flags (e.g. 自行脱党 review) and one-vote vetoes;
* a drill-down to every subject with its full explanation (:func:`explain.explain`).

Subjects are grouped by region when the organizations name two or more regions, else by
the organizations directly under the single root (a county's or the city's committees),
else by the roots.  All text is escaped.  The output is deterministic: the same run gives
the same bytes (no timestamps), so it can be compared and archived.  Words come from the
message catalogue (:mod:`dangjian_rules.io.messages`): Chinese by default, English on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from dangjian_rules.errors import Language
from dangjian_rules.io.report.grouping import GROUPINGS, Grouping, grouping, pass_grades
from dangjian_rules.io.report.lists import ListSections
from dangjian_rules.io.report.markup import _e
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult
from dangjian_rules.ruleset.compiled import Ruleset

__all__ = ["GROUPINGS", "Grouping", "grouping", "pass_grades", "render_report"]


def _asset(name: str) -> str:
    """The style sheet or script, package data beside this module."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


class _Report(ListSections):
    def render(self) -> str:
        t = self.t
        sections = [
            ("overview", t("section.overview"), self.overview()),
            ("city", t("section.city", groups=self.groups_word), self.city()),
            ("grades", t("section.grades"), self.grades()),
            ("stars", t("section.stars", group=self.group_word), self.stars()),
            ("tiers", t("section.tiers", group=self.group_word), self.tiers()),
            ("selection", t("section.selection"), self.selections()),
            ("rectification", t("section.rectification"), self.rectification()),
            ("flags", t("section.flags"), self.flags()),
            ("subjects", t("section.subjects"), self.subjects()),
        ]
        run = self.run
        title = f"{t('report.title')} · {run.period.label}"
        subtitle = t(
            "report.subtitle",
            period=run.period.label,
            start=run.period.start.isoformat(),
            end=run.period.end.isoformat(),
            rulesets=len(run.rulesets),
            organizations=run.data.organizations,
            members=run.data.members,
            events=run.data.events,
        )
        nav = "".join(f'<li><a href="#{sid}">{_e(name)}</a></li>' for sid, name, _ in sections)
        body = "".join(
            f'<section id="{sid}"><h2>{_e(name)}</h2>{content}</section>'
            for sid, name, content in sections
        )
        lang = "zh-CN" if self.lang == "zh" else "en"
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="{_e(run.engine)}">\n'
            f"<title>{_e(title)}</title>\n<style>\n{_asset('report.css')}</style>\n</head>\n<body>\n"
            f'<header class="top"><h1>{_e(t("report.title"))}</h1>'
            f'<p class="subtitle">{_e(subtitle)}</p></header>\n'
            f'<nav class="toc noprint" aria-label="{_e(t("report.contents"))}"><ol>{nav}</ol></nav>\n'
            f"<main>\n{body}\n</main>\n"
            f"<footer><p>{_e(t('report.footer', engine=run.engine))}</p>"
            f'<p class="muted">{_e(t("report.illustrative"))}</p></footer>\n'
            f"<script>\n{_asset('report.js')}</script>\n</body>\n</html>\n"
        )


def render_report(
    run: RunResult,
    rulesets: Sequence[Ruleset],
    dataset: Dataset,
    lang: Language = "zh",
    group_by: str = "auto",
    drill_down: bool = True,
    previous: RunResult | None = None,
) -> str:
    """The run as one self-contained HTML document (see the module's docstring).

    ``rulesets`` are those the run used; ``dataset`` the data it was evaluated on (for the
    organization tree, names and regions); ``group_by`` is ``auto``, ``region`` or
    ``top``; ``drill_down=False`` leaves out the per-subject explanations (a smaller
    file); ``previous`` is the previous period's result, if the run was limited by it.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    return _Report(run, rulesets, dataset, lang, group_by, drill_down, previous).render()
