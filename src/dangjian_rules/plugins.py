"""The plugin manager: built-in plugins first, then installed ones, then checks.

Built-in behaviour is registered as plugins in the fixed order of
:data:`BUILTIN_PLUGINS`.  Installed plugins come from the ``dangjian_rules``
entry-point group unless ``DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD=1`` is set.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import cast

import attrs
import pluggy

from . import hookspecs
from .errors import DangjianError
from .expr import Function
from .rules import RuleKind

BUILTIN_PLUGINS: tuple[str, ...] = (
    "dangjian_rules.builtin.point_kinds",
    "dangjian_rules.builtin.functions",
)
DISABLE_AUTOLOAD_ENV = "DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD"


class PluginError(DangjianError):
    """A plugin failed to load or broke a rule of the framework."""


def new_plugin_manager(autoload: bool | None = None) -> pluggy.PluginManager:
    """A plugin manager with the built-in plugins and, unless disabled, installed ones."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(name), name=name)
    if autoload is None:
        autoload = os.environ.get(DISABLE_AUTOLOAD_ENV, "") not in ("1", "true", "yes")
    if autoload:
        try:
            manager.load_setuptools_entrypoints(hookspecs.PROJECT)
        except Exception as exc:  # a broken third-party plugin must not show a traceback
            raise PluginError(f"a plugin failed to load: {exc!r}") from exc
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc)) from exc
    return manager


@attrs.frozen
class Registry:
    """What the plugins provide, by name."""

    rule_kinds: Mapping[str, RuleKind]
    functions: Mapping[str, Function]

    @classmethod
    def from_manager(cls, manager: pluggy.PluginManager) -> Registry:
        kinds: dict[str, RuleKind] = {}
        kind_owner: dict[str, str] = {}
        functions: dict[str, Function] = {}
        function_owner: dict[str, str] = {}
        hook = manager.hook
        # Walk implementations one by one so a clash can name both plugins.
        for impl in reversed(hook.dangjian_rules_rule_kinds.get_hookimpls()):
            owner = manager.get_name(impl.plugin) or repr(impl.plugin)
            for kind in cast(Sequence[RuleKind], impl.function()):
                if kind.name in kinds:
                    raise PluginError(
                        f'rule kind "{kind.name}" is added by both {kind_owner[kind.name]} '
                        f"and {owner}; uninstall or block one of them"
                    )
                kinds[kind.name] = kind
                kind_owner[kind.name] = owner
        for impl in reversed(hook.dangjian_rules_condition_functions.get_hookimpls()):
            owner = manager.get_name(impl.plugin) or repr(impl.plugin)
            for function in cast(Sequence[Function], impl.function()):
                if function.name in functions:
                    raise PluginError(
                        f'condition function "{function.name}" is added by both '
                        f"{function_owner[function.name]} and {owner}"
                    )
                functions[function.name] = function
                function_owner[function.name] = owner
        return cls(rule_kinds=kinds, functions=functions)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of the built-in and installed plugins (built once per process)."""
    return Registry.from_manager(new_plugin_manager())
