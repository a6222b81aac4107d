"""The overview (provenance, accounting) and the comparison of groups."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from dangjian_rules.io.report.base import ReportBase
from dangjian_rules.io.report.grouping import pass_grades
from dangjian_rules.io.report.markup import (
    _BUCKET_ORDER,
    _HUNDRED,
    Cell,
    Markup,
    _e,
    _inspected,
    _mean,
    _share,
    _shown,
    _slug,
    _table,
    _View,
    hbar_chart,
)
from dangjian_rules.model.result import SubjectResult

#: (header, value of a list of results, higher is better, shown as "%", "n" or "")
Metric = tuple[str, Callable[[list[SubjectResult]], Decimal | None], bool, str]


class OverviewSections(ReportBase):
    def overview(self) -> Markup:
        """The provenance of the run, its rulesets and the accounting of every record."""
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
        out.extend(self._rulesets_table())
        out.extend(self._accounting_table())
        return Markup("".join(out))

    def _rulesets_table(self) -> list[str]:
        t = self.t
        out: list[str] = []
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
        return out

    def _accounting_table(self) -> list[str]:
        """Per ruleset, how many records went into each accounting bucket."""
        t = self.t
        out: list[str] = []
        out.append(f"<h3>{_e(t('overview.accounting'))}</h3>")
        out.append(f'<p class="muted">{_e(t("overview.accounting_note"))}</p>')
        buckets = [b for b in _BUCKET_ORDER]
        rows: list[list[object]] = []
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
        return out

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
        metrics = [
            *self._rating_metrics(view),
            *self._checklist_metrics(view),
            *self._count_metrics(view),
        ]
        groups = self.by_group(view.results)
        values = [[metric(rs) for _, metric, _, _ in metrics] for _, rs in groups]
        rows = self._comparison_rows(view, metrics, groups, values)
        out: list[str] = [
            _table(
                [t("col.group"), t("col.subjects"), *(m[0] for m in metrics)],
                rows,
                "compare",
                foot=True,
            )
        ]
        if metrics:
            out.extend(self._comparison_chart(view, metrics[0], groups, [v[0] for v in values]))
        return Markup("".join(out))

    def _rating_metrics(self, view: _View) -> list[Metric]:
        """The share passing, the stars and the best tier, as the ruleset has them."""
        t = self.t
        metrics: list[Metric] = []
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
        return metrics

    def _checklist_metrics(self, view: _View) -> list[Metric]:
        """Per venue checklist, the share given its most common passing verdict."""
        t = self.t
        metrics: list[Metric] = []
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
        return metrics

    def _count_metrics(self, view: _View) -> list[Metric]:
        """The average score, the selected, the flagged and the vetoed."""
        t = self.t
        metrics: list[Metric] = []
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
        return metrics

    def _comparison_rows(
        self,
        view: _View,
        metrics: list[Metric],
        groups: list[tuple[str, list[SubjectResult]]],
        values: list[list[Decimal | None]],
    ) -> list[list[object]]:
        """One row per group, the best and worst marked, then the row of all subjects."""
        t = self.t
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
        return rows

    def _comparison_chart(
        self,
        view: _View,
        metric: Metric,
        groups: list[tuple[str, list[SubjectResult]]],
        values: list[Decimal | None],
    ) -> list[str]:
        """A bar chart of the first figure per group, and the spread between the ends."""
        t = self.t
        header, _, _, kind = metric
        out: list[str] = []
        chart_rows = [
            (self.groups.label(key), v or Decimal(0), _shown(v, kind))
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
        present = [(v, key) for (key, _), v in zip(groups, values, strict=True) if v is not None]
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
        return out
