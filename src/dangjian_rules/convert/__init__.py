"""The one converter: plain data (parsed JSON, TOML, typed CSV or sheet rows) to attrs
classes and back, with every problem located and in words a clerk understands.

``converter`` is a single :class:`cattrs.Converter` with extra keys forbidden and detailed
validation on.  Decimals come from text or exact numbers (floats are refused: they are
inexact); dates from ISO text; whole numbers, true/false and lists only from values of
their own JSON/TOML type (never "3" as 3 or "false" as true).  Each kind of document registers its hooks in a module of
its own in this package (the hooks are registered when this package is imported).

:func:`structure` turns a cattrs error into :class:`~dangjian_rules.errors.Problem`\\ s:
one per wrong value, each with the path inside the document (``events[3].date``), the
place a ``locate`` callback finds for that path (line and column of a TOML or JSON
file, a sheet cell) and a "did you mean" for a misspelt key.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from collections.abc import Callable, Iterator
from decimal import (
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    localcontext,
)
from typing import Any, ParamSpec, TypeVar

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from dangjian_rules.errors import Problem, ProblemsFound, suggestion

T = TypeVar("T")
P = ParamSpec("P")
#: A place inside a document: keys and list indexes from its root.
DocPath = tuple[str | int, ...]
#: Finds the (line, column) of a path in the document being structured, if known.
Locate = Callable[[DocPath], tuple[int | None, int | None] | None]

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)


class WrongValue(ValueError):
    """A value a structuring hook refuses, with what was expected in both languages."""

    def __init__(self, expected: str, expected_zh: str) -> None:
        super().__init__(expected)
        self.expected = expected
        self.expected_zh = expected_zh


#: The numbers every computation keeps exact: at most this many digits before the decimal
#: point and this many after it (trailing zeros after the point do not count).  Sums and
#: products of such numbers fit in :data:`EXACT` with room to spare.
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 10
#: The context the engine computes in: enough digits that no sum of products of in-range
#: numbers (up to 10¹⁵ × 10¹⁵, down to 10⁻²⁰: 50 digits, over any count of records) is
#: rounded.  Python's default keeps 28 digits: 60 + 1E-28 would silently become 60.
EXACT = Context(prec=80)
#: The same, where a computation must never round: rounding raises instead.
EXACT_OR_RAISE = Context(
    prec=80, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded]
)


def computed_exactly(function: Callable[P, T]) -> Callable[P, T]:
    """``function`` computing in :data:`EXACT` (decimal contexts belong to the thread, so
    each call sets it, in a worker process too)."""

    @functools.wraps(function)
    def exactly(*args: P.args, **kwargs: P.kwargs) -> T:
        with localcontext(EXACT):
            return function(*args, **kwargs)

    return exactly


NUMBER_RANGE = (
    f"at most {MAX_INTEGER_DIGITS} digits before the decimal point and {MAX_DECIMAL_PLACES} "
    "after it",
    f"小数点前最多 {MAX_INTEGER_DIGITS} 位、小数点后最多 {MAX_DECIMAL_PLACES} 位",
)


_INTEGER_LIMIT: int = 10**MAX_INTEGER_DIGITS


def in_range(number: Decimal | int) -> bool:
    """Whether a finite number is one the engine computes with exactly (:data:`NUMBER_RANGE`).

    Worked out from the digits, never through a context that could round them."""
    if isinstance(number, int):
        return abs(number) < _INTEGER_LIMIT
    if not number:
        return True
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        return False
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # a finite number
    if exponent >= -MAX_DECIMAL_PLACES:
        return True
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))  # 1.50000000000 is 1.5
    return exponent + zeros >= -MAX_DECIMAL_PLACES


def to_decimal(value: object, _: object = Decimal) -> Decimal:
    """An exact decimal from text, an integer or a Decimal; floats and booleans refused."""
    if isinstance(value, (bool, float)):
        raise WrongValue("an exact number (floats are refused)", "精确数字（不接受浮点数）")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise WrongValue("a number", "数字") from None
    else:
        raise WrongValue("a number", "数字")
    if not number.is_finite():
        raise WrongValue("a finite number", "有限的数字")
    if not in_range(number):
        raise WrongValue(f"a number with {NUMBER_RANGE[0]}", f"数字（{NUMBER_RANGE[1]}）")
    return number


def to_date(value: object, _: object = dt.date) -> dt.date:
    """A date from ISO text (2015-03-01) or a date; times are refused."""
    if isinstance(value, dt.datetime):
        raise WrongValue("a date without a time", "不含时间的日期")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise WrongValue("a date like 2015-03-01", "日期（如 2015-03-01）")


def _text(value: object, _: object = str) -> str:
    if not isinstance(value, str):
        raise WrongValue("text", "文本")
    return value


def _whole_number(value: object, _: object = int) -> int:
    # cattrs would call int(): "3" and 3.9 would pass as 3
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongValue("a whole number", "整数")
    return value


def _truth(value: object, _: object = bool) -> bool:
    # cattrs would call bool(): "false" would pass as True
    if not isinstance(value, bool):
        raise WrongValue("true or false", "true 或 false")
    return value


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = typing.get_args(cls)
    return typing.get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _list_only(cls: Any) -> Callable[[Any, Any], Any]:
    """A ``tuple[X, ...]`` from a list only: text and tables are iterable too, and would
    otherwise become a tuple of characters or keys."""
    items = homogenous_tuple_structure_factory(cls, converter)

    def structure_list(value: Any, _: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise WrongValue("a list [...]", "列表 [...]")
        return items(value, cls)

    return structure_list


converter.register_structure_hook(Decimal, to_decimal)
converter.register_structure_hook(dt.date, to_date)
converter.register_structure_hook(str, _text)
converter.register_structure_hook(int, _whole_number)
converter.register_structure_hook(bool, _truth)
converter.register_structure_hook_factory(_is_homogeneous_tuple, _list_only)
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())


def failures(exc: BaseException, path: DocPath = ()) -> Iterator[tuple[DocPath, BaseException]]:
    """Every single failure inside a cattrs structuring error, with its path."""
    if isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield (*path, key), exc
    elif isinstance(exc, ClassValidationError):
        noted, others = exc.group_exceptions()
        for sub, attribute in noted:
            yield from failures(sub, (*path, attribute.name))
        for sub in others:
            yield from failures(sub, path)
    elif isinstance(exc, IterableValidationError):
        noted_items, others = exc.group_exceptions()
        for sub, item in noted_items:
            yield from failures(sub, (*path, item.index))
        for sub in others:
            yield from failures(sub, path)
    elif isinstance(exc, BaseValidationError):
        for sub in exc.exceptions:
            yield from failures(sub, path)
    else:
        yield path, exc


def path_text(path: DocPath) -> str:
    """``events[3].date``: a path as the messages show it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _field_names(cls: object) -> list[str]:
    if isinstance(cls, type) and attrs.has(cls):
        return [a.alias or a.name for a in attrs.fields(cls)]
    return []


def problem_for(
    path: DocPath, exc: BaseException, file: str | None, locate: Locate | None, code: str
) -> Problem:
    """One failure in words: unknown key, missing key or wrong value."""
    where = path_text(path)
    place = locate(path) if locate is not None else None
    line, column = place if place is not None else (None, None)
    if isinstance(exc, ForbiddenExtraKeysError):
        key = str(path[-1])
        hint, hint_zh = suggestion(key, _field_names(exc.cl))
        return Problem(
            code, f'unknown key "{where}"', f"未知的键“{where}”", file, line, column, where,
            hint, hint_zh,
        )  # fmt: skip
    if isinstance(exc, KeyError):
        return Problem(
            code, f'"{where}" is required', f"缺少必填项“{where}”", file, line, column, where,
            f"add {where}", f"请补充 {where}",
        )  # fmt: skip
    if isinstance(exc, WrongValue):
        expected, expected_zh = exc.expected, exc.expected_zh
    else:
        expected, expected_zh = "a value of another type", "其他类型的值"
    return Problem(
        code, f"{where or 'the document'} must be {expected}",
        f"{where or '文档'}应为{expected_zh}", file, line, column, where or None,
    )  # fmt: skip


def structure(
    data: Any,
    cls: type[T],
    *,
    code: str,
    file: str | None = None,
    locate: Locate | None = None,
    at: DocPath = (),
) -> T:
    """``data`` as a ``cls``, or :class:`ProblemsFound` with one problem per failure."""
    try:
        return converter.structure(data, cls)
    except (BaseValidationError, WrongValue, KeyError, TypeError, ValueError) as exc:
        raise ProblemsFound(
            [problem_for(path, leaf, file, locate, code) for path, leaf in failures(exc, at)]
        ) from None


# Each kind of document registers its hooks on import; the base above must come first.
from dangjian_rules.convert import records as records  # noqa: E402
from dangjian_rules.convert import results as results  # noqa: E402
