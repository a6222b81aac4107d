"""The rectification list, flags and vetoes, and the drill-down to every subject."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from dangjian_rules.io.explain import explain
from dangjian_rules.io.report.grades import GradeSections
from dangjian_rules.io.report.markup import (
    _NOT_ASSESSED,
    Cell,
    Markup,
    _clip,
    _e,
    _inspected,
    _num,
    _ramp,
    _slug,
    _table,
    _text_value,
    _View,
)
from dangjian_rules.model.result import SubjectResult, format_decimal


class ListSections(GradeSections):
    def rectification(self) -> Markup:
        """Per venue checklist: its verdicts by group, and what each subject must rectify."""
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
            rows, not_inspected = self._rectify_rows(view, measure_id)
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

    def _rectify_rows(self, view: _View, measure_id: str) -> tuple[list[list[object]], list[str]]:
        """The subjects with failed checklist items (a row each, by group), and the names
        of those not inspected."""
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
        return rows, not_inspected

    def flags(self) -> Markup:
        """The subjects each flag raised, then the vetoes."""
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
        out.extend(self._vetoes())
        return Markup("".join(out))

    def _vetoes(self) -> list[str]:
        """Every one-vote veto of the run, with its rule and record."""
        t = self.t
        out: list[str] = []
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
        return out

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
