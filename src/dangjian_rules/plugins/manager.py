"""The plugin manager: built-in plugins first, then installed ones, then checks.

Built-in behaviour is registered as plugins in the fixed order of
:data:`BUILTIN_PLUGINS`.  Installed plugins come from the ``dangjian_rules``
entry-point group.  Two switches, documented in docs/plugins.md:

* ``DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD=1`` (or true, yes, on) loads no installed
  plugin at all;
* ``DANGJIAN_RULES_BLOCK_PLUGINS=name1,name2`` (or ``--block-plugin NAME`` on the
  command line) skips the named plugins, installed or built-in.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
import pluggy

from dangjian_rules import budget
from dangjian_rules.errors import Problem, ProblemsFound, UsageError
from dangjian_rules.io.formats import CheckReporter, DataLoader, Reporter
from dangjian_rules.model.fields import DataSchema, EventType
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult
from dangjian_rules.plugins import hookspecs, returns
from dangjian_rules.plugins.failure import (
    TIMEOUT_HINT,
    PluginError,
    blaming,
    is_plugin_failure,
    plugin_failure,
    returned,
)
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.expr import Function
from dangjian_rules.ruleset.measures import MeasureKind
from dangjian_rules.ruleset.rules import RuleKind
from dangjian_rules.ruleset.tomlpos import Positions

BUILTIN_PLUGINS: tuple[str, ...] = (
    "dangjian_rules.plugins.builtin.point_kinds",
    "dangjian_rules.plugins.builtin.measure_kinds",
    "dangjian_rules.plugins.builtin.functions",
    "dangjian_rules.plugins.builtin.loaders",
    "dangjian_rules.plugins.builtin.reporters",
    "dangjian_rules.plugins.builtin.check_reporters",
    "dangjian_rules.plugins.builtin.exports",
    "dangjian_rules.plugins.builtin.results",
)
#: The hooks whose lists are collected plugin by plugin (so that every name provided is
#: known with its plugin); they take no arguments and cannot be wrapped.
COLLECTED_HOOKS: tuple[str, ...] = (
    "dangjian_rules_rule_kinds",
    "dangjian_rules_measure_kinds",
    "dangjian_rules_condition_functions",
    "dangjian_rules_rulesets",
    "dangjian_rules_event_types",
    "dangjian_rules_data_loaders",
    "dangjian_rules_reporters",
    "dangjian_rules_check_reporters",
)
#: What each collected hook's list must hold (checked where a plugin returns it).
COLLECTED_TYPES: Mapping[str, tuple[type, ...]] = {
    "dangjian_rules_rule_kinds": (RuleKind,),
    "dangjian_rules_measure_kinds": (MeasureKind,),
    "dangjian_rules_condition_functions": (Function,),
    "dangjian_rules_rulesets": (str, os.PathLike),
    "dangjian_rules_event_types": (EventType,),
    "dangjian_rules_data_loaders": (DataLoader,),
    "dangjian_rules_reporters": (Reporter,),
    "dangjian_rules_check_reporters": (CheckReporter,),
}
DISABLE_AUTOLOAD_ENV = "DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD"
BLOCK_ENV = "DANGJIAN_RULES_BLOCK_PLUGINS"
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("", "0", "false", "no", "off")

_T = TypeVar("_T")

__all__ = ["PluginError", "Registry", "default_registry", "new_plugin_manager", "registry_for"]


def autoload_from_env() -> bool:
    """Whether installed plugins load, by DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD: a true
    word (1, true, yes, on, any case) disables them; an unknown word is a usage error."""
    word = os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower()
    if word in _TRUE_WORDS:
        return False
    if word in _FALSE_WORDS:
        return True
    raise UsageError(
        f'{DISABLE_AUTOLOAD_ENV}="{os.environ[DISABLE_AUTOLOAD_ENV]}" is not a yes or no; '
        f"give one of {', '.join(_TRUE_WORDS)} to disable installed plugins, or one of "
        f"{', '.join(w for w in _FALSE_WORDS if w)} (or nothing) to load them"
    )


def _blocked_from_env() -> set[str]:
    return {name.strip() for name in os.environ.get(BLOCK_ENV, "").split(",") if name.strip()}


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering the distribution version of each installed plugin."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.versions: dict[str, str] = {}

    def register(self, plugin: object, name: str | None = None) -> str | None:
        """Register, with an installed plugin's results hooks checked (see _checking)."""
        registered = super().register(plugin, name)
        if registered is not None and registered not in BUILTIN_PLUGINS:
            for caller in self.get_hookcallers(plugin) or ():
                if caller.name in _CHECKED_HOOKS:
                    for impl in caller.get_hookimpls():
                        if impl.plugin is plugin and not impl.hookwrapper:
                            _checking(impl, registered, *_CHECKED_HOOKS[caller.name])
        return registered


def new_plugin_manager(
    autoload: bool | None = None, blocked: Iterable[str] = (), extra: Sequence[object] = ()
) -> PluginManager:
    """A checked plugin manager: built-ins, then (unless disabled) installed plugins, then
    ``extra`` plugin objects (tests register inline plugins this way)."""
    manager = PluginManager()
    manager.add_hookspecs(hookspecs)
    for name in {*blocked, *_blocked_from_env()}:
        manager.set_blocked(name)
    for name in BUILTIN_PLUGINS:
        if not manager.is_blocked(name):
            manager.register(importlib.import_module(name), name=name)
    if autoload is None:
        autoload = autoload_from_env()
    if autoload:
        _load_entry_points(manager)
    for index, plugin in enumerate(extra):
        manager.register(plugin, name=getattr(plugin, "__name__", f"inline-{index}"))
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(_unknown_hook_message(manager, exc.plugin)) from exc
    _refuse_collected_wrappers(manager)
    return manager


def _refuse_collected_wrappers(manager: PluginManager) -> None:
    """A wrapper around a collected hook would see only its own plugin's list (they are
    collected plugin by plugin), so it is refused rather than silently doing nothing."""
    for hook_name in COLLECTED_HOOKS:
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            if impl.wrapper or impl.hookwrapper:
                raise PluginError(
                    f'plugin "{manager.get_name(impl.plugin)}" implements {hook_name} as a '
                    "wrapper; that hook only collects what each plugin adds, so return a list "
                    "instead (dangjian_rules_process_results and dangjian_rules_check_ruleset "
                    "may be wrappers)"
                )


def _unknown_hook_message(manager: PluginManager, plugin: object) -> str:
    from dangjian_rules.errors import suggestion

    known = [name for name in dir(hookspecs) if name.startswith("dangjian_rules_")]
    unknown = sorted(
        name
        for name, caller in vars(manager.hook).items()
        if not name.startswith("_")
        and not caller.has_spec()
        and any(impl.plugin is plugin for impl in caller.get_hookimpls())
    )
    name = unknown[0] if unknown else "?"
    hint, _ = suggestion(name, known)
    return (
        f'plugin "{manager.get_name(plugin)}" implements "{name}", which is not a hook'
        + (f"; {hint}" if hint else "")
        + " (every hook is listed in docs/plugins.md)"
    )


def _load_entry_points(manager: PluginManager) -> None:
    # One by one, so that a broken plugin is named in the error.
    for dist in importlib.metadata.distributions():
        for entry_point in dist.entry_points:
            if entry_point.group != hookspecs.PROJECT:
                continue
            if manager.get_plugin(entry_point.name) or manager.is_blocked(entry_point.name):
                continue
            try:
                plugin = entry_point.load()
            except BaseException as exc:  # even sys.exit in third-party code: name it
                if not is_plugin_failure(exc):
                    raise
                raise plugin_failure(
                    entry_point.name,
                    f"({dist.metadata['name']}) failed to load",
                    exc,
                    f"; fix or uninstall it, or block it with {BLOCK_ENV}={entry_point.name}",
                ) from exc
            try:
                manager.register(plugin, name=entry_point.name)
            except ValueError as exc:
                raise PluginError(f'plugin "{entry_point.name}": {exc}') from exc
            manager.versions[entry_point.name] = dist.version


@attrs.frozen
class PluginInfo:
    """One registered plugin, for ``dangjian-rules plugins``."""

    name: str
    version: str | None
    builtin: bool
    hooks: tuple[str, ...]
    rule_kinds: tuple[str, ...]
    measure_kinds: tuple[str, ...]
    functions: tuple[str, ...]
    rulesets: tuple[str, ...]
    event_types: tuple[str, ...]
    loaders: tuple[str, ...]
    reporters: tuple[str, ...]
    check_reporters: tuple[str, ...]


@attrs.frozen
class Registry:
    """What the plugins provide, by name, and the manager to call the other hooks on."""

    manager: PluginManager = attrs.field(eq=False, repr=False)
    rule_kinds: Mapping[str, RuleKind]
    measure_kinds: Mapping[str, MeasureKind]
    functions: Mapping[str, Function]
    event_types: Mapping[str, EventType]
    ruleset_paths: tuple[Path, ...]
    loaders: tuple[DataLoader, ...]
    reporters: Mapping[str, Reporter]
    check_reporters: Mapping[str, CheckReporter]
    #: (hook family, provided name) → plugin name
    owners: Mapping[tuple[str, str], str]

    @classmethod
    def from_manager(cls, manager: PluginManager) -> Registry:
        owners: dict[tuple[str, str], str] = {}

        def collect(
            hook_name: str, family: str, key: Callable[[_T], str], unique: bool = True
        ) -> list[_T]:
            items: list[_T] = []
            seen: dict[str, str] = {}
            for owner, provided in _collect_by_plugin(manager, hook_name):
                for item in cast(Sequence[_T], provided):
                    name = key(item)
                    if name in seen:
                        if unique:
                            raise PluginError(
                                f'{family} "{name}" is added by both {seen[name]} and {owner}; '
                                "uninstall or block one of them"
                            )
                        continue
                    seen[name] = owner
                    owners[(family, name)] = owner
                    items.append(item)
            return items

        kinds: list[RuleKind] = collect("dangjian_rules_rule_kinds", "rule kind", lambda k: k.name)
        measure_kinds: list[MeasureKind] = collect(
            "dangjian_rules_measure_kinds", "measure kind", lambda k: k.name
        )
        functions: list[Function] = collect(
            "dangjian_rules_condition_functions", "function", lambda f: f.name
        )
        event_types: list[EventType] = collect(
            "dangjian_rules_event_types", "event type", lambda t: t.id
        )
        paths: list[str | os.PathLike[str]] = collect(
            "dangjian_rules_rulesets", "ruleset", lambda p: os.fspath(p), False
        )
        loaders: list[DataLoader] = collect(
            "dangjian_rules_data_loaders", "data loader", lambda d: d.name
        )
        reporters: list[Reporter] = collect(
            "dangjian_rules_reporters", "reporter", lambda r: r.name
        )
        check_reporters: list[CheckReporter] = collect(
            "dangjian_rules_check_reporters", "check reporter", lambda r: r.name
        )

        def guarded(
            family: str, items: list[_T], key: Callable[[_T], str], wrap: Callable[[_T, str], _T]
        ) -> list[_T]:
            """Installed plugins' items wrapped so their failures and returns are checked."""
            return [
                item
                if owners[(family, key(item))] in BUILTIN_PLUGINS
                else wrap(item, owners[(family, key(item))])
                for item in items
            ]

        functions = guarded("function", functions, lambda f: f.name, returns.guarded_function)
        loaders = guarded("data loader", loaders, lambda d: d.name, returns.guarded_loader)
        reporters = guarded("reporter", reporters, lambda r: r.name, returns.guarded_reporter)
        check_reporters = guarded(
            "check reporter", check_reporters, lambda r: r.name, returns.guarded_check_reporter
        )
        return cls(
            manager=manager,
            rule_kinds={k.name: k for k in kinds},
            measure_kinds={k.name: k for k in measure_kinds},
            functions={f.name: f for f in functions},
            event_types={t.id: t for t in event_types},
            ruleset_paths=tuple(Path(os.fspath(p)) for p in paths),
            loaders=tuple(loaders),
            reporters={r.name: r for r in reporters},
            check_reporters={r.name: r for r in check_reporters},
            owners=owners,
        )

    def process_results(self, run: RunResult) -> RunResult:
        """The run after every plugin's ``dangjian_rules_process_results`` (wrappers
        included); the engine's post-processing step."""
        with _naming_the_plugin(self, "raised in dangjian_rules_process_results", ours_pass=False):
            processed: RunResult = self.manager.hook.dangjian_rules_process_results(run=run)
        return processed

    def check_ruleset(
        self, ruleset: Ruleset, document: Mapping[str, Any], positions: Positions
    ) -> list[Problem]:
        """The extra problems every plugin's ``dangjian_rules_check_ruleset`` finds."""
        with _naming_the_plugin(self, "raised in dangjian_rules_check_ruleset", ours_pass=False):
            found: list[Sequence[Problem]] = self.manager.hook.dangjian_rules_check_ruleset(
                ruleset=ruleset, document=document, positions=positions
            )
        return [problem for problems in found for problem in problems]

    def culprit(self, exc: BaseException) -> str:
        """The plugin whose module the exception was raised from (innermost first)."""
        modules = {
            getattr(plugin, "__name__", type(plugin).__module__): name
            for name, plugin in self.manager.list_name_plugin()
            if plugin is not None
        }
        frames = []
        tb = exc.__traceback__
        while tb is not None:
            frames.append(tb.tb_frame.f_globals.get("__name__", ""))
            tb = tb.tb_next
        for module in reversed(frames):
            for prefix, name in modules.items():
                if module == prefix or module.startswith(prefix + "."):
                    return name
        return "unknown"

    def guard(self, what: str) -> AbstractContextManager[None]:
        """``with registry.guard("loading data"):`` turns an exception raised by plugin
        code (a loader, a reporter, a rule kind) into a PluginError naming the plugin."""
        return _naming_the_plugin(self, f"failed while {what}", ours_pass=True)

    def loader_for(self, path: Path) -> DataLoader | None:
        for loader in self.loaders:
            if loader.accepts(path):
                return loader
        return None

    def load_data(
        self,
        path: str | os.PathLike[str],
        schema: DataSchema | None = None,
        encoding: str | None = None,
    ) -> Dataset:
        """Load data with the first loader (installed plugins first) that accepts the path;
        raises ProblemsFound (DJ219) when none does."""
        target = Path(path)
        loader = self.loader_for(target)
        if loader is None:
            raise ProblemsFound([_no_loader_problem(os.fspath(path), self.loaders)])
        with self.guard(f'loading data with the "{loader.name}" loader'):
            return loader.load(target, schema or DataSchema(), encoding)

    def _ruleset_ids(self, paths: Sequence[str]) -> tuple[str, ...]:
        """The ids of the packaged rulesets found under ``paths``."""
        from dangjian_rules.ruleset.files import packaged_rulesets

        roots = [Path(p) for p in paths]
        return tuple(
            sorted(
                ruleset_id
                for ruleset_id, file in packaged_rulesets(self).items()
                if any(file == root or root in file.parents for root in roots)
            )
        )

    def plugins(self) -> list[PluginInfo]:
        """Every registered plugin with what it provides, in registration order."""
        infos: list[PluginInfo] = []
        for name, plugin in self.manager.list_name_plugin():
            if plugin is None:
                continue
            hooks = sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or ())

            def provided(family: str, plugin_name: str = name) -> tuple[str, ...]:
                return tuple(
                    sorted(
                        n
                        for (f, n), owner in self.owners.items()
                        if f == family and owner == plugin_name
                    )
                )

            builtin = name in BUILTIN_PLUGINS
            infos.append(
                PluginInfo(
                    name=name,
                    version=_own_version() if builtin else self.manager.versions.get(name),
                    builtin=builtin,
                    hooks=tuple(hooks),
                    rule_kinds=provided("rule kind"),
                    measure_kinds=provided("measure kind"),
                    functions=provided("function"),
                    rulesets=self._ruleset_ids(provided("ruleset")),
                    event_types=provided("event type"),
                    loaders=provided("data loader"),
                    reporters=provided("reporter"),
                    check_reporters=provided("check reporter"),
                )
            )
        return infos


def _no_loader_problem(path: str, loaders: Sequence[DataLoader]) -> Problem:
    """DJ219: no loader reads the path; says why in the words a clerk needs."""
    names = ", ".join(loader.name for loader in loaders)
    target = Path(path)
    if target.suffix.lower() == ".csv" and target.is_file():
        message = f"{path} is one CSV file; give the folder that holds the three files"
        message_zh = f"{path} 只是一个 CSV 文件；请给出存放三个 CSV 文件的文件夹"
    elif not target.exists():
        message, message_zh = f"{path} does not exist", f"{path} 不存在"
    else:
        message = f"{path} is in no data format I can read (known formats: {names})"
        message_zh = f"{path} 的数据格式无法识别（可读取的格式：{names}）"
    return Problem(
        code="DJ219",
        message=message,
        message_zh=message_zh,
        file=path,
        hint="give a .json file, an .xlsx workbook, or a folder with "
        "organizations.csv, members.csv and events.csv",
        hint_zh="请提供 .json 文件、.xlsx 工作簿，或包含 organizations.csv、members.csv、"
        "events.csv 的文件夹",
    )


@contextmanager
def _naming_the_plugin(registry: Registry, doing: str, ours_pass: bool) -> Iterator[None]:
    """Turns an exception raised by plugin code into a PluginError naming the plugin
    (found from the traceback); ``ours_pass`` lets our own exceptions through, to be
    reported as internal errors."""
    try:
        yield
    except BaseException as exc:
        if not is_plugin_failure(exc):
            raise
        culprit = registry.culprit(exc)
        if culprit == "unknown":
            if isinstance(exc, budget.BudgetExceeded):  # our own code was running
                budget.stop()
                what = doing.removeprefix("failed while ")
                raise budget.BudgetExceeded(
                    exc.seconds,
                    f"the time budget of {exc.seconds:g} s ran out while {what}{TIMEOUT_HINT}",
                ) from exc
            if ours_pass and isinstance(exc, Exception):
                raise
        raise plugin_failure(culprit, doing, exc) from exc


def _own_version() -> str:
    from dangjian_rules._version import __version__

    return __version__


def _collect_by_plugin(manager: PluginManager, hook_name: str) -> list[tuple[str, object]]:
    """Each plugin's answer to a collected hook, with its name, installed plugins first.

    pluggy calls the hook once per plugin (a subset of the hook holding that plugin
    only), so that what is provided is known with who provides it."""
    out: list[tuple[str, object]] = []
    implementations = getattr(manager.hook, hook_name).get_hookimpls()
    plugins = [impl.plugin for impl in implementations]
    for plugin in reversed(plugins):  # pluggy keeps them in registration order
        owner = manager.get_name(plugin) or repr(plugin)
        others = [other for other in plugins if other is not plugin]
        only_this = manager.subset_hook_caller(hook_name, remove_plugins=others)
        with blaming(owner, f"raised in {hook_name}"):
            answers = only_this()
        for answer in answers:
            if not returns.sequence_of(*COLLECTED_TYPES[hook_name])(answer):
                expected = " or ".join(t.__name__ for t in COLLECTED_TYPES[hook_name])
                raise returned(owner, f"in {hook_name}", answer, f"a list of {expected}")
            out.append((owner, answer))
    return out


def _is_problems(value: object) -> bool:
    return returns.sequence_of(Problem)(value)


#: Results hooks whose installed implementations are checked: hook → (its name, whether
#: a plain implementation's answer is valid, whether a wrapper's is, what is expected).
_CHECKED_HOOKS: Mapping[
    str, tuple[str, Callable[[object], bool], Callable[[object], bool], str]
] = {
    "dangjian_rules_check_ruleset": (
        "dangjian_rules_check_ruleset",
        _is_problems,
        lambda v: isinstance(v, list) and all(_is_problems(p) for p in v),
        "a list of Problem",
    ),
    "dangjian_rules_process_results": (
        "dangjian_rules_process_results",
        lambda v: v is None or isinstance(v, RunResult),
        lambda v: isinstance(v, RunResult),
        "a RunResult",
    ),
}


def _checking(
    impl: pluggy.HookImpl,
    owner: str,
    hook_name: str,
    valid: Callable[[object], bool],
    valid_wrapped: Callable[[object], bool],
    expected: str,
) -> None:
    """Replace a hook implementation's function by one whose failures name the plugin
    and whose answer is checked (pluggy calls ``impl.function`` with positional args)."""
    function = impl.function
    raised, doing = f"raised in {hook_name}", f"in {hook_name}"
    if inspect.isgeneratorfunction(function):  # a wrapper: check what it returns

        def checked_wrapper(*args: object) -> Generator[object, object, object]:
            with blaming(owner, raised):
                value = yield from function(*args)
            if not valid_wrapped(value):
                raise returned(owner, doing, value, expected)
            return value

        setattr(impl, "function", checked_wrapper)  # noqa: B010  (a Final slot in pluggy)
        return

    def checked(*args: object) -> object:
        with blaming(owner, raised):
            value = function(*args)
        if not valid(value):
            raise returned(owner, doing, value, expected)
        return value

    setattr(impl, "function", checked)  # noqa: B010


def default_registry() -> Registry:
    """The registry of the built-in and installed plugins, built once per setting of the
    two environment variables."""
    return _cached_registry(os.environ.get(DISABLE_AUTOLOAD_ENV), os.environ.get(BLOCK_ENV))


@lru_cache(maxsize=4)
def _cached_registry(disable_autoload: str | None, blocked: str | None) -> Registry:
    return Registry.from_manager(new_plugin_manager())


def registry_for(blocked: Sequence[str] = (), autoload: bool | None = None) -> Registry:
    """The default registry, or a fresh one when plugins are blocked or autoload is set."""
    if not blocked and autoload is None:
        return default_registry()
    return Registry.from_manager(new_plugin_manager(autoload=autoload, blocked=blocked))
