"""Start a new county plugin: ``dangjian-rules new-plugin NAME``.

Usage::

    dangjian-rules new-plugin lingbao --county-label 灵宝市 [--out DIR]

writes the folder ``DIR/dangjian-rules-lingbao/`` (``DIR`` defaults to the current
folder) holding a complete, working, minimal plugin to start from::

    pyproject.toml                         entry point: lingbao = "dangjian_rules_lingbao"
    README.md                              install, test, check and evaluate
    src/dangjian_rules_lingbao/__init__.py the rule kind lingbao_bonus, the condition
                                           function lingbao_weekday(date), the hooks
    src/dangjian_rules_lingbao/py.typed
    src/dangjian_rules_lingbao/rulesets/example.toml   the ruleset lingbao.example
    tests/test_plugin.py                   tests with the dangjian-rules fixtures

then, in that folder: ``pip install -e ".[test]"`` and ``python -m pytest``.

``NAME`` is ASCII letters, digits, ``-`` and ``_``, starting with a letter; it is
lowercased, and ``-`` becomes ``_`` in the plugin (entry-point) name, the module and the
prefix of the kind, function and ruleset id (``Ling-Bao`` → ``ling_bao``), ``_`` becomes
``-`` in the distribution and folder name (``dangjian-rules-ling-bao``).  ``--county-label``
(default: ``NAME``) is the human name used in descriptions, e.g. ``灵宝市``.  An existing
folder is never overwritten.

The templates are plain files under ``dangjian_rules/tools/templates/plugin/`` (package data),
named like their output with ``.tmpl`` added (so no tool mistakes them for code) and with
the folder ``__module__`` standing for the module.  Their placeholders ``{{name}}``,
``{{dist}}``, ``{{module}}``, ``{{version}}`` and ``{{label}}`` are replaced in one pass, so
a label is never itself searched for placeholders.
"""

from __future__ import annotations

import os
import re
import shutil
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import attrs

from dangjian_rules._version import __version__
from dangjian_rules.errors import UsageError

if TYPE_CHECKING:
    from importlib.abc import Traversable  # importlib.resources.abc from Python 3.11 on

#: Where the templates are, inside the dangjian_rules package.
TEMPLATE_FOLDER = ("tools", "templates", "plugin")
TEMPLATE_SUFFIX = ".tmpl"
MODULE_FOLDER = "__module__"
DIST_PREFIX = "dangjian-rules-"
MODULE_PREFIX = "dangjian_rules_"

_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9])?\Z")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_MAX_NAME, _MAX_LABEL = 40, 80


@attrs.frozen
class PluginNames:
    """The names of a new plugin, all derived from the ``NAME`` given."""

    #: the plugin's name: entry-point name, prefix of its kinds, functions, ruleset ids
    name: str
    #: the distribution name, also the folder's: ``dangjian-rules-<name>``
    dist: str
    #: the import name: ``dangjian_rules_<name>``
    module: str
    #: how people call it, e.g. 灵宝市
    label: str

    def placeholders(self) -> dict[str, str]:
        return {
            "name": self.name,
            "dist": self.dist,
            "module": self.module,
            "version": __version__,
            "label": self.label,
        }


def plugin_names(name: str, label: str | None = None) -> PluginNames:
    """Check and normalise a new plugin's name and label; raises UsageError."""
    if not _NAME.match(name) or len(name) > _MAX_NAME:
        raise UsageError(
            f'invalid plugin name "{name}": use ASCII letters, digits, "-" and "_", '
            f"starting with a letter and ending with a letter or digit, at most {_MAX_NAME} "
            'characters (e.g. "lingbao"; the label may be Chinese: --county-label 灵宝市)'
        )
    short = name.lower()
    for prefix in (DIST_PREFIX, MODULE_PREFIX):
        if short.startswith(prefix):
            raise UsageError(
                f'give the plugin name without "{prefix}": "{name[len(prefix) :]}" makes '
                f'the package "{DIST_PREFIX}{short[len(prefix) :].replace("_", "-")}"'
            )
    text = name if label is None else label.strip()
    if (
        not text
        or len(text) > _MAX_LABEL
        or any(c in text for c in '"\\')
        or not text.isprintable()
    ):
        raise UsageError(
            f"invalid --county-label {text!r}: give one line of at most {_MAX_LABEL} "
            'characters without quotes (") or backslashes, e.g. 灵宝市'
        )
    ident = short.replace("-", "_")
    return PluginNames(
        name=ident,
        dist=DIST_PREFIX + short.replace("_", "-"),
        module=MODULE_PREFIX + ident,
        label=text,
    )


def render(text: str, values: dict[str, str]) -> str:
    """Replace every ``{{key}}`` in one pass; an unknown key is a bug in a template."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"unknown template placeholder {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(value, text)


def _templates(folder: Traversable, at: PurePosixPath) -> list[tuple[PurePosixPath, Traversable]]:
    found: list[tuple[PurePosixPath, Traversable]] = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.is_dir():
            found.extend(_templates(item, at / item.name))
        elif item.name.endswith(TEMPLATE_SUFFIX):
            found.append((at / item.name, item))
    return found


def render_plugin(names: PluginNames) -> dict[PurePosixPath, str]:
    """The files of the new plugin: relative path → text."""
    root = files("dangjian_rules")
    for part in TEMPLATE_FOLDER:
        root = root / part
    values = names.placeholders()
    rendered: dict[PurePosixPath, str] = {}
    for template, source in _templates(root, PurePosixPath()):
        parts = [names.module if part == MODULE_FOLDER else part for part in template.parts]
        parts[-1] = parts[-1].removesuffix(TEMPLATE_SUFFIX)
        rendered[PurePosixPath(*parts)] = render(source.read_text(encoding="utf-8"), values)
    if not rendered:
        raise UsageError(f"no plugin templates found in {root}: reinstall dangjian-rules")
    return rendered


def write_plugin(
    name: str, out: str | os.PathLike[str] = ".", label: str | None = None
) -> tuple[Path, PluginNames, list[PurePosixPath]]:
    """Write a new plugin into ``out/dangjian-rules-<name>/``; returns the folder, the
    names and the files written.  Raises UsageError for a bad name or label, or if the
    folder exists (nothing is ever overwritten)."""
    names = plugin_names(name, label)
    rendered = render_plugin(names)
    parent = Path(out)
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"--out {parent} is a file, not a folder")
    target = parent / names.dist
    if target.exists() or target.is_symlink():
        raise UsageError(
            f"{target} already exists; not overwriting it: remove it or choose another --out"
        )
    parent.mkdir(parents=True, exist_ok=True)
    target.mkdir()  # fails if it appeared meanwhile: never write into someone's folder
    try:
        for relative, text in rendered.items():
            path = target.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # no half-written plugin left behind
        raise
    return target, names, list(rendered)
