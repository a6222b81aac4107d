"""The province-sized stream: JSON Lines written and read one subject at a time.

:func:`write_province` draws a province's organs — cities, counties, branches of 29 — and
each member's year of records for the 渑池 card (about 60 per member, the same mix as
:func:`dangjian_rules.tools.generate.generate_county`, drawn more simply), writing three files as
it goes, in id order, without holding more than one member:

* ``organizations.jsonl`` — one organization per line, depth first (ids sort that way);
* ``members.jsonl`` — one member per line;
* ``events.jsonl`` — ``{"subject": "M00000001", "events": [...]}``, one line per member with
  records (a few members have none: :func:`~dangjian_rules.io.jsonl.evaluate_file` must
  still grade them).

:class:`SortedJsonlMapping` is a read-only mapping over such a file that reads forward as
keys are asked for in ascending order (a merge join with the events file), so neither the
members nor the organizations are held in memory: lookups in file order cost one line
each; a key behind the cursor reopens the file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

from dangjian_rules import Member, Organization

V = TypeVar("V")
#: Part of the cache folder's name: change it when the drawn data changes.
GENERATOR_VERSION = 1
PER_BRANCH = 29
BRANCHES_PER_COUNTY = 148
COUNTIES_PER_CITY = 10
_TYPES_LIFE = ("member_meeting", "party_lecture", "group_meeting", "theme_day")
_LEVELS = (("branch", 0.7), ("county", 0.9), ("city", 0.97), ("province", 1.0))
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳敏静丽强磊军洋勇艳杰娟涛明超霞平刚华"


def _day(rng: random.Random, year: int, month: int) -> dt.date:
    return dt.date(year, month, 1 + int(rng.random() * 28))


def _branch_schedule(rng: random.Random, year: int) -> list[tuple[str, dt.date]]:
    """The sessions a branch holds in the year (its members may attend each)."""
    plan: list[tuple[str, dt.date]] = []
    for quarter in range(4):
        for kind, extra in (("member_meeting", 0.25), ("party_lecture", 0.3)):
            for _ in range(2 if rng.random() < extra else 1):
                plan.append((kind, _day(rng, year, 3 * quarter + 1 + int(rng.random() * 3))))
    theme = 3 + int(rng.random() * 25)
    for month in range(1, 13):
        for _ in range(1 + (rng.random() < 0.9)):
            plan.append(("group_meeting", _day(rng, year, month)))
        if rng.random() < 0.9:
            plan.append(("theme_day", dt.date(year, month, theme)))
    return plan


def _status(rng: random.Random, day: dt.date) -> str | None:
    u = rng.random()
    pending = 0.06 if day.month == 12 else 0.027
    if u < pending:
        return "pending"
    if u < pending + 0.01:
        return "returned"
    return None  # approved, the default


def _member_events(
    rng: random.Random, year: int, schedule: list[tuple[str, dt.date]], joined: dt.date
) -> list[tuple[str, dt.date, str | None, str, str]]:
    """(type, date, status, quantity text, extra JSON fields) of one member's year."""
    engagement = rng.betavariate(3, 3)
    if rng.random() < 0.06:
        engagement = 0.05 + 0.3 * rng.random()
    out: list[tuple[str, dt.date, str | None, str, str]] = []
    add = out.append
    attend = min(0.97, 0.05 + 0.85 * engagement)
    skips = 0.08 if engagement < 0.2 else 0.0
    for kind, day in schedule:
        if day < joined:
            continue
        if rng.random() < attend:
            add((kind, day, _status(rng, day), "", ""))
        elif rng.random() < skips:
            add(("absence", day, _status(rng, day), "", ""))
    late_rate = 0.005 + 0.08 * (1 - engagement) ** 2
    for month in range(1, 13):
        day = dt.date(year, month, 3 + int(rng.random() * 18))
        if day >= joined:
            late = rng.random() < late_rate
            add(("dues", day, _status(rng, day), "", ',"late":true' if late else ',"late":false'))
    keen = 0.4 + 0.6 * engagement
    for month in range(1, 13):
        if rng.random() >= 0.5 + 0.5 * engagement:
            continue
        for _ in range(1 + sum(rng.random() < s * keen for s in (0.9, 0.7, 0.5, 0.3, 0.1))):
            day = _day(rng, year, month)
            if day >= joined:
                hours = Decimal(1 + int(rng.random() * 4)) / 2
                add(("study", day, _status(rng, day), str(hours), ""))
    for _ in range(int(engagement * 3 + rng.random() * 1.6)):
        day = _day(rng, year, 1 + int(rng.random() * 12))
        if day >= joined:
            hours = Decimal(2 + int(rng.random() * 7)) / 2
            add(("volunteer", day, _status(rng, day), str(hours), ""))
    if rng.random() < 0.08 + 0.3 * engagement:
        for _ in range(1 + (rng.random() < 0.3)):
            day = _day(rng, year, 1 + int(rng.random() * 12))
            u = rng.random()
            level = next(name for name, upto in _LEVELS if u < upto)
            add(("pioneer", day, _status(rng, day), "", f',"level":"{level}"'))
    if rng.random() < 0.08 + 0.3 * engagement:
        for _ in range(1 + int(rng.random() * 3)):
            day = _day(rng, year, 1 + int(rng.random() * 12))
            adopted = "true" if rng.random() < 0.35 else "false"
            add(("suggestion", day, _status(rng, day), "", f',"adopted":{adopted}'))
    if rng.random() < 0.005:
        day = _day(rng, year, 1 + int(rng.random() * 12))
        add(("discipline", day, None, "", ',"sanction":"警告"'))
    if rng.random() < 0.28:  # entered late: last December, outside the period
        add(("group_meeting", _day(rng, year - 1, 12), None, "", ""))
    return out


def write_province(
    directory: str | os.PathLike[str], members: int, seed: int = 2015, year: int = 2015
) -> dict[str, int]:
    """Write the three files for ``members`` members; returns counts and bytes written."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    events = 0
    quiet = 0
    organizations = 1
    number = 0
    with (
        (folder / "organizations.jsonl").open("w", encoding="utf-8") as orgs,
        (folder / "members.jsonl").open("w", encoding="utf-8") as people,
        (folder / "events.jsonl").open("w", encoding="utf-8") as records,
    ):
        orgs.write('{"id":"HN","name":"省直机关工委（示意）","kind":"work_committee"}\n')
        schedule: list[tuple[str, dt.date]] = []
        branch_id = ""
        for index in range(members):
            branch, position = divmod(index, PER_BRANCH)
            if position == 0:
                county, nth = divmod(branch, BRANCHES_PER_COUNTY)
                city = county // COUNTIES_PER_CITY
                city_id = f"HN-C{city:02d}"
                county_id = f"{city_id}-X{county:03d}"
                if nth == 0 and county % COUNTIES_PER_CITY == 0:
                    orgs.write(
                        f'{{"id":"{city_id}","name":"第{city + 1}市直机关工委",'
                        f'"kind":"work_committee","parent":"HN"}}\n'
                    )
                    organizations += 1
                if nth == 0:
                    orgs.write(
                        f'{{"id":"{county_id}","name":"第{county + 1}县直机关工委",'
                        f'"kind":"work_committee","parent":"{city_id}"}}\n'
                    )
                    organizations += 1
                branch_id = f"{county_id}-B{branch:05d}"
                orgs.write(
                    f'{{"id":"{branch_id}","name":"第{branch + 1}党支部",'
                    f'"kind":"branch","parent":"{county_id}"}}\n'
                )
                organizations += 1
                schedule = _branch_schedule(rng, year)
            member_id = f"M{index + 1:08d}"
            u = rng.random()
            status = "probationary" if u < 0.05 else "full"
            if u < 0.03:
                joined = dt.date(year, 2 + int(rng.random() * 10), 1)
            else:
                joined = dt.date(1975 + int(rng.random() * 39), 1 + int(rng.random() * 12), 1)
            name = _SURNAMES[int(rng.random() * 20)] + _GIVEN[int(rng.random() * 20)]
            people.write(
                f'{{"id":"{member_id}","name":"{name}","organization":"{branch_id}",'
                f'"status":"{status}","joined":"{joined.isoformat()}"}}\n'
            )
            drawn = [] if rng.random() < 0.001 else _member_events(rng, year, schedule, joined)
            if not drawn:
                quiet += 1
                continue
            parts = []
            for kind, day, state, quantity, extra in drawn:
                events += 1
                text = f'{{"id":"E{events:010d}","type":"{kind}","date":"{day.isoformat()}"'
                if state is not None:
                    text += f',"status":"{state}"'
                if quantity:
                    text += f',"quantity":{quantity}'
                parts.append(text + extra + "}")
            records.write(f'{{"subject":"{member_id}","events":[{",".join(parts)}]}}\n')
            number += 1
    return {
        "members": members,
        "organizations": organizations,
        "events": events,
        "lines": number,
        "members_without_records": quiet,
        "bytes": sum((folder / n).stat().st_size for n in ("events.jsonl", "members.jsonl")),
    }


def read_member(raw: Mapping[str, Any]) -> Member:
    return Member(
        raw["id"],
        raw["name"],
        raw["organization"],
        raw.get("status", "full"),
        dt.date.fromisoformat(raw["joined"]) if raw.get("joined") else None,
        dt.date.fromisoformat(raw["left"]) if raw.get("left") else None,
    )


def read_organization(raw: Mapping[str, Any]) -> Organization:
    return Organization(raw["id"], raw["name"], raw["kind"], raw.get("parent"))


class SortedJsonlMapping(Mapping[str, V], Generic[V]):
    """A mapping over a JSON Lines file sorted by ``id``, read forward as keys are asked.

    Holds one record.  Iteration streams the ids from the file.  Asking for a key behind
    the current one reopens the file (rare when lookups follow the file's order)."""

    def __init__(self, path: str | os.PathLike[str], parse: Callable[[Mapping[str, Any]], V]):
        self.path = Path(path)
        self.parse = parse
        self._handle: Any = None
        self._key = ""
        self._value: V | None = None
        self._count: int | None = None
        self.reopened = 0

    def _open(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self.reopened += 1
        self._handle = self.path.open(encoding="utf-8")
        self._key, self._value = "", None

    def __getitem__(self, key: str) -> V:
        if self._handle is None or key < self._key:
            self._open()
        while self._key < key:
            line = self._handle.readline()
            if not line:
                self._key = "\U0010ffff"  # past the end
                break
            raw = json.loads(line)
            self._key, self._value = raw["id"], None
            if self._key == key:
                self._value = self.parse(raw)
        if self._key == key:
            if self._value is None:  # read past it earlier without parsing: reopen
                self._open()
                return self[key]
            return self._value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                # the id is the first field: '{"id":"…",'
                yield line[7 : line.index('"', 7)]

    def __len__(self) -> int:
        if self._count is None:
            with self.path.open("rb") as handle:
                self._count = sum(1 for _ in handle)
        return self._count

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def cache_root() -> Path:
    """Where generated provinces are kept between runs (``DANGJIAN_BENCH_DATA`` or tmp)."""
    import tempfile

    return Path(os.environ.get("DANGJIAN_BENCH_DATA") or tempfile.gettempdir()) / (
        "dangjian-rules-bench"
    )


def ensure_province(
    members: int, seed: int = 2015, fresh: bool = False
) -> tuple[Path, dict[str, Any]]:
    """The folder of a generated province, written first if it is not there yet.

    The counts (and, when written now, the seconds it took) are kept in ``counts.json``."""
    import shutil
    import time

    folder = cache_root() / f"province-v{GENERATOR_VERSION}-{members}-seed{seed}"
    marker = folder / "counts.json"
    if marker.exists() and not fresh:
        counts = json.loads(marker.read_text(encoding="utf-8"))
        counts["reused"] = True
        return folder, counts
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    counts: dict[str, Any] = dict(write_province(partial, members, seed))
    counts["seconds"] = round(time.perf_counter() - started, 1)
    (partial / "counts.json").write_text(json.dumps(counts), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    counts["reused"] = False
    return folder, counts


if __name__ == "__main__":  # python benchmarks/province.py MEMBERS: write (or find) one
    import sys

    where, written = ensure_province(int(sys.argv[1]))
    print(where, written)
