"""Results as JSON and back (docs/results.md), through the one converter.

The JSON is deterministic: the same run gives byte-identical text (the tests compare
different ways of evaluating by it).  Decimals are written as text ("88.5"), dates as ISO
text, a measure's value as ``{"type": …, "value": …}``; ``trace`` comes last in each
result and is left out of a summary.  Reading a results file (``--previous``) reports each
problem with its file, line, column and path inside the document (DJ125), all at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs
from cattrs.cols import namedtuple_dict_structure_factory, namedtuple_dict_unstructure_factory
from cattrs.gen import (
    make_dict_structure_fn,
    make_dict_unstructure_fn,
    make_dict_unstructure_fn_from_attrs,
    override,
)

from dangjian_rules.convert import DocPath, WrongValue, converter, structure, to_decimal
from dangjian_rules.convert.jsonpos import (
    JsonPlaces,
    KeyChecker,
    path_text,
    repeated_key_words,
    repeated_keys,
)
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.model.result import (
    SCHEMA_VERSION,
    Limit,
    Measured,
    RulesetRef,
    RunResult,
    Scalar,
    SubjectResult,
    TraceEntry,
    format_decimal,
)

#: The problem code of a results file that cannot be read as one.
RESULT_PROBLEM = "DJ125"


def _in_order(cls: type, names: Sequence[str]) -> list[attrs.Attribute[Any]]:
    """The attributes of ``cls`` in the order its JSON writes them."""
    attrs.resolve_types(cls)
    by_name = {a.name: a for a in attrs.fields(cls)}
    return [by_name[name] for name in names]


def _keys_to_json(cls: type, names: Sequence[str]) -> Callable[[Any], dict[str, Any]]:
    return make_dict_unstructure_fn_from_attrs(_in_order(cls, names), cls, converter)


# ------------------------------------------------------------------ measure values


def scalar_json(value: Scalar) -> dict[str, Any]:
    """A measure value with its type: ``{"type": "decimal", "value": "0.75"}``."""
    if value is None:
        return {"type": "none", "value": None}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": format_decimal(value)}
    return {"type": "string", "value": value}


_TYPED_VALUE = 'a typed value: {"type": "decimal", "value": "0.75"} (or boolean, string, none)'
_TYPED_VALUE_ZH = '带类型的值：{"type": "decimal", "value": "0.75"}（或 boolean、string、none）'


def _scalar(raw: object, _: object = None) -> Scalar:
    if isinstance(raw, Mapping) and set(raw) == {"type", "value"}:
        kind, value = raw["type"], raw["value"]
        if kind == "decimal" and isinstance(value, str):
            return to_decimal(value)
        if (kind, value) == ("none", None):
            return None
        if kind == "boolean" and isinstance(value, bool):
            return value
        if kind == "string" and isinstance(value, str):
            return value
    raise WrongValue(_TYPED_VALUE, _TYPED_VALUE_ZH)


# Hooks are looked up when a class's functions are made: the parts' hooks come first.
converter.register_unstructure_hook(Decimal, format_decimal)
converter.register_unstructure_hook(Scalar, scalar_json)
converter.register_structure_hook(Scalar, _scalar)

_measured_rest_json = _keys_to_json(
    Measured, ("parts", "explanation", "explanation_zh", "events", "details")
)
_measured_from_json = make_dict_structure_fn(Measured, converter)


def _measured_json(measured: Measured) -> dict[str, Any]:
    return {**scalar_json(measured.value), **_measured_rest_json(measured)}


def _measured(raw: object, _: object = None) -> Measured:
    """A measure: its ``type`` and ``value`` keys are read together as its value."""
    if not isinstance(raw, Mapping):
        raise WrongValue("an object {...}", "对象 {...}")
    rest = {k: v for k, v in raw.items() if k not in ("type", "value")}
    rest["value"] = {k: raw[k] for k in ("type", "value") if k in raw}
    return _measured_from_json(rest, Measured)


# ------------------------------------------------------------------ the results' hooks

converter.register_unstructure_hook(Measured, _measured_json)
converter.register_structure_hook(Measured, _measured)
for _tuple in (Limit, TraceEntry):
    converter.register_unstructure_hook(
        _tuple, namedtuple_dict_unstructure_factory(_tuple, converter)
    )
    converter.register_structure_hook(
        _tuple, namedtuple_dict_structure_factory(_tuple, converter, "from_converter", True)
    )

_SUBJECT_KEYS = (
    "subject", "ruleset", "score", "base", "grade", "scale", "categories", "vetoes",
    "adjustments", "events", "measures", "flags", "stars", "tier", "selection",
)  # fmt: skip
_subject_full = _keys_to_json(SubjectResult, (*_SUBJECT_KEYS, "trace"))
_subject_summary = _keys_to_json(SubjectResult, _SUBJECT_KEYS)
converter.register_unstructure_hook(SubjectResult, _subject_full)
converter.register_unstructure_hook(
    RulesetRef,
    _keys_to_json(
        RulesetRef, ("id", "name", "version", "sha256", "subject", "extends", "unassigned")
    ),
)
_run_summary = make_dict_unstructure_fn(
    RunResult,
    converter,
    results=override(unstruct_hook=lambda results: [_subject_summary(r) for r in results]),
)


# ------------------------------------------------------------------ to JSON


def subject_result_json(result: SubjectResult, with_trace: bool = True) -> dict[str, Any]:
    """One result as JSON-ready data (without ``trace`` for a summary)."""
    return _subject_full(result) if with_trace else _subject_summary(result)


def run_result_json(run: RunResult, with_trace: bool = True) -> dict[str, Any]:
    """The run as JSON-ready data (without the results' ``trace`` for a summary)."""
    if with_trace:
        return converter.unstructure(run, RunResult)  # type: ignore[no-any-return]
    return _run_summary(run)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(run: RunResult, with_trace: bool = True) -> str:
    """The run as deterministic, compact JSON text (UTF-8, Chinese kept as is)."""
    return _json_text(run_result_json(run, with_trace))


def json_chunks(run: RunResult, with_trace: bool = True) -> Iterator[str]:
    """The text of :func:`dumps` in pieces, one subject result at a time, so that a large
    run is written without its whole JSON ever being held (``"".join`` of the pieces is
    ``dumps(run)``, byte for byte)."""
    # Everything but the results is small: convert it as dumps would, then put the
    # results, each converted and written on its own, in the place of the empty list.
    head = run_result_json(attrs.evolve(run, results=()), with_trace)
    yield "{"
    for index, (key, value) in enumerate(head.items()):
        yield ("," if index else "") + _json_text(key) + ":"
        if key != "results":
            yield _json_text(value)
            continue
        yield "["
        for number, result in enumerate(run.results):
            yield ("," if number else "") + _json_text(subject_result_json(result, with_trace))
        yield "]"
    yield "}"


def write_json(run: RunResult, stream: IO[str], with_trace: bool = True) -> None:
    """Write :func:`dumps` of the run to ``stream`` as it is produced (see :func:`json_chunks`)."""
    for chunk in json_chunks(run, with_trace):
        stream.write(chunk)


# ------------------------------------------------------------------ from JSON

_HINT = "pass a file written by `dangjian-rules evaluate --format json`"
_HINT_ZH = "请传入由 `dangjian-rules evaluate --format json` 生成的结果文件"


def _not_a_result(
    file: str | None, reason: str, reason_zh: str, place: tuple[int, int] | None = None
) -> ProblemsFound:
    line, column = place if place is not None else (None, None)
    return ProblemsFound(
        [
            Problem(
                RESULT_PROBLEM,
                f"the result file {reason}",
                f"结果文件{reason_zh}",
                file,
                line,
                column,
                hint=_HINT,
                hint_zh=_HINT_ZH,
            )
        ]
    )


def _repeated_key(file: str | None, places: JsonPlaces, path: DocPath, offset: int) -> Problem:
    """A key the result file writes twice: the json module would keep the last one."""
    message, message_zh, hint, hint_zh = repeated_key_words(path)
    line, column = places.position(offset)
    return Problem(
        RESULT_PROBLEM, message, message_zh, file, line, column, path_text(path), hint, hint_zh
    )


def loads(text: str, file: str | None = None) -> RunResult:
    """Read a run back from its JSON text (the inverse of :func:`dumps`).

    Raises :class:`ProblemsFound` (DJ125) with every problem located in ``file``'s text:
    not JSON, not a result of this schema, or a value missing, unknown or of a wrong type.
    """
    keys = KeyChecker()
    try:
        raw = json.loads(text, object_pairs_hook=keys)
    except json.JSONDecodeError as exc:
        place = (exc.lineno, exc.colno)
        raise _not_a_result(
            file, f"is not valid JSON: {exc.msg}", "不是有效的 JSON", place
        ) from None
    places = JsonPlaces(text)
    if keys.repeated:
        raise ProblemsFound(
            [_repeated_key(file, places, path, offset) for path, offset in repeated_keys(text)]
        )
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA_VERSION:
        where = places(("schema",)) if isinstance(raw, dict) else places(())
        raise _not_a_result(
            file,
            f'is not a dangjian-rules result ("schema": "{SCHEMA_VERSION}")',
            f'不是 dangjian-rules 的结果（应有 "schema": "{SCHEMA_VERSION}"）',
            where,
        )
    return structure(raw, RunResult, code=RESULT_PROBLEM, file=file, locate=places)


def read_result(path: str | os.PathLike[str]) -> RunResult:
    """Read a result file written by ``evaluate --format json`` (e.g. last year's).

    Raises :class:`ProblemsFound` (DJ125) when it cannot be read or is not such a result,
    each problem located in the file.
    """
    file = os.fspath(path)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise _not_a_result(file, f"cannot be read: {exc.strerror or exc}", "无法读取") from None
    except UnicodeDecodeError:
        raise _not_a_result(file, "is not UTF-8 text", "不是 UTF-8 文本") from None
    return loads(text, file)
