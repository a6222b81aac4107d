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

import datetime as dt
import gc
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from operator import itemgetter
from os import PathLike
from typing import Any

import attrs

from dangjian_rules.model.records import AttributeValue, Dataset, Event, Member, Organization

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


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SURNAMES = (
    "王王王王李李李李张张张刘刘刘陈陈杨杨赵赵郭郭马马孙孙黄周吴徐胡朱高林何罗"
    "郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常翟牛申卫耿岳樊"
)
_GIVEN_ONE = tuple(
    "伟芳敏静丽强磊军洋勇艳杰娟涛明超霞平刚华萍鹏辉斌浩凯峰亮梅琳飞鑫波慧颖宁博旭婷倩欣"
)
_GIVEN_TWO = _words(
    """建国 建军 国强 国庆 志刚 志强 秀英 桂英 玉兰 玉梅 海燕 丽娟 晓东 红梅 红霞 卫东 卫国 新民
    振华 保国 永强 永红 春梅 春华 文斌 文静 俊峰 宏伟 学军 向阳 爱民 爱华 金凤 凤英 淑珍 秀兰
    晓燕 晓丽 晓辉 亚楠 雅静 丽华 利民 德胜 会玲 彩云 建华 建平 建伟 少华 小军 小红 云飞 鹏飞
    海涛 海军 海峰 志勇 志伟 国华 跃进 胜利 朝阳 瑞祥 庆丰 长青 永生 忠诚 明亮 佳琪 梦瑶 雨婷
    思远 浩然 子涵 一鸣 晨阳 嘉怡 欣怡 宇航 俊杰 文博 晓峰 丹丹 娜娜 静怡 瑞芳 艳红 艳玲 秋菊
    冬梅 素芳 翠花 玉霞 巧玲 军伟"""
)
_TOWNS = _words(
    "城关镇 英豪镇 张村镇 洪阳镇 天池镇 仰韶镇 仁村乡 果园乡 陈村乡 南村乡 段村乡 坡头乡"
)
#: Units under the largest organs, each with its own branch, after the organ's own 机关党支部.
_SUBUNITS: dict[str, tuple[str, ...]] = {
    "县教育局": _words(
        """县第一高级中学 县第二高级中学 县第三高级中学 县职业教育中心 县实验中学 县第一初级中学
        县第二初级中学 县第三初级中学 县实验小学 县第一小学 县第二小学 县第三小学 县特殊教育学校
        县教师进修学校 县第一幼儿园 县第二幼儿园 县教育技术装备站 县招生办公室"""
    )
    + tuple(f"{town}中心学校" for town in _TOWNS),
    "县公安局": tuple(f"县公安局{town[:-1]}派出所" for town in _TOWNS)
    + tuple(
        f"县公安局{unit}"
        for unit in _words(
            "交通警察大队 刑事侦查大队 治安管理大队 看守所 巡逻警察大队 经济犯罪侦查大队"
        )
    ),
    "县卫生和计划生育委员会": _words(
        """县人民医院 县中医院 县妇幼保健院 县疾病预防控制中心 县卫生监督所 县第二人民医院
        县计划生育服务站"""
    )
    + tuple(f"{town}卫生院" for town in _TOWNS),
}
_NUMERALS = "一二三四五六七八九十"
_PIONEER_LEVELS: tuple[tuple[str, float], ...] = (
    ("branch", 0.74),
    ("county", 0.93),
    ("city", 0.99),
    ("province", 1.0),
)
_SANCTIONS: tuple[tuple[str, float], ...] = (
    ("警告", 0.5),
    ("严重警告", 0.8),
    ("撤销党内职务", 0.9),
    ("留党察看", 1.0),
)
_MEETINGS = ("member_meeting", "group_meeting", "party_lecture", "theme_day")
# Half-hour steps, cached: quantities are exact decimals such as 1.5.
_HALF_HOURS = tuple(Decimal(n) / 2 for n in range(0, 97))


def _ordinal(n: int) -> str:
    """Chinese numeral for 1..99 (第一, 第十二, 第二十一); digits from 100 on."""
    if n >= 100:
        return str(n)
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _NUMERALS[tens - 1]
    return head + "十" + (_NUMERALS[ones - 1] if ones else "")


def _largest_remainder(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """Split ``total`` into integer shares proportional to ``weights``, each >= ``minimum``."""
    shares = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    if rest <= 0:
        return shares
    whole = sum(weights)
    exact = [rest * w / whole for w in weights]
    floors = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (floors[i] - exact[i], i))
    for i in order[: rest - sum(floors)]:
        floors[i] += 1
    return [s + f for s, f in zip(shares, floors, strict=True)]


def _below(rng: random.Random, n: int) -> int:
    """A whole number in [0, n): faster than ``randrange`` and as portable."""
    return int(rng.random() * n)


def _beta(rng: random.Random, a: int, b: int) -> float:
    """Beta(a, b) for whole a, b: the a-th smallest of a+b-1 uniforms (no libm, portable)."""
    draws = sorted(rng.random() for _ in range(a + b - 1))
    return draws[a - 1]


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return dt.date.fromordinal(
        first.toordinal() + _below(rng, last.toordinal() - first.toordinal() + 1)
    )


def _workday(year: int, month: int, day: int) -> dt.date:
    """The date, moved back to Friday when it falls on a weekend (day must be >= 3)."""
    date = dt.date(year, month, day)
    weekday = date.weekday()
    return date - dt.timedelta(days=weekday - 4) if weekday >= 5 else date


def _month_day(rng: random.Random, year: int, month: int) -> dt.date:
    return _workday(year, month, 3 + _below(rng, 26))


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    u = rng.random()
    for value, upto in table:
        if u < upto:
            return value
    return table[-1][0]


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
        extra = _largest_remainder(branch_count - len(depts), [w - 1 for _, w in depts], 0)
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
                    add_general(f"{dept}第{_ordinal(g + 1)}党总支", committee.id)
                    for g in range((count + 4) // 5)
                ]
        units = _SUBUNITS.get(dept, ())
        for n in range(count):
            if count == 1 or (units and n == 0):
                name = f"{dept}机关党支部"
            elif units and n <= len(units):
                name = f"{units[n - 1]}党支部"
            else:
                name = f"{dept}第{_ordinal(n + 1)}党支部"
            parent = parents[n * len(parents) // count]
            branch = Organization(
                f"{root_id}-B{len(branches) + 1:03d}", named(name), "branch", parent, region
            )
            branches.append(branch)
            orgs.append(branch)
    return orgs, branches


class _Builder:
    """Collects one year of records; events are numbered once all are drawn."""

    def __init__(self, rng: random.Random, year: int) -> None:
        self.rng = rng
        self.year = year
        self.first = dt.date(year, 1, 1)
        self.last = dt.date(year, 12, 31)
        # Event fields after the id, keyed for numbering in (date, member, draw) order.
        self.rows: list[tuple[int, tuple[Any, ...]]] = []

    def status(self, date: dt.date) -> str:
        # Records of the last weeks are the ones still waiting for review.
        u = self.rng.random()
        pending = 0.06 if date.month == 12 and date.year == self.year else 0.027
        if u < pending:
            return "pending"
        if u < pending + 0.01:
            return "returned"
        return "approved"

    def add(
        self,
        member: Member,
        type_: str,
        date: dt.date,
        *,
        end: dt.date | None = None,
        quantity: Decimal | None = None,
        attributes: dict[str, AttributeValue] | None = None,
        status: str | None = None,
    ) -> None:
        key = date.toordinal() * 1_000_000_000 + int(member.id[1:])
        fields = (
            type_,
            date,
            member.id,
            None,
            end,
            quantity,
            status or self.status(date),
            attributes if attributes is not None else {},
        )
        self.rows.append((key, fields))

    def add_org(
        self,
        number: int,
        organization: Organization,
        type_: str,
        date: dt.date,
        *,
        quantity: Decimal | None = None,
        attributes: dict[str, AttributeValue] | None = None,
        status: str | None = None,
    ) -> None:
        """A record of an organization itself; ``number`` orders it after members' records."""
        key = date.toordinal() * 1_000_000_000 + 900_000_000 + number
        fields = (
            type_,
            date,
            None,
            organization.id,
            None,
            quantity,
            status or self.status(date),
            attributes if attributes is not None else {},
        )
        self.rows.append((key, fields))

    def events(self) -> tuple[Event, ...]:
        self.rows.sort(key=itemgetter(0))  # stable: equal keys keep their draw order
        return tuple(Event(f"E{n:07d}", *fields) for n, (_, fields) in enumerate(self.rows, 1))


def _branch_schedule(rng: random.Random, year: int) -> dict[str, list[dt.date]]:
    """Dates of one branch's meetings in the year: the sessions its members may attend."""
    theme_day = 3 + _below(rng, 26)
    plan: dict[str, list[dt.date]] = {kind: [] for kind in _MEETINGS}
    for quarter in range(4):
        months = [3 * quarter + 1, 3 * quarter + 2, 3 * quarter + 3]
        # Some branches hold a second session in a quarter: extra attendance the cap absorbs.
        for kind, extra in (("member_meeting", 0.25), ("party_lecture", 0.3)):
            held = 2 if rng.random() < extra else 1
            for _ in range(held):
                plan[kind].append(_month_day(rng, year, months[_below(rng, 3)]))
    for month in range(1, 13):
        for _ in range(1 + (rng.random() < 0.5)):
            plan["group_meeting"].append(_month_day(rng, year, month))
        if rng.random() < 0.9:
            plan["theme_day"].append(_workday(year, month, theme_day))
    return plan


def _member_events(
    b: _Builder,
    member: Member,
    engagement: float,
    schedule: dict[str, list[dt.date]],
    heavy_volunteer: bool,
) -> None:
    rng, year = b.rng, b.year
    start = max(member.joined or b.first, b.first)
    stop = min(member.left or b.last, b.last)

    def member_on(date: dt.date) -> bool:
        return start <= date <= stop

    attend = min(0.97, 0.05 + 0.85 * engagement)
    skips_without_leave = 0.08 if engagement < 0.2 else (0.015 if engagement < 0.35 else 0.0)
    for kind in _MEETINGS:
        for date in schedule[kind]:
            if not member_on(date):
                continue
            if rng.random() < attend:
                b.add(member, kind, date)
            elif rng.random() < skips_without_leave:
                b.add(member, "absence", date)

    late = 0.005 + 0.08 * (1 - engagement) * (1 - engagement)
    skips_dues = 0.3 if engagement < 0.12 else 0.0
    for month in range(1, 13):
        if rng.random() < skips_dues:
            continue
        day = 3 + _below(rng, 18)
        is_late = rng.random() < late
        if is_late:
            day += 8
        date = _workday(year, month, day)
        if member_on(date):
            b.add(member, "dues", date, attributes={"late": is_late})

    for month in range(1, 13):
        if rng.random() >= 0.35 + 0.6 * engagement:
            continue
        keen = 0.4 + 0.6 * engagement
        sessions = 1 + sum(rng.random() < share * keen for share in (0.9, 0.7, 0.5, 0.3, 0.1))
        for _ in range(sessions):
            date = _month_day(rng, year, month)
            if member_on(date):
                hours = 1 + _below(rng, 2 + int(1.5 * engagement))
                b.add(member, "study", date, quantity=_HALF_HOURS[hours])

    volunteering = (
        10 + _below(rng, 11) if heavy_volunteer else int(engagement * 3 + rng.random() * 1.6)
    )
    for _ in range(volunteering):
        date = _day_between(rng, start, stop)
        if heavy_volunteer and rng.random() < 0.25:
            end = min(date + dt.timedelta(days=1 + _below(rng, 2)), stop)
            hours = 2 * (6 * ((end - date).days + 1) + _below(rng, 3))
            b.add(
                member,
                "volunteer",
                date,
                end=end if end > date else None,
                quantity=_HALF_HOURS[hours],
            )
        else:
            top = 12 if heavy_volunteer else 6
            b.add(member, "volunteer", date, quantity=_HALF_HOURS[2 + _below(rng, top + 1)])

    if rng.random() < 0.08 + 0.3 * engagement:
        for _ in range(1 + (rng.random() < 0.3)):
            date = _day_between(rng, start, stop)
            b.add(member, "pioneer", date, attributes={"level": _pick(rng, _PIONEER_LEVELS)})

    if rng.random() < 0.08 + 0.3 * engagement:
        for _ in range(1 + _below(rng, 3)):
            date = _day_between(rng, start, stop)
            b.add(member, "suggestion", date, attributes={"adopted": rng.random() < 0.35})


def _previous_december(b: _Builder, member: Member) -> None:
    """A record of last December entered late: outside the period, it must be accounted for."""
    rng = b.rng
    if rng.random() >= 0.28:
        return
    kind = ("dues", "study", "group_meeting", "theme_day")[_below(rng, 4)]
    date = _month_day(rng, b.year - 1, 12)
    if member.joined is not None and member.joined > date:
        return
    if kind == "dues":
        b.add(member, kind, date, attributes={"late": False}, status="approved")
    elif kind == "study":
        b.add(member, kind, date, quantity=_HALF_HOURS[2 + _below(rng, 5)], status="approved")
    else:
        b.add(member, kind, date, status="approved")


@attrs.define
class _Draft:
    """A member before the records are drawn; roles and leaving are settled in passes."""

    id: str
    name: str
    organization: str
    status: str
    joined: dt.date
    engagement: float
    left: dt.date | None = None
    roles: tuple[str, ...] = ()
    crime: dt.date | None = None
    sanction: tuple[dt.date, str] | None = None


def _distinct(rng: random.Random, population: int, count: int) -> list[int]:
    """``count`` distinct indexes below ``population`` (a partial Fisher-Yates shuffle)."""
    pool = list(range(population))
    for i in range(min(count, population)):
        j = i + _below(rng, population - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[: min(count, population)]


def _drafts(
    rng: random.Random, year: int, branches: Sequence[Organization], sizes: Sequence[int]
) -> list[_Draft]:
    last = dt.date(year, 12, 31)
    drafts: list[_Draft] = []
    for branch, size in zip(branches, sizes, strict=True):
        staff: list[_Draft] = []
        for _ in range(size):
            given = _GIVEN_TWO if rng.random() < 0.7 else _GIVEN_ONE
            name = _SURNAMES[_below(rng, len(_SURNAMES))] + given[_below(rng, len(given))]
            u = rng.random()
            status = "probationary" if u < 0.05 else "full"
            if u < 0.03:
                joined = _day_between(rng, dt.date(year, 2, 1), dt.date(year, 11, 30))
            elif u < 0.05:
                joined = _day_between(rng, dt.date(year - 1, 7, 1), dt.date(year - 1, 12, 31))
            else:
                joined = _day_between(rng, dt.date(1975, 1, 1), dt.date(year - 1, 6, 30))
            # Engagement drives every activity and so the grade: spread around 0.5, a lagging
            # minority, and probationary members, who are under observation, keener.
            engagement = _beta(rng, 3, 3)
            if rng.random() < 0.06:
                engagement = 0.05 + 0.3 * rng.random()
            if status == "probationary":
                engagement = max(engagement, 0.5 + 0.5 * _beta(rng, 3, 2))
            draft = _Draft(f"M{len(drafts) + 1:05d}", name, branch.id, status, joined, engagement)
            if status == "full" and rng.random() < 0.01:
                draft.left = _day_between(rng, dt.date(year, 2, 1), last)
            drafts.append(draft)
            if status == "full" and draft.left is None:
                staff.append(draft)
        roles = ["书记", "组织委员", "宣传委员"][: 1 if size < 7 else 3]
        if size >= 25 and rng.random() < 0.5:
            roles.append("纪检委员")
        for role, index in zip(roles, _distinct(rng, len(staff), len(roles)), strict=False):
            staff[index].roles = (role,)
            staff[index].engagement = 0.65 + 0.35 * rng.random()

    plain = [d for d in drafts if d.status == "full" and d.left is None and not d.roles]
    crimes = int(len(drafts) / 2500 + rng.random())
    for index in _distinct(rng, len(plain), crimes):
        # A crime leads to expulsion (开除党籍) a few weeks later: the member leaves then.
        draft = plain[index]
        draft.crime = _day_between(rng, dt.date(year, 3, 1), dt.date(year, 9, 30))
        draft.left = draft.crime + dt.timedelta(days=20 + _below(rng, 40))
        draft.sanction = (draft.left, "开除党籍")
    for draft in drafts:
        if draft.crime is None and rng.random() < 0.005:
            start = max(draft.joined, dt.date(year, 1, 1))
            draft.sanction = (_day_between(rng, start, draft.left or last), _pick(rng, _SANCTIONS))
    return drafts


@contextmanager
def _without_gc() -> Iterator[None]:
    # A quarter of a million new acyclic objects trigger many full collections that find
    # nothing to free; pausing the collector halves the run time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    if members < 1:
        raise ValueError("members must be at least 1")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    with _without_gc():
        return _generate(members, seed, year, PROFILES[profile])


def _generate(members: int, seed: int, year: int, profile: _Profile) -> Dataset:
    rng = random.Random(seed)
    orgs, branches = _organizations(max(1, round(members / profile.members_per_branch)), profile)
    sizes = _largest_remainder(members, [0.5 + rng.random() for _ in branches], 1)
    schedules = {branch.id: _branch_schedule(rng, year) for branch in branches}
    drafts = _drafts(rng, year, branches, sizes)

    builder = _Builder(rng, year)
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
        _member_events(builder, member, draft.engagement, schedules[draft.organization], heavy)
        _previous_december(builder, member)
        if draft.crime is not None:
            builder.add(member, "crime", draft.crime, status="approved")
        if draft.sanction is not None:
            date, sanction = draft.sanction
            builder.add(
                member, "discipline", date, attributes={"sanction": sanction}, status="approved"
            )
    if profile.full:
        _full_records(builder, branches, schedules, drafts, people)
    return Dataset(
        organizations={org.id: org for org in orgs},
        members=people,
        events=builder.events(),
        source=f"generated(seed={seed})",
    )


# ------------------------------------------------------------------ the "full" profile

#: The ten items of a venue inspection (灵宝 "十有"), true/false fields of ``venue_inspection``.
VENUE_ITEMS: tuple[str, ...] = (
    "sign",
    "flag",
    "rules_on_wall",
    "books",
    "av_equipment",
    "roster",
    "activity_records",
    "furniture",
    "bulletin_board",
    "keeper",
)
CONTACT_ROLE = "联系干部"
_ACCOUNTABILITY: tuple[tuple[str, float], ...] = (
    ("通报批评", 0.5),
    ("诫勉谈话", 0.8),
    ("责令整改", 1.0),
)
_LIFE = frozenset(_MEETINGS)


def _branch_quality(rng: random.Random, number: int, engagement: float) -> float:
    """How well a branch works, 0..1: partly lasting (the same in every year), partly this
    year's, partly its members' mean engagement (about 0.4..0.6)."""
    lasting = random.Random(7919 * number).random()
    keen = min(1.0, max(0.0, (engagement - 0.4) * 5))
    return 0.45 * lasting + 0.3 * rng.random() + 0.25 * keen


def _branch_records(
    b: _Builder, number: int, branch: Organization, quality: float, plan: dict[str, list[dt.date]]
) -> None:
    """A branch's own records: meetings held, inspections, assessments, a case."""
    rng, year = b.rng, b.year
    # The branch records the meetings its members attended; weaker branches file fewer.
    filed = 0.6 + 0.4 * quality
    for kind, held in (("branch_meeting", "member_meeting"), ("branch_lecture", "party_lecture")):
        for date in plan[held]:
            if rng.random() < filed:
                b.add_org(number, branch, kind, date)
    for month in range(1, 13):
        if rng.random() < 0.65 + 0.37 * quality:
            b.add_org(number, branch, "committee_meeting", _month_day(rng, year, month))
    # Venue inspections: most branches once or twice (the second after rectification).
    if rng.random() < 0.9:
        visits = 1 + (rng.random() < 0.4)
        days = sorted(
            _day_between(rng, dt.date(year, 3, 1), dt.date(year, 11, 30)) for _ in range(visits)
        )
        for n, date in enumerate(days):
            good = min(0.99, 0.7 + 0.3 * quality + 0.1 * n)
            found: dict[str, AttributeValue] = {item: rng.random() < good for item in VENUE_ITEMS}
            found["area"] = Decimal(12 + _below(rng, 10 + int(50 * quality)))
            b.add_org(number, branch, "venue_inspection", date, attributes=found)
    # 目标责任制: the branch's self-assessment and the superior's, scored out of 100.
    own = 72 + int(20 * quality + 9 * rng.random())
    b.add_org(
        number,
        branch,
        "self_assessment",
        _workday(year, 12, 3 + _below(rng, 8)),
        quantity=Decimal(own),
    )
    superior = 58 + int(34 * quality + 8 * rng.random())
    b.add_org(
        number,
        branch,
        "superior_assessment",
        _workday(year, 12, 14 + _below(rng, 10)),
        quantity=Decimal(superior),
    )
    # 一行业一特色、一支部一品牌: a case put forward, with its review score (ties happen).
    if rng.random() < 0.35 + 0.55 * quality:
        kind = "feature_case" if rng.random() < 0.5 else "brand_case"
        date = _day_between(rng, dt.date(year, 9, 1), dt.date(year, 11, 20))
        score = 70 + int(20 * quality + 10 * rng.random())
        b.add_org(number, branch, kind, date, quantity=Decimal(score), status="approved")


def _contact_stays(b: _Builder, member: Member, diligence: float) -> None:
    """A contact cadre's 蹲点 stays: two a month are asked for, each at least two days."""
    rng, year = b.rng, b.year
    start = max(member.joined or b.first, b.first)
    stop = min(member.left or b.last, b.last)
    for month in range(1, 13):
        u = rng.random()
        stays = 2 if u < 0.78 + 0.2 * diligence else (1 if u < 0.97 else 3)
        for n in range(stays):
            day = 1 + 9 * n + _below(rng, 9)
            date = dt.date(year, month, day)
            length = 1 if rng.random() < 0.12 - 0.1 * diligence else 2 + (rng.random() < 0.4)
            end = date + dt.timedelta(days=length - 1)
            if date < start or end > stop:
                continue
            b.add(member, "contact_stay", date, end=end if end > date else None)


def _full_records(
    b: _Builder,
    branches: Sequence[Organization],
    plans: dict[str, dict[str, list[dt.date]]],
    drafts: Sequence[_Draft],
    people: dict[str, Member],
) -> None:
    rng, year = b.rng, b.year
    engagement: dict[str, list[float]] = {}
    for draft in drafts:
        engagement.setdefault(draft.organization, []).append(draft.engagement)
    for number, branch in enumerate(branches, start=1):
        keen = engagement.get(branch.id, [0.5])
        quality = _branch_quality(rng, number, sum(keen) / len(keen))
        _branch_records(b, number, branch, quality, plans[branch.id])
    for index in sorted(_distinct(rng, len(branches), 1 + (rng.random() < 0.5))):
        date = _day_between(rng, dt.date(year, 3, 1), dt.date(year, 10, 31))
        b.add_org(
            index + 1,
            branches[index],
            "branch_accountability",
            date,
            attributes={"sanction": _pick(rng, _ACCOUNTABILITY)},
            status="approved",
        )

    # Contact cadres: one plain, long-standing member in most branches, and one member who
    # joined this year (sent to a village soon after joining).
    first = dt.date(year, 1, 1)
    steady = [
        d
        for d in drafts
        if d.status == "full"
        and d.left is None
        and not d.roles
        and d.joined < first
        and d.crime is None
        and d.sanction is None
    ]
    by_branch: dict[str, list[_Draft]] = {}
    for draft in steady:
        by_branch.setdefault(draft.organization, []).append(draft)
    cadres: list[_Draft] = []
    for branch in branches:
        pool = by_branch.get(branch.id, [])
        if pool and rng.random() < 0.8:
            cadres.append(pool[_below(rng, len(pool))])
    newcomer = next(
        (d for d in drafts if d.joined.year == year and d.joined.month <= 8 and d.left is None),
        None,
    )
    if newcomer is not None:
        cadres.append(newcomer)
    for draft in cadres:
        member = people[draft.id]
        member = attrs.evolve(member, roles=(*member.roles, CONTACT_ROLE))
        people[draft.id] = member
        _contact_stays(b, member, draft.engagement)

    # Two members stop taking part from the spring on (流动、失联): one drops everything, the
    # other still pays dues. Six months in a row without organizational life is flagged.
    chosen = {d.id for d in cadres}
    quiet = [d for d in steady if d.id not in chosen]
    lapsed: dict[str, tuple[dt.date, bool]] = {}
    for n, index in enumerate(_distinct(rng, len(quiet), 2)):
        cutoff = dt.date(year, 4 + _below(rng, 3), 28)
        lapsed[quiet[index].id] = (cutoff, n == 1)
    if lapsed:
        kept: list[tuple[int, tuple[Any, ...]]] = []
        for row in b.rows:
            type_, date, member_id = row[1][0], row[1][1], row[1][2]
            stop = lapsed.get(member_id) if member_id is not None else None
            if stop is not None and date > stop[0] and (type_ in _LIFE or not stop[1]):
                continue
            kept.append(row)
        b.rows = kept


def write_csv_folder(dataset: Dataset, out_dir: str | PathLike[str]) -> None:
    """Write ``organizations.csv``, ``members.csv`` and ``events.csv`` into ``out_dir``."""
    from dangjian_rules.io.data import dump_csv_folder

    dump_csv_folder(dataset, out_dir)
