"""The grade, star and tier distributions and the selections."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial

from dangjian_rules.io.report.grouping import pass_grades
from dangjian_rules.io.report.markup import (
    _NOT_ASSESSED,
    _STAR_COLORS,
    Cell,
    Markup,
    _e,
    _pct,
    _ramp,
    _share,
    _slug,
    _star_key,
    _table,
    _View,
    hbar_chart,
    stacked_chart,
)
from dangjian_rules.io.report.overview import OverviewSections
from dangjian_rules.model.result import SubjectResult


class GradeSections(OverviewSections):
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
