"""The limits that keep hostile or broken input from hanging a run or exhausting memory.

Each limit has a default and an environment variable that changes it (read when the
limit is used, so worker processes see the same values); ``docs/limits.md`` lists them
with what happens at each.  Files are read with :func:`read_regular_file`: regular
files only (never a FIFO or a device, which would block or never end) and at most a
given size.
"""

from __future__ import annotations

import os
import stat
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

#: name → (environment variable, default)
LIMITS: dict[str, tuple[str, int]] = {
    "ruleset_bytes": ("DANGJIAN_RULES_MAX_RULESET_BYTES", 4 * 1024 * 1024),
    "data_bytes": ("DANGJIAN_RULES_MAX_DATA_BYTES", 2 * 1024 * 1024 * 1024),
    "rules": ("DANGJIAN_RULES_MAX_RULES", 2000),
    "extends_chain": ("DANGJIAN_RULES_MAX_EXTENDS", 8),
    "tree_depth": ("DANGJIAN_RULES_MAX_TREE_DEPTH", 32),
    "generate_members": ("DANGJIAN_RULES_MAX_GENERATE_MEMBERS", 1_000_000),
    "workers": ("DANGJIAN_RULES_MAX_WORKERS", 256),
}


def limit(name: str) -> int:
    """The limit in force: the environment variable if it holds a positive whole
    number, else the default."""
    variable, default = LIMITS[name]
    raw = os.environ.get(variable, "").strip()
    return int(raw) if raw.isdigit() and 0 < len(raw) < 19 and int(raw) > 0 else default


class FileRefused(OSError):
    """A path that is not read: not a regular file, or larger than the limit.

    An :class:`OSError` so that every reader's handling of unreadable files applies;
    ``message_zh`` says the same in Chinese, ``variable`` names the limit's setting."""

    def __init__(self, message: str, message_zh: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.strerror = message
        self.message_zh = message_zh
        self.variable = variable

    @property
    def hints(self) -> tuple[str, str]:
        """What to do, in English and Chinese."""
        if self.variable is None:
            return (
                "name a regular file (not a pipe or a device)",
                "请指定普通文件（不能是管道或设备）",
            )
        return (
            f"split the file, or raise the limit with {self.variable}",
            f"请拆分文件，或通过环境变量 {self.variable} 提高上限",
        )


def open_regular_file(path: str | os.PathLike[str]) -> BinaryIO:
    """An open regular file (symbolic links followed), for reading as a stream;
    :class:`FileRefused` for a folder, a FIFO, a device or a socket."""
    # Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(Path(path), flags)
    handle = os.fdopen(descriptor, "rb")
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        handle.close()
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO, device or socket"
        kind_zh = "文件夹" if stat.S_ISDIR(mode) else "管道、设备或套接字"
        raise FileRefused(f"not a regular file ({kind})", f"不是普通文件（而是{kind_zh}）")
    return handle


def read_regular_file(path: str | os.PathLike[str], max_bytes: str) -> bytes:
    """The bytes of a regular file (symbolic links followed) of at most the limit
    ``max_bytes`` (a name in :data:`LIMITS`); :class:`FileRefused` otherwise."""
    cap = limit(max_bytes)
    with open_regular_file(path) as handle:
        data = handle.read(cap + 1)  # a file growing while read stops at the cap too
    if len(data) > cap:
        raise _too_large(max_bytes, cap)
    return data


def check_regular_file(path: str | os.PathLike[str], max_bytes: str) -> None:
    """What :func:`read_regular_file` checks, for a file another library reads itself."""
    cap = limit(max_bytes)
    with open_regular_file(path) as handle:
        if os.fstat(handle.fileno()).st_size > cap:
            raise _too_large(max_bytes, cap)


def _too_large(max_bytes: str, cap: int) -> FileRefused:
    variable = LIMITS[max_bytes][0]
    return FileRefused(
        f"larger than the limit of {cap:,} bytes (set {variable} to change it)",
        f"超过 {cap:,} 字节的上限（可用环境变量 {variable} 调整）",
        variable,
    )


def json_int(text: str) -> int | Decimal:
    """A JSON integer; one longer than Python converts to ``int`` (4,300 digits) stays an
    exact Decimal, so the number's own checks report it where it is, not a ValueError."""
    try:
        return int(text)
    except ValueError:
        return Decimal(text)
