"""How the report groups subjects (regions, committees) and which grades pass."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from dangjian_rules.errors import Language
from dangjian_rules.io.messages import Catalogue
from dangjian_rules.model.records import Dataset
from dangjian_rules.ruleset.compiled import Ruleset

GROUPINGS: tuple[str, ...] = ("auto", "region", "top")

#: Grades that mark "qualified" in a scale: the share "at least 合格" counts the bands from
#: the top down to the first of these (else all bands but the lowest).
PASS_MARKERS: tuple[str, ...] = ("合格", "按期转正", "达标", "称职", "良好", "较好", "qualified")

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
