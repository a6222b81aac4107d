"""The state one load shares across its files: options, problems found so far, record
places, caches; and the values every reader parses the same way (dates, quantities).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from dangjian_rules.convert.records import CORE_COLUMNS, RecordBuilder
from dangjian_rules.errors import Problem, ProblemsFound, UsageError
from dangjian_rules.limits import FileRefused, read_regular_file
from dangjian_rules.model.fields import (
    DataSchema,
)
from dangjian_rules.model.records import (
    Dataset,
    Event,
    Member,
    Organization,
    dataset_from,
)
from dangjian_rules.model.validate import (
    Location,
    RecordKey,
    check_loaded,
    located_problem,
)

#: The core columns of each CSV file (and core keys of each JSON record), in file order.
#: The core columns of each CSV file (and core keys of each JSON record), in file order.
CSV_COLUMNS = CORE_COLUMNS
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "name", "kind"),
    "members": ("id", "name", "organization"),
    "events": ("id", "type", "date"),
}
SECTIONS = ("organizations", "members", "events")
FOLDER_HINT = (
    "a data folder must hold organizations.csv, members.csv and events.csv "
    "(a file with only its header row is fine when there is no data)"
)
FOLDER_HINT_ZH = (
    "数据文件夹中必须有 organizations.csv、members.csv 和 events.csv 三个文件"
    "（没有数据时，文件里只留第一行列名即可）"
)
#: Beyond this many unknown ids, "did you mean" is not looked up: it is slow on big data.


# -- locations, computed only when a problem needs one ----------------------------------


#: Where a record's field is: the reader's locator, given the field name.
Where = Callable[[str], Location]


class RecordPlaces(Mapping[RecordKey, Location]):
    """Record places, made on demand: a loader keeps one number per record, no objects."""

    def __init__(self) -> None:
        self._sections: dict[str, tuple[Sequence[int], Callable[[int], Location]]] = {}

    def add(self, section: str, keys: Sequence[int], make: Callable[[int], Location]) -> None:
        self._sections[section] = (keys, make)

    def __getitem__(self, key: RecordKey) -> Location:
        section, index = key
        if section not in self._sections:
            raise KeyError(key)
        keys, make = self._sections[section]
        if not 0 <= index < len(keys):
            raise KeyError(key)
        return make(index)

    def __iter__(self) -> Iterator[RecordKey]:
        for section, (keys, _) in self._sections.items():
            for index in range(len(keys)):
                yield section, index

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self._sections.values())


class LoadState:
    """The state of one load: options, problems found so far, record places."""

    def __init__(self, schema: DataSchema | None, encoding: str | None) -> None:
        self.schema = schema if schema is not None else DataSchema()
        self.encoding = codec(encoding)
        self.problems: list[Problem] = []
        self.locations = RecordPlaces()
        self.incomplete: set[str] = set()
        #: the one record builder; its problems go where the reader's ``Where`` says
        self.builder: RecordBuilder[Where] = RecordBuilder(self.schema, self._report)

    def _report(
        self,
        where: Where,
        field: str,
        code: str,
        message: str,
        message_zh: str,
        hint: str | None,
        hint_zh: str | None,
    ) -> None:
        self.add(code, where(field), message, message_zh, hint, hint_zh)

    def add(
        self,
        code: str,
        where: Location,
        message: str,
        message_zh: str,
        hint: str | None = None,
        hint_zh: str | None = None,
    ) -> None:
        self.problems.append(located_problem(code, where, message, message_zh, hint, hint_zh))

    def finish(
        self,
        organizations: list[Organization],
        members: list[Member],
        events: list[Event],
        source: str,
    ) -> Dataset:
        checked = check_loaded(organizations, members, events, self.locations, self.incomplete)
        problems = self.problems + checked
        if problems:
            raise ProblemsFound(problems)
        return dataset_from(organizations, members, events, source)

    # -- files and text ----------------------------------------------------------------

    def read_text(self, path: Path) -> str | None:
        """The decoded text of a file, or None after reporting why it cannot be read."""
        shown = str(path)
        try:
            data = read_regular_file(path, "data_bytes")
        except FileNotFoundError:
            self.add(
                "DJ219",
                Location(shown),
                f"the data file {shown} does not exist",
                f"数据文件 {shown} 不存在",
                FOLDER_HINT if path.suffix == ".csv" else "check the path and the file name",
                FOLDER_HINT_ZH if path.suffix == ".csv" else "请检查路径和文件名",
            )
            return None
        except FileRefused as exc:
            self.add(
                "DJ231",
                Location(shown),
                f"the data file {shown} is not read: {exc.strerror}",
                f"不读取数据文件 {shown}：{exc.message_zh}",
                *exc.hints,
            )
            return None
        except OSError as exc:
            self.add(
                "DJ219",
                Location(shown),
                f"the data file {shown} cannot be read: {exc.strerror or exc}",
                f"无法读取数据文件 {shown}：{exc.strerror or exc}",
                "check that the path names a file you may read",
                "请检查路径是否指向一个可以读取的文件",
            )
            return None
        try:
            return data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.add_decode_problem(shown, data, exc)
            return None

    def add_decode_problem(self, shown: str, data: bytes, exc: UnicodeDecodeError) -> None:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode(self.encoding, errors="replace")) + 1
        name = "UTF-8" if self.encoding == "utf-8-sig" else self.encoding.upper()
        if self.encoding == "utf-8-sig":
            hint = (
                "files saved by Excel or WPS in China are usually GB18030: load with "
                '--encoding gb18030 (encoding="gb18030"), or save the file as "CSV UTF-8"'
            )
            hint_zh = (
                "Excel 或 WPS 保存的文件通常是 GB18030 编码：请加上 --encoding gb18030 再试，"
                "或把文件另存为“CSV UTF-8”格式"
            )
        else:
            hint = "the file may be UTF-8: try --encoding utf-8"
            hint_zh = "文件可能是 UTF-8 编码：请改用 --encoding utf-8 再试"
        self.add(
            "DJ213",
            Location(shown, line, column),
            f"{shown} is not valid {name} text: unreadable bytes at line {line}",
            f"无法按 {name} 编码读取 {shown}：第 {line} 行有无法识别的字符",
            hint,
            hint_zh,
        )


def codec(encoding: str | None) -> str:
    """The codec to decode with: UTF-8 always accepts a byte-order mark."""
    if encoding is None:
        return "utf-8-sig"
    try:
        info = codecs.lookup(encoding)
        if not getattr(info, "_is_text_encoding", True):  # base64, rot13 …: not of text
            raise LookupError(encoding)
        name = info.name
    except LookupError:
        raise UsageError(
            f'unknown encoding "{encoding}"; use utf-8 or gb18030 (未知的编码“{encoding}”)'
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


# -- CSV -----------------------------------------------------------------------------------
