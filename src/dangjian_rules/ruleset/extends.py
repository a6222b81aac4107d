"""``extends``: a ruleset that reuses a baseline and overrides parts of it.

A county's ruleset says ``extends = "sanmenxia.member-baseline"`` in its ``[ruleset]``
table.  The baseline's document is merged under the county's before anything is checked:

* tables (``score``, ``fields``, ``event_types``, ``[ruleset]`` itself) merge key by key,
  the county's keys winning;
* lists of entries with ids (``categories``, ``rules``, ``grades``, ``measures``,
  ``flags``) merge by id: an entry with the baseline's id replaces it where it stood, a
  new id is added at the end, and ``{ id = "…", remove = true }`` drops the baseline's;
* ``stars``, ``tiers`` and ``selection`` are replaced whole when the county gives them.

A baseline may itself extend another.  When the baseline id has several versions, the one
in force on the county ruleset's ``in_force.from`` date is used.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli

from dangjian_rules.errors import Problem, suggestion
from dangjian_rules.limits import LIMITS, limit, read_regular_file

BY_ID = ("categories", "rules", "grades", "measures", "flags")
MERGED_TABLES = ("ruleset", "score", "fields", "event_types")


def _merge_tables(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_tables(out[key], value)
        else:
            out[key] = value
    return out


def _merge_by_id(parent: list[Any], child: list[Any]) -> list[Any]:
    out = list(parent)
    index = {item.get("id"): i for i, item in enumerate(out) if isinstance(item, dict)}
    removed: set[int] = set()
    for item in child:
        item_id = item.get("id") if isinstance(item, dict) else None
        if item_id is not None and item_id in index:
            if item.get("remove") is True:
                removed.add(index[item_id])
            else:
                out[index[item_id]] = item
        elif not (isinstance(item, dict) and item.get("remove") is True):
            out.append(item)
    return [item for i, item in enumerate(out) if i not in removed]


def merge(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """The child document over the parent's, as the module docstring says."""
    out: dict[str, Any] = {}
    parent = {k: v for k, v in parent.items() if k != "tests"}  # a baseline's cases are its own
    for key in {*parent, *child}:
        if key not in child:
            out[key] = parent[key]
        elif key not in parent:
            out[key] = child[key]
        elif (
            key in MERGED_TABLES and isinstance(parent[key], dict) and isinstance(child[key], dict)
        ):
            out[key] = _merge_tables(parent[key], child[key])
        elif key in BY_ID and isinstance(parent[key], list) and isinstance(child[key], list):
            out[key] = _merge_by_id(parent[key], child[key])
        else:
            out[key] = child[key]
    header = out.get("ruleset")
    if isinstance(header, dict):
        header = dict(header)
        header.pop("extends", None)  # the chain is resolved; what remains is the child's
        if isinstance(child.get("ruleset"), dict) and "extends" in child["ruleset"]:
            header["extends"] = child["ruleset"]["extends"]
        out["ruleset"] = header
    return out


class RulesetIndex:
    """Ruleset files by id, found under some folders and among installed rulesets."""

    def __init__(self, roots: Iterable[Path], extra: Iterable[Path] = ()) -> None:
        self.roots = [r for r in roots if r.is_dir()]
        self.extra = list(extra)
        self._by_id: dict[str, list[Path]] | None = None

    def _scan(self) -> dict[str, list[Path]]:
        if self._by_id is None:
            found: dict[str, list[Path]] = {}
            files: list[Path] = []
            for root in self.roots:  # the folder and one level below: no deep walks
                files.extend(sorted(root.glob("*.toml")))
                files.extend(sorted(root.glob("*/*.toml")))
            files = [f for f in files if not f.name.endswith(".tests.toml")][:5000]
            for file in [*files, *self.extra]:
                header = _header(file)
                if header is not None and isinstance(header.get("id"), str):
                    paths = found.setdefault(header["id"], [])
                    if file.resolve() not in [p.resolve() for p in paths]:
                        paths.append(file)
            self._by_id = found
        return self._by_id

    def find(self, ruleset_id: str) -> list[Path]:
        return list(self._scan().get(ruleset_id, ()))

    def ids(self) -> list[str]:
        return sorted(self._scan())

    def source(self, path: Path) -> bytes:
        return read_regular_file(path, "ruleset_bytes")

    def header(self, path: Path) -> dict[str, Any] | None:
        return _header(path)


class SourceIndex(RulesetIndex):
    """Baselines held in memory (file name → bytes), e.g. to rebuild a ruleset in a worker."""

    def __init__(self, sources: Iterable[tuple[str, bytes]]) -> None:
        super().__init__(())
        self.sources = {Path(file): data for file, data in sources}
        found: dict[str, list[Path]] = {}
        for path, data in self.sources.items():
            header = _parse_header(data)
            if header is not None and isinstance(header.get("id"), str):
                found.setdefault(header["id"], []).append(path)
        self._by_id = found

    def source(self, path: Path) -> bytes:
        return self.sources[path]

    def header(self, path: Path) -> dict[str, Any] | None:
        return _parse_header(self.sources[path])


def _header(file: Path) -> dict[str, Any] | None:
    try:
        return _parse_header(read_regular_file(file, "ruleset_bytes"))
    except OSError:
        return None


def _parse_header(data: bytes) -> dict[str, Any] | None:
    try:
        document = tomli.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):  # TOMLDecodeError is a ValueError
        return None
    header = document.get("ruleset")
    return header if isinstance(header, dict) else None


def _dates(header: Mapping[str, Any] | None) -> str:
    in_force = (header or {}).get("in_force")
    if not isinstance(in_force, dict):
        return "always"
    return f"{in_force.get('from', '…')}..{in_force.get('until', '…')}"


def _covers(header: Mapping[str, Any], day: dt.date | None) -> bool:
    in_force = header.get("in_force")
    if day is None or not isinstance(in_force, dict):
        return True
    start, end = in_force.get("from"), in_force.get("until")
    return (start is None or start <= day) and (end is None or day <= end)


def resolve(
    document: dict[str, Any],
    file: str,
    index: RulesetIndex | None,
    chain: tuple[str, ...] = (),
) -> tuple[dict[str, Any], list[tuple[str, str, bytes]], list[Problem]]:
    """The document merged over its baselines; the baselines used (id, file, bytes)."""
    header = document.get("ruleset")
    if not isinstance(header, dict) or "extends" not in header:
        return document, [], []
    parent_id = header["extends"]
    own_id = header.get("id", file)
    if not isinstance(parent_id, str):
        return document, [], []  # the type is reported by the ordinary checks
    if parent_id == own_id:
        problem = _extends_problem(
            "DJ126",
            file,
            (f'ruleset "{own_id}" extends itself', f"规则集“{own_id}”继承了它自己"),
            (
                "name the baseline it builds on, or remove extends",
                "请填写它所依据的基准规则集，或删除 extends",
            ),
        )
        return document, [], [problem]
    if parent_id in chain:
        shown = " → ".join([*chain, str(own_id), parent_id])
        problem = _extends_problem(
            "DJ126",
            file,
            (
                f"rulesets extend each other in a circle: {shown}",
                f"规则集之间循环继承：{shown}",
            ),
            (
                "a baseline must not extend the rulesets built on it",
                "基准规则集不能继承以它为基础的规则集",
            ),
        )
        return document, [], [problem]
    if len(chain) >= limit("extends_chain"):
        shown = " → ".join([*chain, str(own_id), parent_id])
        variable = LIMITS["extends_chain"][0]
        problem = _extends_problem(
            "DJ134",
            file,
            (
                f"more than {len(chain)} baselines in a row: {shown}",
                f"连续继承的基准规则集超过 {len(chain)} 层：{shown}",
            ),
            (
                f"merge some baselines into one, or raise the limit with {variable}",
                f"请合并部分基准规则集，或通过环境变量 {variable} 提高上限",
            ),
        )
        return document, [], [problem]
    in_force = header.get("in_force")
    day = in_force.get("from") if isinstance(in_force, dict) else None
    if index is None:
        return document, [], [_unfitting(parent_id, [], [], day, None, file)]
    candidates = index.find(parent_id)
    fitting = [c for c in candidates if _covers(index.header(c) or {}, day)]
    if len(fitting) != 1:
        return document, [], [_unfitting(parent_id, candidates, fitting, day, index, file)]
    parent_file = fitting[0]
    try:
        data = index.source(parent_file)
        parent_doc = tomli.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError, ValueError):  # TOMLDecodeError is a ValueError
        problem = _extends_problem(
            "DJ127",
            file,
            (
                f'the baseline "{parent_id}" in {parent_file} does not load; check it',
                f"基准规则集“{parent_id}”（{parent_file}）无法读取，请先检查它",
            ),
        )
        return document, [], [problem]
    parent_doc, above, problems = resolve(
        parent_doc, os.fspath(parent_file), index, (*chain, str(own_id))
    )
    return (
        merge(parent_doc, document),
        [(parent_id, os.fspath(parent_file), data), *above],
        problems,
    )


def _extends_problem(
    code: str,
    file: str,
    message: tuple[str, str],
    hint: tuple[str | None, str | None] = (None, None),
) -> Problem:
    """A problem with ``extends``: English and Chinese message, then hint."""
    return Problem(
        code=code,
        message=message[0],
        message_zh=message[1],
        file=file,
        path="ruleset.extends",
        hint=hint[0],
        hint_zh=hint[1],
    )


def _unfitting(
    parent_id: str,
    candidates: Sequence[Path],
    fitting: Sequence[Path],
    day: dt.date | None,
    index: RulesetIndex | None,
    file: str,
) -> Problem:
    """Why no single version of the baseline can be extended (DJ127)."""
    known = index.ids() if index is not None else []
    hint: tuple[str | None, str | None] = suggestion(
        parent_id,
        known,
        (
            "put it in this folder or the one above, or install the plugin that ships it",
            "请将其放在同一文件夹或上一级文件夹中，或安装提供它的插件",
        ),
    )
    if fitting:
        shown = ", ".join(os.fspath(c) for c in fitting)
        if day is None:
            message = (
                f'"{parent_id}" has several versions ({shown}); this ruleset needs an '
                "in_force.from date to choose one",
                f"“{parent_id}”有多个版本，本规则集须填写 in_force.from 以选定其一",
            )
            hint = (
                "add in_force = { from = 2015-01-01 } to [ruleset]",
                "请在 [ruleset] 中加 in_force = { from = 2015-01-01 }",
            )
        else:
            message = (
                f'several versions of "{parent_id}" are in force on {day}: {shown}',
                f"“{parent_id}”有多个版本在 {day} 生效",
            )
            hint = (
                "end the older baseline version before the newer one starts",
                "请让旧版本基准规则集在新版本生效前失效",
            )
    elif candidates:
        dates = "; ".join(
            f"{os.fspath(c)}: {_dates(index.header(c) if index is not None else None)}"
            for c in candidates
        )
        message = (
            f'no version of "{parent_id}" is in force on {day} ({dates})',
            f"“{parent_id}”没有在 {day} 生效的版本（{dates}）",
        )
        hint = (
            "change this ruleset's in_force.from, or add a baseline version for that date",
            "请修改本规则集的 in_force.from，或为该日期增加基准规则集版本",
        )
    else:
        message = (
            f'the baseline "{parent_id}" to extend was not found',
            f"找不到要继承的基准规则集“{parent_id}”",
        )
    return _extends_problem("DJ127", file, message, hint)
