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

import html
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial

import attrs

from dangjian_rules.errors import Language
from dangjian_rules.io.explain import explain
from dangjian_rules.io.messages import MESSAGES, Catalogue
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RulesetRef, RunResult, SubjectResult, format_decimal
from dangjian_rules.ruleset.compiled import Ruleset

__all__ = ["GROUPINGS", "Grouping", "grouping", "pass_grades", "render_report"]

GROUPINGS: tuple[str, ...] = ("auto", "region", "top")

#: Grades that mark "qualified" in a scale: the share "at least 合格" counts the bands from
#: the top down to the first of these (else all bands but the lowest).
PASS_MARKERS: tuple[str, ...] = ("合格", "按期转正", "达标", "称职", "良好", "较好", "qualified")

_GOOD_TO_BAD = ("#1b5e20", "#43a047", "#9ccc65", "#fdd835", "#fb8c00", "#e53935", "#8e0000")
_STAR_COLORS = ("#cfd8dc", "#fff2b2", "#ffe082", "#ffca28", "#ffa000", "#e65100", "#bf360c")
_NOT_ASSESSED = "#b0bec5"
_BAR = "#c62828"
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


# ------------------------------------------------------------------------ text helpers


class Markup(str):
    """Text that is already HTML (escaped where needed)."""


def _e(text: object) -> str:
    if isinstance(text, Markup):
        return text
    return html.escape("" if text is None else str(text), quote=True)


def _share(count: int, total: int) -> Decimal | None:
    if total == 0:
        return None
    return (Decimal(count) * _HUNDRED / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{format(value, 'f')}%"


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / Decimal(len(values))).quantize(
        Decimal("0.01"), ROUND_HALF_EVEN
    )


def _num(value: Decimal | None) -> str:
    return "—" if value is None else format_decimal(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _clip(text: str, width: int) -> str:
    """At most ``width`` columns (a Chinese character is two), with … when cut."""
    if _width(text) <= width:
        return text
    out = ""
    for char in text:
        if _width(out + char) > width - 1:
            break
        out += char
    return out + "…"


def _ramp(count: int, palette: Sequence[str] = _GOOD_TO_BAD) -> list[str]:
    """``count`` colours spread over a palette, best first."""
    if count <= 1:
        return [palette[1]]
    last = len(palette) - 1
    return [palette[round(i * last / (count - 1))] for i in range(count)]


def _dark(color: str) -> bool:
    """Whether white text reads better than black on this #rrggbb colour."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 140


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)


# ------------------------------------------------------------------------ groups


@attrs.frozen
class Grouping:
    """How subjects are grouped for comparison: each organization's group key."""

    mode: str  # "region", "top" or "roots"
    root: str | None  # the single root's name ("top" mode)
    order: tuple[tuple[str, str], ...]  # (key, label), in display order
    of_organization: Mapping[str, str]  # organization id → group key

    def label(self, key: str) -> str:
        return dict(self.order).get(key, key)


def grouping(dataset: Dataset, how: str = "auto", lang: Language = "zh") -> Grouping:
    """The groups to compare: regions (when the data names two or more, or when asked),
    else the organizations directly under a single root, else the roots."""
    t = Catalogue(lang)
    organizations = dataset.organizations
    regions = sorted({o.region for o in organizations.values() if o.region})
    if how == "region" or (how == "auto" and len(regions) >= 2):
        none = t("group.no_region")
        keys = {oid: (o.region or none) for oid, o in organizations.items()}
        labels = sorted(set(keys.values()))
        return Grouping("region", None, tuple((k, k) for k in labels), keys)
    roots = dataset.roots
    if len(roots) == 1:
        root = roots[0]
        tops = dataset.children.get(root, ())
        of: dict[str, str] = {root: root}
        for top in tops:
            for oid in dataset.subtree(top):
                of[oid] = top
        order = [(top, organizations[top].name) for top in tops]
        order.append((root, organizations[root].name))  # subjects at the root itself
        return Grouping("top", organizations[root].name, tuple(order), of)
    of = {}
    for root in roots:
        for oid in dataset.subtree(root):
            of[oid] = root
    return Grouping("roots", None, tuple((r, organizations[r].name) for r in roots), of)


# ------------------------------------------------------------------------ grades


def pass_grades(ruleset: Ruleset) -> tuple[dict[tuple[str, str], bool], tuple[str, ...]]:
    """Per (scale id, grade): whether it counts as "at least 合格"; and the grades named
    as the threshold.  A scale with one grade only (e.g. 不适用) is not in the mapping:
    its subjects are left out of the shares."""
    passing: dict[tuple[str, str], bool] = {}
    thresholds: list[str] = []
    for scale in ruleset.grades:
        bands = [b.grade for b in scale.bands]
        if len(bands) < 2:
            continue
        cut = next((i for i, g in enumerate(bands) if g in PASS_MARKERS), len(bands) - 2)
        if bands[cut] not in thresholds:
            thresholds.append(bands[cut])
        for index, grade in enumerate(bands):
            passing[(scale.id, grade)] = index <= cut
    # "合格" before "按期转正": the markers' order, not the scales'
    rank = {m: i for i, m in enumerate(PASS_MARKERS)}
    thresholds.sort(key=lambda g: rank.get(g, len(rank)))
    return passing, tuple(thresholds)


# ------------------------------------------------------------------------ charts


def _svg_text(x: float, y: float, text: str, cls: str, anchor: str = "start") -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{_e(text)}</text>'


def hbar_chart(
    title: str,
    rows: Sequence[tuple[str, Decimal, str]],
    maximum: Decimal | None = None,
    colors: Sequence[str] | None = None,
    chart_id: str = "",
) -> Markup:
    """Horizontal bars: (label, value, text shown) per row; one ``rect.bar`` per row."""
    top = max((value for _, value, _ in rows), default=Decimal(0))
    scale_to = maximum if maximum is not None and maximum > 0 else (top if top > 0 else _ONE)
    left, area, row_height = 232.0, 420.0, 28
    height = 12 + row_height * len(rows)
    parts = [
        f'<figure class="chart"><svg class="chart hbar" id="{_e(chart_id)}" role="img" '
        f'aria-label="{_e(title)}" viewBox="0 0 760 {height}" width="760" height="{height}" '
        f'data-bars="{len(rows)}"><title>{_e(title)}</title>'
    ]
    for index, (label, value, text) in enumerate(rows):
        y = 6 + index * row_height
        width = float(area) * float(min(value, scale_to) / scale_to) if value > 0 else 0.0
        color = colors[index % len(colors)] if colors else _BAR
        parts.append(_svg_text(left - 8, y + 14, _clip(label, 30), "label", "end"))
        parts.append(
            f'<rect class="bar" x="{left:.1f}" y="{y}" width="{width:.1f}" height="18" '
            f'fill="{color}"><title>{_e(label)}: {_e(text)}</title></rect>'
        )
        parts.append(_svg_text(left + width + 6, y + 14, text, "value"))
    parts.append(f"</svg><figcaption>{_e(title)}</figcaption></figure>")
    return Markup("".join(parts))


def stacked_chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    keys: Sequence[str],
    colors: Sequence[str],
    chart_id: str = "",
) -> Markup:
    """One bar per row, split into ``keys`` by share; one ``rect.bar`` per (row, key)."""
    left, area, row_height = 232.0, 420.0, 28
    legend: list[str] = []
    x, y = 8.0, 4.0
    for key, color in zip(keys, colors, strict=True):
        advance = 22 + _width(key) * 7.5 + 14
        if x + advance > 752:
            x, y = 8.0, y + 20
        legend.append(
            f'<rect class="legend" x="{x:.1f}" y="{y + 2:.1f}" width="12" height="12" '
            f'fill="{color}"/>'
        )
        legend.append(_svg_text(x + 17, y + 12.5, key, "legend"))
        x += advance
    top = y + 26
    height = int(top + row_height * len(rows) + 6)
    parts = [
        f'<figure class="chart"><svg class="chart stacked" id="{_e(chart_id)}" role="img" '
        f'aria-label="{_e(title)}" viewBox="0 0 760 {height}" width="760" height="{height}" '
        f'data-bars="{len(rows) * len(keys)}"><title>{_e(title)}</title>',
        *legend,
    ]
    for index, (label, counts) in enumerate(rows):
        y = top + index * row_height
        total = sum(counts)
        parts.append(_svg_text(left - 8, y + 14, _clip(label, 30), "label", "end"))
        x = left
        for key, count, color in zip(keys, counts, colors, strict=True):
            width = float(area) * count / total if total else 0.0
            share = _pct(_share(count, total))
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="18" '
                f'fill="{color}"><title>{_e(label)} · {_e(key)}: {count} ({share})</title></rect>'
            )
            if width >= 40:
                shade = "inbar light" if _dark(color) else "inbar"
                parts.append(_svg_text(x + width / 2, y + 13.5, share, shade, "middle"))
            x += width
        parts.append(_svg_text(left + area + 6, y + 14, f"n={total}", "value"))
    parts.append(f"</svg><figcaption>{_e(title)}</figcaption></figure>")
    return Markup("".join(parts))


# ------------------------------------------------------------------------ tables


@attrs.frozen
class Cell:
    text: object
    numeric: bool = False
    cls: str = ""
    title: str = ""


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], cls: str = "", foot: bool = False
) -> Markup:
    out = [f'<table class="{_e(cls)}">' if cls else "<table>"]
    out.append("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead>")
    body = [list(r) for r in rows]
    out.append("<tbody>")
    for index, row in enumerate(body):
        is_foot = foot and index == len(body) - 1
        out.append('<tr class="total">' if is_foot else "<tr>")
        for value in row:
            cell = value if isinstance(value, Cell) else Cell(value)
            classes = " ".join(c for c in ("num" if cell.numeric else "", cell.cls) if c)
            attributes = f' class="{classes}"' if classes else ""
            if cell.title:
                attributes += f' title="{_e(cell.title)}"'
            out.append(f"<td{attributes}>{_e(cell.text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))


# ------------------------------------------------------------------------ the report


@attrs.define
class _View:
    """One ruleset's results, with what the report needs to know about it."""

    ref: RulesetRef
    ruleset: Ruleset
    results: list[SubjectResult]

    @property
    def scored(self) -> bool:
        return bool(self.ruleset.grades) or any(
            rule.award.effect != "veto" for rule in self.ruleset.rules
        )

    @property
    def has_veto(self) -> bool:
        return any(rule.award.effect == "veto" for rule in self.ruleset.rules)

    @property
    def checklists(self) -> list[tuple[str, str]]:
        return [(m.id, m.label) for m in self.ruleset.measures if m.kind == "checklist"]


class _Report:
    def __init__(
        self,
        run: RunResult,
        rulesets: Sequence[Ruleset],
        dataset: Dataset,
        lang: Language,
        group_by: str,
        drill_down: bool,
        previous: RunResult | None,
    ) -> None:
        self.run = run
        self.dataset = dataset
        self.lang = lang
        self.t = Catalogue(lang)
        self.drill_down = drill_down
        self.previous = previous
        self.groups = grouping(dataset, group_by, lang)
        by_id = {r.id: r for r in rulesets}
        missing = [ref.id for ref in run.rulesets if ref.id not in by_id]
        if missing:
            raise ValueError(f"the rulesets of the run are needed too: {', '.join(missing)}")
        results: dict[str, list[SubjectResult]] = {}
        for result in run.results:
            results.setdefault(result.ruleset, []).append(result)
        self.views = [_View(ref, by_id[ref.id], results.get(ref.id, [])) for ref in run.rulesets]
        self.by_ruleset = by_id

    # -- words --------------------------------------------------------------------

    @property
    def group_word(self) -> str:
        return self.t("group.region" if self.groups.mode == "region" else "group.top")

    @property
    def groups_word(self) -> str:
        return self.t("group.regions" if self.groups.mode == "region" else "group.tops")

    def group_of(self, result: SubjectResult) -> str:
        subject = result.subject
        org = subject.organization if subject.kind == "member" else subject.id
        return self.groups.of_organization.get(org or "", "")

    def org_name(self, org_id: str | None) -> str:
        if org_id is None:
            return "—"
        found = self.dataset.organizations.get(org_id)
        return found.name if found is not None else org_id

    def by_group(self, results: Sequence[SubjectResult]) -> list[tuple[str, list[SubjectResult]]]:
        grouped: dict[str, list[SubjectResult]] = {}
        for result in results:
            grouped.setdefault(self.group_of(result), []).append(result)
        ordered = [(k, grouped[k]) for k, _ in self.groups.order if k in grouped]
        ordered += [(k, v) for k, v in sorted(grouped.items()) if k not in dict(ordered)]
        return ordered

    # -- document -----------------------------------------------------------------

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
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f'<header class="top"><h1>{_e(t("report.title"))}</h1>'
            f'<p class="subtitle">{_e(subtitle)}</p></header>\n'
            f'<nav class="toc noprint" aria-label="{_e(t("report.contents"))}"><ol>{nav}</ol></nav>\n'
            f"<main>\n{body}\n</main>\n"
            f"<footer><p>{_e(t('report.footer', engine=run.engine))}</p>"
            f'<p class="muted">{_e(t("report.illustrative"))}</p></footer>\n'
            f"<script>{_JS}</script>\n</body>\n</html>\n"
        )

    # -- sections -----------------------------------------------------------------

    def overview(self) -> Markup:
        t, run = self.t, self.run
        if self.groups.mode == "region":
            grouping_text = t("group.explain.region")
        elif self.groups.mode == "top":
            grouping_text = t("group.explain.top", root=self.groups.root or "")
        else:
            grouping_text = t("group.explain.roots")
        rows: list[list[object]] = [
            [
                t("overview.period"),
                f"{run.period.label}（{run.period.start} – {run.period.end}）"
                if self.lang == "zh"
                else f"{run.period.label} ({run.period.start} – {run.period.end})",
            ],
            [t("overview.engine"), run.engine],
            [t("overview.data"), Markup(f"<code>{_e(run.data.sha256)}</code>")],
            [
                t("overview.size"),
                t(
                    "overview.size_value",
                    organizations=run.data.organizations,
                    members=run.data.members,
                    events=run.data.events,
                ),
            ],
            [t("overview.grouping"), grouping_text],
        ]
        if self.previous is not None:
            rows.append(
                [
                    t("overview.previous"),
                    t("overview.previous_value", period=self.previous.period.label),
                ]
            )
        out: list[str] = [_table([t("col.field"), t("col.value")], rows, "kv")]
        out.append(f"<h3>{_e(t('overview.rulesets'))}</h3>")
        out.append(
            _table(
                [
                    t("col.ruleset"),
                    t("col.ruleset_id"),
                    t("col.version"),
                    t("col.subject_kind"),
                    t("col.subjects"),
                    t("col.extends"),
                    t("col.sha256"),
                ],
                (
                    [
                        v.ref.name,
                        v.ref.id,
                        v.ref.version,
                        t(f"value.{v.ref.subject}"),
                        Cell(len(v.results), numeric=True),
                        ", ".join(v.ref.extends) or "—",
                        Markup(f"<code>{_e(v.ref.sha256)}</code>"),
                    ]
                    for v in self.views
                ),
                "rulesets",
            )
        )
        out.append(f"<h3>{_e(t('overview.accounting'))}</h3>")
        out.append(f'<p class="muted">{_e(t("overview.accounting_note"))}</p>')
        buckets = [b for b in _BUCKET_ORDER]
        rows = []
        for view in self.views:
            totals = Counter[str]()
            for result in view.results:
                totals.update(result.events)
            unassigned = sum(view.ref.unassigned.values())
            rows.append(
                [
                    view.ref.id,
                    *(Cell(totals.get(b, 0), numeric=True) for b in buckets),
                    Cell(unassigned, numeric=True),
                    Cell(sum(totals.values()) + unassigned, numeric=True),
                ]
            )
        out.append(
            _table(
                [
                    t("col.ruleset"),
                    *(t(f"bucket.{b}") for b in buckets),
                    t("overview.unassigned"),
                    t("col.total"),
                ],
                rows,
                "accounting",
            )
        )
        return Markup("".join(out))

    def city(self) -> Markup:
        t = self.t
        present = {self.group_of(r) for v in self.views for r in v.results}
        if len(present) < 2:
            return Markup(f"<p>{_e(t('city.single', group=self.group_word))}</p>")
        out = [f'<p class="muted">{_e(t("city.legend"))}</p>']
        for view in self.views:
            if not view.results:
                continue
            out.append(f'<h3 id="city-{_slug(view.ref.id)}">{_e(view.ref.name)}</h3>')
            out.append(self._comparison(view))
        return Markup("".join(out))

    def _comparison(self, view: _View) -> Markup:
        """A table of the groups side by side, with a chart of the main figure."""
        t = self.t
        metrics: list[tuple[str, Callable[[list[SubjectResult]], Decimal | None], bool, str]] = []
        # (header, value of a list of results, higher is better, shown as "%"/"")
        if view.ruleset.grades:
            passing, names = pass_grades(view.ruleset)
            if passing:

                def pass_share(rs: list[SubjectResult]) -> Decimal | None:
                    judged = [r for r in rs if (r.scale or "", r.grade or "") in passing]
                    ok = sum(1 for r in judged if passing[(r.scale or "", r.grade or "")])
                    return _share(ok, len(judged))

                metrics.append(
                    (t("col.pass_share", grades="、".join(names)), pass_share, True, "%")
                )
        stars = view.ruleset.stars
        if stars is not None:
            highest = stars.highest

            def mean_stars(rs: list[SubjectResult]) -> Decimal | None:
                return _mean([Decimal(r.stars.count) for r in rs if r.stars is not None])

            def top_stars(rs: list[SubjectResult], n: int = highest) -> Decimal | None:
                rated = [r for r in rs if r.stars is not None]
                return _share(sum(1 for r in rated if r.stars and r.stars.count >= n), len(rated))

            metrics.append((t("col.average_stars"), mean_stars, True, ""))
            metrics.append((t("col.top_star_share", stars=highest), top_stars, True, "%"))
        tiers = view.ruleset.tiers
        if tiers is not None:
            best = tiers.order[0]

            def best_tier(rs: list[SubjectResult], tier: str = best) -> Decimal | None:
                rated = [r for r in rs if r.tier is not None]
                return _share(sum(1 for r in rated if r.tier and r.tier.tier == tier), len(rated))

            metrics.append((t("col.top_tier_share", tier=best), best_tier, True, "%"))
        for measure_id, label in view.checklists:
            order = self._verdicts(view, measure_id)
            if not order:
                continue
            verdict = order[0][0]

            def best_verdict(
                rs: list[SubjectResult], mid: str = measure_id, v: str = verdict
            ) -> Decimal | None:
                inspected = [r for r in rs if _inspected(r, mid)]
                return _share(
                    sum(1 for r in inspected if r.measures[mid].value == v), len(inspected)
                )

            metrics.append(
                (
                    t("col.checklist_pass_share", measure=label, verdict=verdict),
                    best_verdict,
                    True,
                    "%",
                )
            )
        if view.scored:
            single = {g.id for g in view.ruleset.grades if len(g.bands) < 2}

            def mean_score(rs: list[SubjectResult]) -> Decimal | None:
                # subjects on a one-grade scale (e.g. 不适用) are not compared
                return _mean([r.score for r in rs if r.scale not in single])

            metrics.append((t("col.average"), mean_score, True, ""))
        if view.ruleset.selection is not None:

            def selected(rs: list[SubjectResult]) -> Decimal | None:
                return Decimal(sum(1 for r in rs if r.selection and r.selection.selected))

            metrics.append((t("col.selected"), selected, True, "n"))
        if view.ruleset.flags:

            def flagged(rs: list[SubjectResult]) -> Decimal | None:
                return _share(sum(1 for r in rs if r.flags), len(rs))

            metrics.append((t("col.flagged"), flagged, False, "%"))
        if view.has_veto:

            def vetoed(rs: list[SubjectResult]) -> Decimal | None:
                return _share(sum(1 for r in rs if r.vetoes), len(rs))

            metrics.append((t("col.vetoed"), vetoed, False, "%"))
        groups = self.by_group(view.results)
        values = [[metric(rs) for _, metric, _, _ in metrics] for _, rs in groups]
        overall = [metric(view.results) for _, metric, _, _ in metrics]
        rows: list[list[object]] = []
        for (key, rs), row_values in zip(groups, values, strict=True):
            cells: list[object] = [self.groups.label(key), Cell(len(rs), numeric=True)]
            for column, (_, _, higher, kind) in enumerate(metrics):
                value = row_values[column]
                column_values = [x for v in values if (x := v[column]) is not None]
                cls = ""
                # mark the best and the worst, unless many groups share that value
                rare = max(1, len(column_values) // 4)
                if value is not None and len(set(column_values)) > 1:
                    if value == max(column_values) and column_values.count(value) <= rare:
                        cls = "hi" if higher else "lo"
                    elif value == min(column_values) and column_values.count(value) <= rare:
                        cls = "lo" if higher else "hi"
                cells.append(Cell(_shown(value, kind), numeric=True, cls=cls))
            rows.append(cells)
        rows.append(
            [
                t("group.all"),
                Cell(len(view.results), numeric=True),
                *(
                    Cell(_shown(v, m[3]), numeric=True)
                    for v, m in zip(overall, metrics, strict=True)
                ),
            ]
        )
        out: list[str] = [
            _table(
                [t("col.group"), t("col.subjects"), *(m[0] for m in metrics)],
                rows,
                "compare",
                foot=True,
            )
        ]
        if metrics:
            header, _, higher, kind = metrics[0]
            chart_rows = [
                (self.groups.label(key), v[0] or Decimal(0), _shown(v[0], kind))
                for (key, _), v in zip(groups, values, strict=True)
            ]
            out.append(
                hbar_chart(
                    t(
                        "city.caption",
                        ruleset=view.ref.name,
                        measure=header,
                        group=self.group_word,
                    ),
                    chart_rows,
                    _HUNDRED if kind == "%" else None,
                    chart_id=f"chart-city-{_slug(view.ref.id)}",
                )
            )
            present = [
                (x, key)
                for (key, _), v in zip(groups, values, strict=True)
                if (x := v[0]) is not None
            ]
            if len(present) > 1:
                high = max(present, key=lambda p: (p[0], p[1]))
                low = min(present, key=lambda p: (p[0], p[1]))
                out.append(
                    '<p class="spread">'
                    + _e(
                        t(
                            "city.spread",
                            high=_shown(high[0], kind),
                            high_group=self.groups.label(high[1]),
                            low=_shown(low[0], kind),
                            low_group=self.groups.label(low[1]),
                        )
                    )
                    + "</p>"
                )
        return Markup("".join(out))

    def grades(self) -> Markup:
        t = self.t
        graded = [v for v in self.views if v.ruleset.grades and v.results]
        if not graded:
            return Markup(f"<p>{_e(t('report.not_applicable'))}</p>")
        out: list[str] = []
        for view in graded:
            ruleset = view.ruleset
            counts = Counter((r.scale, r.grade) for r in view.results)
            total = len(view.results)
            names = Counter(b.grade for s in ruleset.grades for b in s.bands)
            bars: list[tuple[str, Decimal, str]] = []
            colors: list[str] = []
            rows: list[list[object]] = []
            for scale in ruleset.grades:
                ramp = _ramp(len(scale.bands))
                for band, color in zip(scale.bands, ramp, strict=True):
                    n = counts.get((scale.id, band.grade), 0)
                    label = band.grade if names[band.grade] == 1 else f"{scale.label}·{band.grade}"
                    bars.append(
                        (
                            label,
                            Decimal(n),
                            f"{n}（{_pct(_share(n, total))}）"
                            if self.lang == "zh"
                            else f"{n} ({_pct(_share(n, total))})",
                        )
                    )
                    colors.append(color if len(scale.bands) > 1 else _NOT_ASSESSED)
                    rows.append(
                        [
                            scale.label,
                            band.grade,
                            Cell(n, numeric=True),
                            Cell(_pct(_share(n, total)), numeric=True),
                        ]
                    )
            ungraded = sum(n for (_, grade), n in counts.items() if grade is None)
            if ungraded:
                bars.append((t("value.no_grade"), Decimal(ungraded), str(ungraded)))
                colors.append(_NOT_ASSESSED)
                rows.append(
                    [
                        "—",
                        t("value.no_grade"),
                        Cell(ungraded, numeric=True),
                        Cell(_pct(_share(ungraded, total)), numeric=True),
                    ]
                )
            out.append(f'<h3 id="grades-{_slug(view.ref.id)}">{_e(view.ref.name)}</h3>')
            out.append('<div class="pair">')
            out.append(
                hbar_chart(
                    t("grades.caption", ruleset=view.ref.name),
                    bars,
                    colors=colors,
                    chart_id=f"chart-grades-{_slug(view.ref.id)}",
                )
            )
            out.append(
                _table([t("col.scale"), t("col.grade"), t("col.count"), t("col.share")], rows)
            )
            out.append("</div>")
            notes = []
            if view.has_veto:
                notes.append(t("grades.vetoed", count=sum(1 for r in view.results if r.vetoes)))
            _, thresholds = pass_grades(ruleset)
            if thresholds:
                notes.append(t("grades.pass_rule", grades="、".join(thresholds)))
            out.extend(f'<p class="muted">{_e(n)}</p>' for n in notes)
        return Markup("".join(out))

    def _distribution(
        self,
        view: _View,
        keys: Sequence[str],
        colors: Sequence[str],
        key_of: Callable[[SubjectResult], str | None],
        caption: str,
        chart_id: str,
    ) -> Markup:
        t = self.t
        groups = self.by_group(view.results)
        rows: list[tuple[str, list[int]]] = []
        table: list[list[object]] = []
        for label, results in [
            *((self.groups.label(k), rs) for k, rs in groups),
            (t("group.all"), view.results),
        ]:
            counts = Counter(key_of(r) for r in results)
            row = [counts.get(k, 0) for k in keys]
            rows.append((label, row))
            total = sum(row)
            table.append(
                [
                    label,
                    Cell(total, numeric=True),
                    *(
                        Cell(
                            f"{n}（{_pct(_share(n, total))}）"
                            if self.lang == "zh"
                            else f"{n} ({_pct(_share(n, total))})",
                            numeric=True,
                        )
                        for n in row
                    ),
                ]
            )
        out: list[str] = [stacked_chart(caption, rows, keys, colors, chart_id)]
        out.append(_table([t("col.group"), t("col.subjects"), *keys], table, "dist", foot=True))
        return Markup("".join(out))

    def stars(self) -> Markup:
        t = self.t
        rated = [v for v in self.views if v.ruleset.stars is not None and v.results]
        if not rated:
            return Markup(f"<p>{_e(t('report.not_applicable'))}</p>")
        out: list[str] = []
        for view in rated:
            spec = view.ruleset.stars
            assert spec is not None
            highest = spec.highest
            keys = [t("value.stars", count=n) for n in range(highest + 1)]
            colors = (
                [_STAR_COLORS[0], *_ramp(highest, _STAR_COLORS[1:])]
                if highest
                else [_STAR_COLORS[0]]
            )
            out.append(f'<h3 id="stars-{_slug(view.ref.id)}">{_e(view.ref.name)}</h3>')
            out.append(
                self._distribution(
                    view,
                    keys,
                    colors,
                    partial(_star_key, keys=tuple(keys)),
                    t("stars.caption", ruleset=view.ref.name, group=self.group_word),
                    f"chart-stars-{_slug(view.ref.id)}",
                )
            )
        return Markup("".join(out))

    def tiers(self) -> Markup:
        t = self.t
        rated = [v for v in self.views if v.ruleset.tiers is not None and v.results]
        if not rated:
            return Markup(f"<p>{_e(t('report.not_applicable'))}</p>")
        out: list[str] = []
        for view in rated:
            spec = view.ruleset.tiers
            assert spec is not None
            keys = list(spec.order)
            out.append(f'<h3 id="tiers-{_slug(view.ref.id)}">{_e(view.ref.name)}</h3>')
            out.append(
                self._distribution(
                    view,
                    keys,
                    _ramp(len(keys)),
                    lambda r: None if r.tier is None else r.tier.tier,
                    t("tiers.caption", ruleset=view.ref.name, group=self.group_word),
                    f"chart-tiers-{_slug(view.ref.id)}",
                )
            )
        return Markup("".join(out))

    def selections(self) -> Markup:
        t = self.t
        chosen = [v for v in self.views if v.ruleset.selection is not None and v.results]
        if not chosen:
            return Markup(f"<p>{_e(t('report.not_applicable'))}</p>")
        out: list[str] = []
        for view in chosen:
            spec = view.ruleset.selection
            assert spec is not None
            picked = sorted(
                (r for r in view.results if r.selection is not None and r.selection.selected),
                key=lambda r: (
                    r.selection.scope or "" if r.selection else "",
                    r.selection.rank if r.selection and r.selection.rank else 0,
                    r.subject.id,
                ),
            )
            eligible = sum(1 for r in view.results if r.selection and r.selection.eligible)
            out.append(f'<h3 id="selection-{_slug(view.ref.id)}">{_e(view.ref.name)}</h3>')
            out.append(
                "<p>"
                + _e(
                    t(
                        "selection.caption",
                        label=spec.label or view.ref.name,
                        count=len(picked),
                        eligible=eligible,
                    )
                )
                + "</p>"
            )
            if not picked:
                out.append(f"<p>{_e(t('report.none'))}</p>")
                continue
            key_names = [
                k
                for k in (picked[0].selection.keys if picked[0].selection else ())
                if not k.startswith("subject.id")
            ]
            member = view.ref.subject == "member"
            headers = [
                t("col.rank"),
                t("col.id"),
                t("col.member_name") if member else t("col.name"),
                t("col.organization") if member else t("col.parent"),
                t("col.group"),
            ]
            scoped = spec.scope is not None
            if scoped:
                headers.append(t("col.scope"))
            headers.extend(self._figure(view.ruleset, k) for k in key_names)
            rows = []
            for r in picked:
                selection = r.selection
                assert selection is not None
                row: list[object] = [
                    Cell(selection.rank, numeric=True),
                    Cell(r.subject.id, cls="nw"),
                    r.subject.name,
                    self.org_name(r.subject.organization),
                    self.groups.label(self.group_of(r)),
                ]
                if scoped:
                    row.append(self.org_name(selection.scope))
                row.extend(Cell(selection.keys.get(k, "—"), numeric=True) for k in key_names)
                rows.append(row)
            out.append(_table(headers, rows, "selection"))
        return Markup("".join(out))

    def _verdicts(self, view: _View, measure_id: str) -> list[tuple[str, bool]]:
        """The verdicts of a checklist seen in the results, most items passed first; then
        "not inspected" ones (value, inspected?)."""
        passed: dict[str, list[Decimal]] = {}
        missing: set[str] = set()
        for result in view.results:
            measured = result.measures.get(measure_id)
            if measured is None or not isinstance(measured.value, str):
                continue
            if _inspected(result, measure_id):
                number = measured.parts.get("passed")
                passed.setdefault(measured.value, []).append(
                    number if isinstance(number, Decimal) else Decimal(0)
                )
            else:
                missing.add(measured.value)
        ordered = sorted(passed, key=lambda v: (-(sum(passed[v], Decimal(0)) / len(passed[v])), v))
        return [(v, True) for v in ordered] + [(v, False) for v in sorted(missing - set(passed))]

    def rectification(self) -> Markup:
        t = self.t
        lists = [(v, m) for v in self.views for m in v.checklists if v.results]
        if not lists:
            return Markup(f"<p>{_e(t('report.not_applicable'))}</p>")
        out: list[str] = []
        for view, (measure_id, label) in lists:
            verdicts = self._verdicts(view, measure_id)
            keys = [v for v, _ in verdicts]
            inspected_count = sum(1 for _, ok in verdicts if ok)
            colors = _ramp(inspected_count) + [_NOT_ASSESSED] * (len(keys) - inspected_count)
            out.append(
                f'<h3 id="rectification-{_slug(view.ref.id)}-{_slug(measure_id)}">'
                f"{_e(view.ref.name)} — {_e(label)}</h3>"
            )
            if keys:
                out.append(
                    self._distribution(
                        view,
                        keys,
                        colors,
                        partial(_text_value, measure_id=measure_id),
                        t(
                            "checklist.caption",
                            ruleset=view.ref.name,
                            measure=label,
                            group=self.group_word,
                        ),
                        f"chart-checklist-{_slug(view.ref.id)}-{_slug(measure_id)}",
                    )
                )
            rows: list[list[object]] = []
            not_inspected: list[str] = []
            for key, results in self.by_group(view.results):
                for r in results:
                    measured = r.measures.get(measure_id)
                    if measured is None:
                        continue
                    if not _inspected(r, measure_id):
                        not_inspected.append(f"{r.subject.name}（{r.subject.id}）")
                        continue
                    failed = [
                        str(d.get("label", d.get("id", "")))
                        for d in measured.details
                        if d.get("passed") is False
                    ]
                    if not failed:
                        continue
                    passed = measured.parts.get("passed")
                    total_items = len(measured.details)
                    rows.append(
                        [
                            self.groups.label(key),
                            Cell(r.subject.id, cls="nw"),
                            r.subject.name,
                            Cell(measured.parts.get("date") or "—", cls="nw"),
                            Cell(measured.value, cls="nw"),
                            Cell(
                                f"{_num(passed if isinstance(passed, Decimal) else None)}/{total_items}",
                                numeric=True,
                            ),
                            Markup(
                                '<ul class="items">'
                                + "".join(f"<li>{_e(item)}</li>" for item in failed)
                                + "</ul>"
                            ),
                        ]
                    )
            if rows:
                out.append(
                    _table(
                        [
                            t("col.group"),
                            t("col.id"),
                            t("col.name"),
                            t("col.inspected"),
                            t("col.verdict"),
                            t("col.passed_items"),
                            t("col.to_rectify"),
                        ],
                        rows,
                        "rectify",
                    )
                )
            else:
                out.append(f"<p>{_e(t('checklist.all_passed'))}</p>")
            if not_inspected:
                separator = "、" if self.lang == "zh" else ", "
                out.append(
                    '<p class="muted">'
                    + _e(t("checklist.not_inspected", names=separator.join(not_inspected)))
                    + "</p>"
                )
        return Markup("".join(out))

    def flags(self) -> Markup:
        t = self.t
        out: list[str] = []
        any_flags = False
        for view in self.views:
            for spec in view.ruleset.flags:
                flagged = [(r, f) for r in view.results for f in r.flags if f.id == spec.id]
                any_flags = True
                out.append(
                    f'<h3 id="flag-{_slug(view.ref.id)}-{_slug(spec.id)}">'
                    + _e(t("flags.caption", ruleset=view.ref.name, flag=spec.label))
                    + f' <span class="count">({len(flagged)})</span></h3>'
                )
                if not flagged:
                    out.append(f"<p>{_e(t('report.none'))}</p>")
                    continue
                member = view.ref.subject == "member"
                rows = [
                    [
                        self.groups.label(self.group_of(r)),
                        Cell(r.subject.id, cls="nw"),
                        r.subject.name,
                        self.org_name(r.subject.organization),
                        "; ".join(
                            f"{self._figure(view.ruleset, k)} = {v}"
                            for c in flag.criteria
                            for k, v in c.values.items()
                        ),
                    ]
                    for r, flag in flagged
                ]
                out.append(
                    _table(
                        [
                            t("col.group"),
                            t("col.id"),
                            t("col.member_name") if member else t("col.name"),
                            t("col.organization") if member else t("col.parent"),
                            t("col.figures"),
                        ],
                        rows,
                        "flags",
                    )
                )
        if not any_flags:
            out.append(f"<p>{_e(t('report.not_applicable'))}</p>")
        vetoes = [(v, r, veto) for v in self.views for r in v.results for veto in r.vetoes]
        out.append(
            f'<h3 id="vetoes">{_e(t("flags.vetoes"))} <span class="count">({len(vetoes)})</span></h3>'
        )
        if vetoes:
            out.append(
                _table(
                    [
                        t("col.ruleset"),
                        t("col.group"),
                        t("col.id"),
                        t("col.name"),
                        t("col.organization"),
                        t("col.veto_rule"),
                        t("col.record"),
                        t("col.date"),
                    ],
                    (
                        [
                            view.ref.name,
                            self.groups.label(self.group_of(r)),
                            Cell(r.subject.id, cls="nw"),
                            r.subject.name,
                            self.org_name(r.subject.organization),
                            veto.label,
                            veto.event,
                            veto.date.isoformat(),
                        ]
                        for view, r, veto in vetoes
                    ),
                    "vetoes",
                )
            )
        else:
            out.append(f"<p>{_e(t('report.none'))}</p>")
        return Markup("".join(out))

    def subjects(self) -> Markup:
        t = self.t
        if not self.drill_down:
            return Markup(f"<p>{_e(t('subjects.omitted'))}</p>")
        out = [
            '<div class="tools noprint">'
            f'<input type="search" id="filter" placeholder="{_e(t("subjects.filter"))}" '
            f'aria-label="{_e(t("subjects.filter"))}">'
            f'<button type="button" id="expand-all">{_e(t("subjects.expand"))}</button>'
            f'<button type="button" id="collapse-all">{_e(t("subjects.collapse"))}</button>'
            "</div>",
            f'<p class="muted">{_e(t("subjects.hint"))}</p>',
        ]
        for view in self.views:
            if not view.results:
                continue
            out.append(
                f'<h3 id="subjects-{_slug(view.ref.id)}">{_e(view.ref.name)} '
                f'<span class="count">({len(view.results)})</span></h3>'
            )
            for key, results in self.by_group(view.results):
                out.append(
                    f'<details class="group" data-ruleset="{_e(view.ref.id)}">'
                    f"<summary>{_e(self.groups.label(key))} "
                    f'<span class="count">({len(results)})</span></summary>'
                )
                for result in results:
                    out.append(self._subject(view, result))
                out.append("</details>")
        return Markup("".join(out))

    def _subject(self, view: _View, result: SubjectResult) -> str:
        t = self.t
        s = result.subject
        bits = [f"<b>{_e(s.id)}</b> {_e(s.name)}"]
        if s.organization:
            bits.append(f'<span class="org">{_e(self.org_name(s.organization))}</span>')
        if view.scored:
            bits.append(f'<span class="score">{_e(format_decimal(result.score))}</span>')
        if result.grade:
            bits.append(f'<span class="grade">{_e(result.grade)}</span>')
        if result.stars is not None:
            stars = "★" * result.stars.count + "☆" * max(
                0, self._highest(view) - result.stars.count
            )
            bits.append(
                f'<span class="stars" title="{_e(t("value.stars", count=result.stars.count))}">{stars}</span>'
            )
        if result.tier is not None:
            bits.append(f'<span class="tier">{_e(result.tier.tier)}</span>')
        for measure_id, _ in view.checklists:
            value = _text_value(result, measure_id)
            if value is not None:
                bits.append(f'<span class="verdict">{_e(value)}</span>')
        if result.selection is not None and result.selection.selected:
            bits.append(f'<span class="badge sel">{_e(t("value.selected"))}</span>')
        for flag in result.flags:
            bits.append(
                f'<span class="badge flag" title="{_e(flag.label)}">⚑ {_e(_clip(flag.label, 24))}</span>'
            )
        if result.vetoes:
            bits.append(f'<span class="badge veto">{_e(t("value.vetoed"))}</span>')
        text = explain(result, self.by_ruleset[result.ruleset], self.run, self.lang)
        search = f"{s.id} {s.name}".lower()
        return (
            f'<details class="subject" id="s-{_slug(view.ref.id)}-{_slug(s.id)}" '
            f'data-subject="{_e(s.id)}" data-search="{_e(search)}">'
            f"<summary>{' · '.join(bits)}</summary>"
            f'<pre class="explain">{_e(text)}</pre></details>'
        )

    def _figure(self, ruleset: Ruleset, key: str) -> str:
        """A figure's name as people read it: "measure.no_life" → its label; "result.score
        desc" → "得分 ↓"."""
        t = self.t
        field, _, direction = key.partition(" ")
        root, _, rest = field.partition(".")
        name, _, part = rest.partition(".")
        labels = {m.id: m.label for m in ruleset.measures}
        if root == "measure" and name in labels:
            if part:
                part = t(f"part.{part}") if f"part.{part}" in MESSAGES else part
            text = labels[name] + (f"·{part}" if part else "")
        elif root == "result" and name in ("score", "grade", "stars", "tier"):
            text = t(f"col.{name}")
        elif root == "subject" and name == "id":
            text = t("col.id")
        else:
            text = field
        arrow = {"desc": " ↓", "asc": " ↑"}.get(direction, "")
        return text + arrow

    def _highest(self, view: _View) -> int:
        return view.ruleset.stars.highest if view.ruleset.stars is not None else 0


_BUCKET_ORDER = (
    "counted",
    "partial",
    "capped",
    "veto",
    "measured",
    "unmatched",
    "pending",
    "returned",
    "outside_period",
)


def _star_key(result: SubjectResult, keys: tuple[str, ...]) -> str | None:
    return None if result.stars is None else keys[min(result.stars.count, len(keys) - 1)]


def _inspected(result: SubjectResult, measure_id: str) -> bool:
    measured = result.measures.get(measure_id)
    return measured is not None and measured.parts.get("inspected") is True


def _text_value(result: SubjectResult, measure_id: str) -> str | None:
    measured = result.measures.get(measure_id)
    if measured is None or not isinstance(measured.value, str):
        return None
    return measured.value


def _shown(value: Decimal | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "%":
        return _pct(value)
    return format_decimal(value)


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


# ------------------------------------------------------------------------ style and script

_CSS = """
:root{--red:#b71c1c;--ink:#212121;--muted:#616161;--line:#dcdcdc;--hi:#dcedc8;--lo:#ffcdd2}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#f6f6f4;line-height:1.55;font-size:15px;
font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
"WenQuanYi Micro Hei","SimSun",system-ui,sans-serif}
header.top{background:var(--red);color:#fff;padding:18px 32px 14px}
header.top h1{margin:0;font-size:26px;letter-spacing:.05em}
header.top .subtitle{margin:4px 0 0;opacity:.92}
nav.toc{background:#fff;border-bottom:1px solid var(--line);padding:6px 32px}
nav.toc ol{margin:0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px}
nav.toc a{color:var(--red);text-decoration:none}
main{max-width:1120px;margin:0 auto;padding:4px 20px 32px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px 22px 16px;
margin:18px 0}
h2{color:var(--red);border-bottom:2px solid var(--red);padding-bottom:4px;font-size:21px}
h3{font-size:17px;margin:20px 0 6px}
.count{color:var(--muted);font-weight:normal;font-size:.9em}
.muted{color:var(--muted);font-size:13px}
table{border-collapse:collapse;margin:6px 0 12px;font-size:14px}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f1f1ee;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nw{white-space:nowrap}
td.hi{background:var(--hi)}td.lo{background:var(--lo)}
tr.total td{font-weight:600;background:#fafafa}
table.kv td:first-child{white-space:nowrap;color:var(--muted)}
code{font-size:12px;word-break:break-all}
ul.items{margin:0;padding-left:18px}
.pair{display:flex;flex-wrap:wrap;gap:4px 24px;align-items:flex-start}
figure.chart{margin:6px 0}
figure.chart figcaption{font-size:13px;color:var(--muted)}
svg.chart{max-width:100%;height:auto;font-size:13px;font-family:inherit}
svg.chart text{fill:#333}svg.chart text.inbar{fill:#111;font-size:11px}
svg.chart text.light{fill:#fff}
p.spread{font-weight:600}
.tools{margin:8px 0;display:flex;gap:8px}
.tools input{flex:1;max-width:320px;padding:4px 8px;font-size:14px}
details.group{margin:4px 0;border-left:3px solid var(--line);padding-left:8px}
details.group>summary{font-weight:600;cursor:pointer}
details.subject{margin:2px 0 2px 14px}
details.subject>summary{cursor:pointer}
summary .org,summary .score,summary .grade,summary .tier,summary .verdict{color:#37474f}
summary .score{font-variant-numeric:tabular-nums}
summary .stars{color:#e65100;letter-spacing:1px}
.badge{border-radius:3px;padding:0 5px;font-size:12px}
.badge.sel{background:#e8f5e9;color:#1b5e20}.badge.flag{background:#fff3e0;color:#bf360c}
.badge.veto{background:#ffebee;color:#b71c1c}
pre.explain{white-space:pre-wrap;font-size:13px;background:#f8f8f6;padding:8px 10px;
border-left:3px solid var(--red);margin:4px 0 10px;font-family:inherit}
footer{max-width:1120px;margin:0 auto 32px;padding:0 20px;color:var(--muted);font-size:13px}
@media print{
body{background:#fff;font-size:10.5pt}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.noprint,nav.toc{display:none}
header.top{background:none;color:#000;border-bottom:3px solid var(--red);padding:0 0 6px}
main{max-width:none;padding:0}
section{border:none;padding:0;margin:0 0 12px}
section+section{break-before:page}
h2,h3{break-after:avoid}
table,figure{break-inside:avoid}
#subjects details:not([open]){display:none}
a{color:inherit;text-decoration:none}
}
"""

_JS = """
(function () {
  "use strict";
  var box = document.getElementById("filter");
  var subjects = Array.prototype.slice.call(document.querySelectorAll("details.subject"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("details.group"));
  function apply() {
    var q = box.value.trim().toLowerCase();
    subjects.forEach(function (d) {
      d.hidden = q !== "" && d.getAttribute("data-search").indexOf(q) < 0;
    });
    groups.forEach(function (g) {
      if (q === "") { g.hidden = false; return; }
      var found = g.querySelector("details.subject:not([hidden])") !== null;
      g.hidden = !found;
      g.open = found;
    });
  }
  function setAll(open) {
    groups.concat(subjects).forEach(function (d) { if (!d.hidden) { d.open = open; } });
  }
  if (box) { box.addEventListener("input", apply); }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand) { expand.addEventListener("click", function () { setAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setAll(false); }); }
  document.documentElement.setAttribute("data-ready", "1");
})();
"""
