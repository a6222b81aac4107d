"""Generated people and their year of records: names, the drawing helpers (plain
arithmetic on ``random()`` only, so the data are the same on every machine), the record
builder, each member's meetings, study, dues, volunteering, pioneer posts and sanctions."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any

import attrs

from dangjian_rules.model.records import AttributeValue, Event, Member, Organization


def words(text: str) -> tuple[str, ...]:
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
_GIVEN_TWO = words(
    """建国 建军 国强 国庆 志刚 志强 秀英 桂英 玉兰 玉梅 海燕 丽娟 晓东 红梅 红霞 卫东 卫国 新民
    振华 保国 永强 永红 春梅 春华 文斌 文静 俊峰 宏伟 学军 向阳 爱民 爱华 金凤 凤英 淑珍 秀兰
    晓燕 晓丽 晓辉 亚楠 雅静 丽华 利民 德胜 会玲 彩云 建华 建平 建伟 少华 小军 小红 云飞 鹏飞
    海涛 海军 海峰 志勇 志伟 国华 跃进 胜利 朝阳 瑞祥 庆丰 长青 永生 忠诚 明亮 佳琪 梦瑶 雨婷
    思远 浩然 子涵 一鸣 晨阳 嘉怡 欣怡 宇航 俊杰 文博 晓峰 丹丹 娜娜 静怡 瑞芳 艳红 艳玲 秋菊
    冬梅 素芳 翠花 玉霞 巧玲 军伟"""
)

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
MEETINGS = ("member_meeting", "group_meeting", "party_lecture", "theme_day")
# Half-hour steps, cached: quantities are exact decimals such as 1.5.
_HALF_HOURS = tuple(Decimal(n) / 2 for n in range(0, 97))


def ordinal(n: int) -> str:
    """Chinese numeral for 1..99 (第一, 第十二, 第二十一); digits from 100 on."""
    if n >= 100:
        return str(n)
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _NUMERALS[tens - 1]
    return head + "十" + (_NUMERALS[ones - 1] if ones else "")


def largest_remainder(total: int, weights: Sequence[float], minimum: int) -> list[int]:
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


def below(rng: random.Random, n: int) -> int:
    """A whole number in [0, n): faster than ``randrange`` and as portable."""
    return int(rng.random() * n)


def _beta(rng: random.Random, a: int, b: int) -> float:
    """Beta(a, b) for whole a, b: the a-th smallest of a+b-1 uniforms (no libm, portable)."""
    draws = sorted(rng.random() for _ in range(a + b - 1))
    return draws[a - 1]


def day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return dt.date.fromordinal(
        first.toordinal() + below(rng, last.toordinal() - first.toordinal() + 1)
    )


def workday(year: int, month: int, day: int) -> dt.date:
    """The date, moved back to Friday when it falls on a weekend (day must be >= 3)."""
    date = dt.date(year, month, day)
    weekday = date.weekday()
    return date - dt.timedelta(days=weekday - 4) if weekday >= 5 else date


def month_day(rng: random.Random, year: int, month: int) -> dt.date:
    return workday(year, month, 3 + below(rng, 26))


def pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    u = rng.random()
    for value, upto in table:
        if u < upto:
            return value
    return table[-1][0]


class Builder:
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


def branch_schedule(rng: random.Random, year: int) -> dict[str, list[dt.date]]:
    """Dates of one branch's meetings in the year: the sessions its members may attend."""
    theme_day = 3 + below(rng, 26)
    plan: dict[str, list[dt.date]] = {kind: [] for kind in MEETINGS}
    for quarter in range(4):
        months = [3 * quarter + 1, 3 * quarter + 2, 3 * quarter + 3]
        # Some branches hold a second session in a quarter: extra attendance the cap absorbs.
        for kind, extra in (("member_meeting", 0.25), ("party_lecture", 0.3)):
            held = 2 if rng.random() < extra else 1
            for _ in range(held):
                plan[kind].append(month_day(rng, year, months[below(rng, 3)]))
    for month in range(1, 13):
        for _ in range(1 + (rng.random() < 0.5)):
            plan["group_meeting"].append(month_day(rng, year, month))
        if rng.random() < 0.9:
            plan["theme_day"].append(workday(year, month, theme_day))
    return plan


def member_events(
    b: Builder,
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
    for kind in MEETINGS:
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
        day = 3 + below(rng, 18)
        is_late = rng.random() < late
        if is_late:
            day += 8
        date = workday(year, month, day)
        if member_on(date):
            b.add(member, "dues", date, attributes={"late": is_late})

    for month in range(1, 13):
        if rng.random() >= 0.35 + 0.6 * engagement:
            continue
        keen = 0.4 + 0.6 * engagement
        sessions = 1 + sum(rng.random() < share * keen for share in (0.9, 0.7, 0.5, 0.3, 0.1))
        for _ in range(sessions):
            date = month_day(rng, year, month)
            if member_on(date):
                hours = 1 + below(rng, 2 + int(1.5 * engagement))
                b.add(member, "study", date, quantity=_HALF_HOURS[hours])

    volunteering = (
        10 + below(rng, 11) if heavy_volunteer else int(engagement * 3 + rng.random() * 1.6)
    )
    for _ in range(volunteering):
        date = day_between(rng, start, stop)
        if heavy_volunteer and rng.random() < 0.25:
            end = min(date + dt.timedelta(days=1 + below(rng, 2)), stop)
            hours = 2 * (6 * ((end - date).days + 1) + below(rng, 3))
            b.add(
                member,
                "volunteer",
                date,
                end=end if end > date else None,
                quantity=_HALF_HOURS[hours],
            )
        else:
            top = 12 if heavy_volunteer else 6
            b.add(member, "volunteer", date, quantity=_HALF_HOURS[2 + below(rng, top + 1)])

    if rng.random() < 0.08 + 0.3 * engagement:
        for _ in range(1 + (rng.random() < 0.3)):
            date = day_between(rng, start, stop)
            b.add(member, "pioneer", date, attributes={"level": pick(rng, _PIONEER_LEVELS)})

    if rng.random() < 0.08 + 0.3 * engagement:
        for _ in range(1 + below(rng, 3)):
            date = day_between(rng, start, stop)
            b.add(member, "suggestion", date, attributes={"adopted": rng.random() < 0.35})


def previous_december(b: Builder, member: Member) -> None:
    """A record of last December entered late: outside the period, it must be accounted for."""
    rng = b.rng
    if rng.random() >= 0.28:
        return
    kind = ("dues", "study", "group_meeting", "theme_day")[below(rng, 4)]
    date = month_day(rng, b.year - 1, 12)
    if member.joined is not None and member.joined > date:
        return
    if kind == "dues":
        b.add(member, kind, date, attributes={"late": False}, status="approved")
    elif kind == "study":
        b.add(member, kind, date, quantity=_HALF_HOURS[2 + below(rng, 5)], status="approved")
    else:
        b.add(member, kind, date, status="approved")


@attrs.define
class Draft:
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


def distinct(rng: random.Random, population: int, count: int) -> list[int]:
    """``count`` distinct indexes below ``population`` (a partial Fisher-Yates shuffle)."""
    pool = list(range(population))
    for i in range(min(count, population)):
        j = i + below(rng, population - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[: min(count, population)]


def draft_members(
    rng: random.Random, year: int, branches: Sequence[Organization], sizes: Sequence[int]
) -> list[Draft]:
    last = dt.date(year, 12, 31)
    drafts: list[Draft] = []
    for branch, size in zip(branches, sizes, strict=True):
        staff: list[Draft] = []
        for _ in range(size):
            given = _GIVEN_TWO if rng.random() < 0.7 else _GIVEN_ONE
            name = _SURNAMES[below(rng, len(_SURNAMES))] + given[below(rng, len(given))]
            u = rng.random()
            status = "probationary" if u < 0.05 else "full"
            if u < 0.03:
                joined = day_between(rng, dt.date(year, 2, 1), dt.date(year, 11, 30))
            elif u < 0.05:
                joined = day_between(rng, dt.date(year - 1, 7, 1), dt.date(year - 1, 12, 31))
            else:
                joined = day_between(rng, dt.date(1975, 1, 1), dt.date(year - 1, 6, 30))
            # Engagement drives every activity and so the grade: spread around 0.5, a lagging
            # minority, and probationary members, who are under observation, keener.
            engagement = _beta(rng, 3, 3)
            if rng.random() < 0.06:
                engagement = 0.05 + 0.3 * rng.random()
            if status == "probationary":
                engagement = max(engagement, 0.5 + 0.5 * _beta(rng, 3, 2))
            draft = Draft(f"M{len(drafts) + 1:05d}", name, branch.id, status, joined, engagement)
            if status == "full" and rng.random() < 0.01:
                draft.left = day_between(rng, dt.date(year, 2, 1), last)
            drafts.append(draft)
            if status == "full" and draft.left is None:
                staff.append(draft)
        roles = ["书记", "组织委员", "宣传委员"][: 1 if size < 7 else 3]
        if size >= 25 and rng.random() < 0.5:
            roles.append("纪检委员")
        for role, index in zip(roles, distinct(rng, len(staff), len(roles)), strict=False):
            staff[index].roles = (role,)
            staff[index].engagement = 0.65 + 0.35 * rng.random()

    plain = [d for d in drafts if d.status == "full" and d.left is None and not d.roles]
    crimes = int(len(drafts) / 2500 + rng.random())
    for index in distinct(rng, len(plain), crimes):
        # A crime leads to expulsion (开除党籍) a few weeks later: the member leaves then.
        draft = plain[index]
        draft.crime = day_between(rng, dt.date(year, 3, 1), dt.date(year, 9, 30))
        draft.left = draft.crime + dt.timedelta(days=20 + below(rng, 40))
        draft.sanction = (draft.left, "开除党籍")
    for draft in drafts:
        if draft.crime is None and rng.random() < 0.005:
            start = max(draft.joined, dt.date(year, 1, 1))
            draft.sanction = (day_between(rng, start, draft.left or last), pick(rng, _SANCTIONS))
    return drafts
