"""Deterministic synthetic data: a county's organs' party organizations, members and a year of
records, shaped like the 渑池 member point card (``rulesets/mianchi/member-points.toml``).

Two profiles: ``"mianchi"`` (the default) draws the member records of the 渑池 card alone;
``"full"`` draws the same member records for a smaller city organs' committee (三门峡市直) and
adds what the other shipped rulesets read: the branches' own records (三会一课 held, venue
inspections, self and superior assessments, cases, sanctions on a branch), contact cadres
(联系干部) and their 蹲点 stays, and members who stop taking part in organizational life.

Everything is drawn from one :class:`random.Random` seeded with an integer, using only its
``random()`` and plain arithmetic (no libm functions), so the same arguments give byte-identical
data on any machine and any Python >= 3.10.  The people are invented: names are random
combinations of common surnames and given names.
"""

from __future__ import annotations

import random
from os import PathLike

import attrs

from dangjian_rules.collector import collector_paused
from dangjian_rules.limits import LIMITS, limit
from dangjian_rules.model.records import Dataset, Member, Organization
from dangjian_rules.tools.generate_full import full_records
from dangjian_rules.tools.generate_members import (
    Builder,
    branch_schedule,
    draft_members,
    largest_remainder,
    member_events,
    ordinal,
    previous_december,
    words,
)

__all__ = ["DEPARTMENTS", "PROFILES", "generate_county", "write_csv_folder"]

ROOT_ID = "MC"
ROOT_NAME = "渑池县直机关工委"
REGION = "渑池县"
MEMBERS_PER_BRANCH = 29

#: County organs and their relative size: each has one branch and the larger ones share the
#: rest in proportion to ``size - 1`` (the education bureau's branches include its schools).
DEPARTMENTS: tuple[tuple[str, int], ...] = (
    ("县教育局", 32),
    ("县公安局", 14),
    ("县卫生和计划生育委员会", 12),
    ("县人民法院", 5),
    ("县人民检察院", 4),
    ("县财政局", 4),
    ("县地方税务局", 4),
    ("县国家税务局", 3),
    ("县住房和城乡建设局", 3),
    ("县交通运输局", 4),
    ("县农业局", 4),
    ("县林业局", 3),
    ("县水利局", 3),
    ("县国土资源局", 4),
    ("县人力资源和社会保障局", 3),
    ("县民政局", 2),
    ("县工商行政管理局", 4),
    ("县质量技术监督局", 2),
    ("县食品药品监督管理局", 2),
    ("县环境保护局", 2),
    ("县发展和改革委员会", 2),
    ("县委办公室", 2),
    ("县政府办公室", 2),
    ("县人大常委会机关", 1),
    ("县政协机关", 1),
    ("县纪委监察局", 1),
    ("县委组织部", 1),
    ("县委宣传部", 1),
    ("县委统战部", 1),
    ("县委政法委", 1),
    ("县司法局", 2),
    ("县审计局", 1),
    ("县统计局", 1),
    ("县商务局", 1),
    ("县文化广电新闻出版局", 2),
    ("县旅游局", 1),
    ("县科学技术局", 1),
    ("县安全生产监督管理局", 1),
    ("县城市管理局", 3),
    ("县畜牧局", 1),
    ("县粮食局", 1),
    ("县档案局", 1),
    ("县信访局", 1),
    ("县总工会", 1),
    ("团县委", 1),
    ("县妇联", 1),
)


_TOWNS = words(
    "城关镇 英豪镇 张村镇 洪阳镇 天池镇 仰韶镇 仁村乡 果园乡 陈村乡 南村乡 段村乡 坡头乡"
)
#: Units under the largest organs, each with its own branch, after the organ's own 机关党支部.
_SUBUNITS: dict[str, tuple[str, ...]] = {
    "县教育局": words(
        """县第一高级中学 县第二高级中学 县第三高级中学 县职业教育中心 县实验中学 县第一初级中学
        县第二初级中学 县第三初级中学 县实验小学 县第一小学 县第二小学 县第三小学 县特殊教育学校
        县教师进修学校 县第一幼儿园 县第二幼儿园 县教育技术装备站 县招生办公室"""
    )
    + tuple(f"{town}中心学校" for town in _TOWNS),
    "县公安局": tuple(f"县公安局{town[:-1]}派出所" for town in _TOWNS)
    + tuple(
        f"县公安局{unit}"
        for unit in words(
            "交通警察大队 刑事侦查大队 治安管理大队 看守所 巡逻警察大队 经济犯罪侦查大队"
        )
    ),
    "县卫生和计划生育委员会": words(
        """县人民医院 县中医院 县妇幼保健院 县疾病预防控制中心 县卫生监督所 县第二人民医院
        县计划生育服务站"""
    )
    + tuple(f"{town}卫生院" for town in _TOWNS),
}


@attrs.frozen
class _Profile:
    """The shape of a generated committee: its root, organs and branch size."""

    root_id: str
    root_name: str
    region: str
    departments: tuple[tuple[str, int], ...]
    members_per_branch: int
    #: a city's organs: names say 市 where a county's say 县
    city: bool = False
    #: also draw the branches' own records, contact cadres and lapsed members
    full: bool = False

    def name(self, text: str) -> str:
        return text.replace("县", "市") if self.city else text


#: ``mianchi``: the 渑池 county organs, member records only (the shipped ``mianchi-2015``).
#: ``full``: the 三门峡 city organs, smaller branches under twelve organs, every record type
#: the shipped rulesets read (the shipped ``sanmenxia-2014`` and ``sanmenxia-2015``).
PROFILES: dict[str, _Profile] = {
    "mianchi": _Profile(ROOT_ID, ROOT_NAME, REGION, DEPARTMENTS, MEMBERS_PER_BRANCH),
    "full": _Profile("SMX", "三门峡市直机关工委", "三门峡市", DEPARTMENTS[:12], 20, True, True),
}


def _organizations(
    branch_count: int, profile: _Profile = PROFILES["mianchi"]
) -> tuple[list[Organization], list[Organization]]:
    """The tree (root, committees, general branches, branches) and the branches alone."""
    root_id, region, named = profile.root_id, profile.region, profile.name
    depts = profile.departments[:branch_count]
    per_dept = [1] * len(depts)
    if branch_count > len(depts):
        extra = largest_remainder(branch_count - len(depts), [w - 1 for _, w in depts], 0)
        per_dept = [1 + n for n in extra]
    root = Organization(root_id, profile.root_name, "work_committee", None, region)
    orgs = [root]
    branches: list[Organization] = []
    committees = generals = 0

    def add_general(name: str, parent: str) -> str:
        nonlocal generals
        generals += 1
        org = Organization(
            f"{root_id}-G{generals:02d}", named(name), "general_branch", parent, region
        )
        orgs.append(org)
        return org.id

    for (dept, _), count in zip(depts, per_dept, strict=True):
        if count <= 2:
            parents = [root_id]
        elif count <= 5:
            parents = [add_general(f"{dept}党总支", root_id)]
        else:
            committees += 1
            committee = Organization(
                f"{root_id}-C{committees:02d}",
                named(f"{dept}机关党委"),
                "committee",
                root_id,
                region,
            )
            orgs.append(committee)
            parents = [committee.id]
            if count >= 15:
                # The largest organs group their branches under general branches of about
                # five, which gives the tree a fourth level.
                parents = [
                    add_general(f"{dept}第{ordinal(g + 1)}党总支", committee.id)
                    for g in range((count + 4) // 5)
                ]
        units = _SUBUNITS.get(dept, ())
        for n in range(count):
            if count == 1 or (units and n == 0):
                name = f"{dept}机关党支部"
            elif units and n <= len(units):
                name = f"{units[n - 1]}党支部"
            else:
                name = f"{dept}第{ordinal(n + 1)}党支部"
            parent = parents[n * len(parents) // count]
            branch = Organization(
                f"{root_id}-B{len(branches) + 1:03d}", named(name), "branch", parent, region
            )
            branches.append(branch)
            orgs.append(branch)
    return orgs, branches


def generate_county(
    members: int = 4300, seed: int = 2015, year: int = 2015, profile: str = "mianchi"
) -> Dataset:
    """A county organs' work committee with ``members`` members and their records for ``year``.

    About ``members / 29`` branches and ~58 events per member: meetings, study, volunteering,
    dues, pioneer recognitions, suggestions, absences, a few sanctions and one or two crimes.
    About 5 % of members are probationary, 3 % join and 1 % leave during the year; 3 % of
    records are pending review, 1 % returned and 0.5 % dated in December of the year before.

    ``profile="full"`` (see :data:`PROFILES`) makes the 三门峡 city organs instead, with about
    ``members / 20`` branches, and adds the records every shipped ruleset reads: each branch's
    三会一课 held (``branch_meeting``, ``committee_meeting``, ``branch_lecture``), venue
    inspections (``venue_inspection``, ten true/false items and the area), ``self_assessment``
    and ``superior_assessment`` scores, cases (``feature_case``, ``brand_case``) with their
    review score, one or two ``branch_accountability`` sanctions; a contact cadre (role
    联系干部) in most branches, one of them joined during the year, with their ``contact_stay``
    records (蹲点, several days each); and two members who stop taking part from the spring on.
    """
    wrong = wrong_arguments(members, year)
    if wrong is not None:
        raise ValueError(wrong)
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    with collector_paused():
        return _generate(members, seed, year, PROFILES[profile])


#: The years data is generated for: members joined from 1975 on, and some records fall in
#: December of the year before.
YEARS = range(1980, 2101)


def wrong_arguments(members: int, year: int) -> str | None:
    """Why the generator cannot make these many members for this year, or None."""
    most = limit("generate_members")
    if not 1 <= members <= most:
        return (
            f"--members must be from 1 to {most:,} (set {LIMITS['generate_members'][0]} "
            f"for more; 成员数须在 1 到 {most:,} 之间)"
        )
    if year not in YEARS:
        return (
            f"--year must be from {YEARS.start} to {YEARS.stop - 1} "
            f"(年份须在 {YEARS.start} 到 {YEARS.stop - 1} 之间)"
        )
    return None


def _generate(members: int, seed: int, year: int, profile: _Profile) -> Dataset:
    rng = random.Random(seed)
    orgs, branches = _organizations(max(1, round(members / profile.members_per_branch)), profile)
    sizes = largest_remainder(members, [0.5 + rng.random() for _ in branches], 1)
    schedules = {branch.id: branch_schedule(rng, year) for branch in branches}
    drafts = draft_members(rng, year, branches, sizes)

    builder = Builder(rng, year)
    people: dict[str, Member] = {}
    for draft in drafts:
        member = Member(
            draft.id,
            draft.name,
            draft.organization,
            draft.status,
            draft.joined,
            draft.left,
            draft.roles,
        )
        people[member.id] = member
        heavy = rng.random() < 0.03
        member_events(builder, member, draft.engagement, schedules[draft.organization], heavy)
        previous_december(builder, member)
        if draft.crime is not None:
            builder.add(member, "crime", draft.crime, status="approved")
        if draft.sanction is not None:
            date, sanction = draft.sanction
            builder.add(
                member, "discipline", date, attributes={"sanction": sanction}, status="approved"
            )
    if profile.full:
        full_records(builder, branches, schedules, drafts, people)
    return Dataset(
        organizations={org.id: org for org in orgs},
        members=people,
        events=builder.events(),
        source=f"generated(seed={seed})",
    )


def write_csv_folder(dataset: Dataset, out_dir: str | PathLike[str]) -> None:
    """Write ``organizations.csv``, ``members.csv`` and ``events.csv`` into ``out_dir``."""
    from dangjian_rules.io.data import dump_csv_folder

    dump_csv_folder(dataset, out_dir)
