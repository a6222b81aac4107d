"""What every section of the report reads: the run by ruleset, groups, names."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from dangjian_rules.errors import Language
from dangjian_rules.io.messages import MESSAGES, Catalogue
from dangjian_rules.io.report.grouping import grouping
from dangjian_rules.io.report.markup import _inspected, _View
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult, SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset


class ReportBase:
    """The run, its rulesets and data, and the words and groups every section uses."""

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
