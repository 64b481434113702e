"""The plugin registry: loads plugins with pluggy and is the only code that calls their hooks.

Every plugin is found the way a third-party one is: an entry point in group ``preuves``. The built-in
plugins are this distribution's own entry points (``[project.entry-points.preuves]`` in
``pyproject.toml``); other distributions' are third-party plugins. Both are read from the metadata
directories on ``sys.path`` as importlib.metadata reads them; importlib.metadata itself is imported
only when another distribution declares plugins (or ``sys.path`` holds a zip or an egg).
``PREUVES_PLUGINS`` (allowlist) and ``PREUVES_DISABLE_PLUGINS`` (blocklist) choose among them by name;
``PREUVES_TRACE_PLUGINS=1`` logs every hook call.

Every hook is called through pluggy — ``pm.hook`` or a subset hook caller made from it — so the trace
switch sees every call and ``firstresult``, ``tryfirst`` / ``trylast`` and ``wrapper=True``
implementations behave as pluggy documents them.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol

import pluggy

from validator_core import hookspecs
from validator_core.messages import CORE_MESSAGES, LANGS, Message, vocabulary
from validator_core.models import Finding, Inspection
from validator_core.proof import Proof
from validator_core.rules import media_type_matches

if TYPE_CHECKING:
    from importlib import metadata

    import click

    from validator_core.catalogue import Catalogue

log = logging.getLogger("preuves.plugins")
_CATALOGUE_LOCK = threading.Lock()

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
# The distribution that ships the core: its own entry points are the built-in plugins.
CORE_DISTRIBUTION = "segur-preuves"
CORE_PLUGIN_NAME = "core"
CORE_PLUGIN_MODULE = "validator_core.inference"


class PluginError(RuntimeError):
    """A plugin that cannot be loaded or declares something invalid (fails at start)."""


class RegisterCheck(Protocol):
    def __call__(
        self,
        *,
        proof_types: Iterable[str],
        media_types: Iterable[str] | None = None,
        version: str | None = None,
        description: str = "",
        preload: Iterable[str] = (),
    ) -> None: ...


class RegisterMessage(Protocol):
    def __call__(self, code: str, *, fr: str, en: str,
                 words: Mapping[str, tuple[str, str]] | None = None) -> None: ...


@dataclass(frozen=True)
class CheckDeclaration:
    plugin: str
    proof_types: frozenset[str]
    media_types: tuple[str, ...] | None
    version: str
    description: str = ""
    preload: tuple[str, ...] = ()  # modules the inspection needs, imported once before workers fork

    def applies_to(self, proof_type: str, media_type: str) -> bool:
        return proof_type in self.proof_types and media_type_matches(media_type, self.media_types)


@dataclass(frozen=True)
class PluginConfig:
    """Which plugins to load. Picklable: worker processes rebuild the same registry from it."""

    allow: tuple[str, ...] | None = None  # None: every plugin found
    block: tuple[str, ...] = ()
    # Extra plugin modules by import path ("pkg.mod" or "name=pkg.mod"): tests and embedding apps.
    extra: tuple[str, ...] = ()
    # Third-party plugins: other distributions' entry points (the built-ins, this distribution's, always count).
    entrypoints: bool = True
    trace: bool = False

    # Plugins an allowlist does not drop: the HTTP service's command plugin (``serve``) checks nothing,
    # so ``PREUVES_PLUGINS=video,screenshot preuves serve`` must still serve those checks. Blocking it by
    # name (``PREUVES_DISABLE_PLUGINS=api``) still removes it.
    always: tuple[str, ...] = ("api",)

    def wants(self, name: str) -> bool:
        if name in self.block:
            return False
        return self.allow is None or name in self.allow or name in self.always


def _normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


@dataclass(frozen=True)
class _CoreEntryPoint:
    """One of this distribution's entry points, as read from its ``entry_points.txt``.

    What the registry uses of :class:`importlib.metadata.EntryPoint`: ``name``, ``value``
    (``module`` or ``module:attribute``) and :meth:`load`.
    """

    name: str
    value: str

    def load(self) -> Any:
        module, _, attrs = self.value.partition(":")
        loaded = importlib.import_module(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            loaded = getattr(loaded, attr)
        return loaded


@dataclass(frozen=True)
class _MetadataScan:
    """What the distributions on ``sys.path`` declare in group ``preuves`` (see :func:`_scan_metadata`)."""

    core: list[_CoreEntryPoint] | None  # None: this distribution's metadata is not on sys.path
    others: bool  # another distribution's entry_points.txt has a [preuves] section


def _section(text: str, group: str) -> list[tuple[str, str]] | None:
    """The ``name = value`` pairs of ``[group]`` in an ``entry_points.txt`` (importlib.metadata's reading:
    stripped lines, ``#`` comments, ``[name]`` headers); ``None`` when the section is absent."""
    pairs: list[tuple[str, str]] | None = None
    current = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line.strip("[]")
            if current == group and pairs is None:
                pairs = []
            continue
        if current == group and pairs is not None:
            name, _, value = line.partition("=")
            pairs.append((name.strip(), value.strip()))
    return pairs


def _scan_metadata() -> _MetadataScan | None:
    """Read the entry points of group ``preuves`` straight from the metadata directories on ``sys.path``.

    Importing :mod:`importlib.metadata` and scanning every distribution with it costs a cold
    ``preuves check`` ~35 ms (most of it parsing metadata that has no plugin); this reads only the
    ``entry_points.txt`` files, in the order importlib.metadata searches them (``sys.path`` order, the
    first copy of a distribution wins). Returns ``None`` when directories alone cannot say (a zip or
    egg on ``sys.path``, a finder other than the path finder that lists distributions): the caller
    then asks importlib.metadata.
    """
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") and finder is not PathFinder for finder in sys.meta_path):
        return None
    core_name = _normalized(CORE_DISTRIBUTION)
    core: list[_CoreEntryPoint] | None = None
    others = False
    for entry in sys.path:
        try:
            root = os.fspath(entry) if entry else "."
        except TypeError:
            return None
        if not isinstance(root, str) or root.lower().endswith(".egg") or os.path.isfile(root):
            return None
        try:
            children = os.listdir(root)
        except OSError:  # missing, or not a directory (a path hook's marker): importlib.metadata skips it too
            continue
        for child in children:
            low = child.lower()
            if not low.endswith((".dist-info", ".egg-info")):
                continue
            is_core = _normalized(low.rpartition(".")[0].partition("-")[0]) == core_name
            if is_core and core is not None:
                continue  # a later copy of this distribution: the first one found is the one imported
            try:
                with open(os.path.join(root, child, "entry_points.txt"), encoding="utf-8") as fh:
                    pairs = _section(fh.read(), ENTRY_POINT_GROUP)
            except OSError:  # no entry points (or a one-file egg-info)
                pairs = None
            except UnicodeDecodeError:  # importlib.metadata says what it makes of that one
                return None
            if is_core:
                core = [_CoreEntryPoint(name, value) for name, value in pairs or ()]
            elif pairs is not None:
                others = True
    return _MetadataScan(core=core, others=others)


def _builtin_entry_points(scan: _MetadataScan | None) -> list[Any]:
    """This distribution's own plugins, by name (an order no packaging tool can change)."""
    if scan is not None:
        found = scan.core
    else:
        from importlib import metadata

        try:
            found = list(metadata.distribution(CORE_DISTRIBUTION).entry_points.select(group=ENTRY_POINT_GROUP))
        except metadata.PackageNotFoundError:
            found = None
    if found is None:
        # Without its metadata the core would run no check at all and accept everything: refuse.
        raise PluginError(f"{CORE_DISTRIBUTION} is not installed (pip install -e .): its built-in plugins are "
                          f"entry points in group {ENTRY_POINT_GROUP!r}")
    return sorted(found, key=lambda ep: ep.name)


def _third_party_entry_points(scan: _MetadataScan | None) -> list["metadata.EntryPoint"]:
    """Other distributions' plugins, by distribution then name (the same order whatever ``sys.path`` is)."""
    if scan is not None and not scan.others:
        return []  # the usual case: no other distribution declares a plugin (importlib.metadata not imported)
    from importlib import metadata

    ours = _normalized(CORE_DISTRIBUTION)
    found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
             if ep.dist is None or _normalized(ep.dist.name) != ours]
    return sorted(found, key=lambda ep: (_normalized(ep.dist.name) if ep.dist else "", ep.name))


def _plugin_version(module: Any, declared: str | None, dist_version: str | None) -> str:
    """Declared version, else its distribution's (third-party plugins), else its ``__version__``, else the core's."""
    if declared:
        return declared
    if dist_version:
        return dist_version
    if getattr(module, "__version__", None):
        return str(module.__version__)
    from validator_core import __version__

    return __version__


def _module_name(plugin: Any) -> str | None:
    """The module a plugin lives in (a plugin is a module, or an object defined in one)."""
    return plugin.__name__ if isinstance(plugin, ModuleType) else getattr(plugin, "__module__", None)


@dataclass
class PluginRegistry:
    """Loaded plugins, their declarations and messages. Build with :meth:`load`."""

    config: PluginConfig
    pm: pluggy.PluginManager
    checks: dict[str, CheckDeclaration] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    dist_versions: dict[str, str] = field(default_factory=dict)  # third-party plugins' distributions
    _catalogue_cache: Any = field(default=None, repr=False)
    _per_plugin: dict[str, list[tuple[str, Any]]] = field(default_factory=dict, repr=False)
    _inspectors: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- loading ----------------------------------------------------------------------------
    @classmethod
    def load(cls, config: PluginConfig | None = None) -> "PluginRegistry":
        """Register the core, the built-ins, the extra modules, then third-party plugins, in that order.

        Within a hook, pluggy calls implementations ``tryfirst`` first, ``trylast`` last, and otherwise
        the last registered first: a plugin that needs to answer before another says so with
        ``tryfirst`` / ``trylast`` rather than counting on names.
        """
        config = config or PluginConfig()
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        registry = cls(config=config, pm=pm)
        registry._register(CORE_PLUGIN_NAME, importlib.import_module(CORE_PLUGIN_MODULE))
        scan = _scan_metadata()
        for ep in _builtin_entry_points(scan):
            if config.wants(ep.name):
                registry._register(ep.name, registry._load_entry_point(ep))
        for spec in config.extra:
            name, _, module_path = spec.rpartition("=")
            module_path = module_path.strip()
            name = name.strip() or module_path.rsplit(".", 1)[-1]
            if config.wants(name):
                registry._register(name, registry._import(module_path, name))
        if config.entrypoints:
            for ep in _third_party_entry_points(scan):
                if not config.wants(ep.name) or pm.has_plugin(ep.name):
                    continue
                registry._register(ep.name, registry._load_entry_point(ep))
                if ep.dist is not None:
                    registry.dist_versions[ep.name] = ep.dist.version
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"a plugin implements an unknown hook: {exc}") from exc
        if config.trace:
            pm.add_hookcall_monitoring(_trace_before, _trace_after)
        registry._collect_messages()
        registry._collect_checks()
        return registry

    @staticmethod
    def _import(module_path: str, name: str) -> ModuleType:
        try:
            return importlib.import_module(module_path)
        except Exception as exc:  # noqa: BLE001
            raise PluginError(f"plugin {name!r} ({module_path}) failed to import: {exc}") from exc

    @staticmethod
    def _load_entry_point(ep: Any) -> Any:
        try:
            return ep.load()
        except Exception as exc:  # noqa: BLE001 - name the culprit, then fail
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}") from exc

    def _register(self, name: str, plugin: Any) -> None:
        try:
            self.pm.register(plugin, name=name)
        except ValueError as exc:  # duplicate name or plugin object
            raise PluginError(f"plugin {name!r}: {exc}") from exc
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r} has an invalid hook implementation: {exc}") from exc

    def _callers(self, hook_name: str) -> list[tuple[str, Any]]:
        """``(plugin name, hook caller)`` for each plugin implementing ``hook_name``, in pluggy's call order.

        pluggy hands every implementation the same arguments and returns their results without saying
        whose they are. Where the core must know which plugin did what — the ``register`` callbacks
        (who declared a check, a message, a requirement, a command), who classified a catalogue proof,
        whose requirement check raised — it calls each plugin through a subset hook caller of its own:
        that plugin's implementation, wrapped by every ``wrapper=True`` implementation of the hook
        (other plugins' wrappers are kept), traced like any hook call. Built once per hook.
        """
        callers = self._per_plugin.get(hook_name)
        if callers is None:
            impls = [impl for impl in getattr(self.pm.hook, hook_name).get_hookimpls()
                     if not (impl.wrapper or impl.hookwrapper)]
            plugins = [impl.plugin for impl in impls]
            callers = [
                (impl.plugin_name,
                 self.pm.subset_hook_caller(hook_name, remove_plugins=[p for p in plugins if p is not impl.plugin]))
                for impl in reversed(impls)  # get_hookimpls() lists them in the reverse of the call order
            ]
            self._per_plugin[hook_name] = callers
        return callers

    def _collect_messages(self) -> None:
        from validator_core.catalogue import CORE_REQUIREMENT_MESSAGES, REQUIREMENT_CODE_FAMILY

        self.messages.update(CORE_MESSAGES)
        self.messages.update(CORE_REQUIREMENT_MESSAGES)
        for plugin_name, caller in self._callers("preuves_register_messages"):

            def register(code: str, *, fr: str, en: str, words: Mapping[str, Any] | None = None,
                         _plugin: str = plugin_name) -> None:
                if not code.startswith((_plugin + ".", REQUIREMENT_CODE_FAMILY)):  # the family any catalogue shares
                    raise PluginError(
                        f"plugin {_plugin!r} registers code {code!r}: codes must start with '{_plugin}.' "
                        f"(or '{REQUIREMENT_CODE_FAMILY}' for a requirement's expectations)"
                    )
                if not re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z0-9_.]+", code):
                    raise PluginError(f"plugin {_plugin!r}: code {code!r} is not a valid finding code")
                if code in self.messages:
                    raise PluginError(f"plugin {_plugin!r}: code {code!r} is registered twice")
                if not (fr and fr.strip()) or not (en and en.strip()):
                    raise PluginError(f"plugin {_plugin!r}: code {code!r} needs both a French and an English message")
                try:
                    said = vocabulary(words)
                    complete = all(isinstance(k, str) and w.fr.strip() and w.en.strip() for k, w in said.items())
                except (TypeError, ValueError, AttributeError):
                    complete = False
                if not complete:
                    raise PluginError(f"plugin {_plugin!r}: code {code!r}: words map keys to (French, English) pairs")
                self.messages[code] = Message(fr=fr, en=en, words=said)

            caller(register=register)

    def _collect_checks(self) -> None:
        declared: dict[str, CheckDeclaration] = {}
        for plugin_name, caller in self._callers("preuves_register_checks"):
            module = self.pm.get_plugin(plugin_name)

            def register(
                *,
                proof_types: Iterable[str],
                media_types: Iterable[str] | None = None,
                version: str | None = None,
                description: str = "",
                preload: Iterable[str] = (),
                _plugin: str = plugin_name,
                _module: Any = module,
            ) -> None:
                if _plugin in declared:
                    raise PluginError(f"plugin {_plugin!r} declares its checks twice")
                for arg, value in (("proof_types", proof_types), ("preload", preload)):
                    if isinstance(value, str):
                        raise PluginError(f"plugin {_plugin!r}: {arg} must be a list, not a string")
                declared[_plugin] = CheckDeclaration(
                    plugin=_plugin,
                    proof_types=frozenset(proof_types),
                    media_types=None if media_types is None else tuple(media_types),
                    version=_plugin_version(_module, version, self.dist_versions.get(_plugin)),
                    description=description,
                    preload=tuple(preload),
                )

            caller(register=register)
        # In the order plugins were loaded: a report lists each plugin's findings in this order.
        self.checks = {name: declared[name] for name in self.plugin_names if name in declared}
        self._inspectors = dict(self._callers("preuves_inspect"))
        inspecting = set(self._inspectors)
        for name in self.checks:
            if name not in inspecting:
                raise PluginError(f"plugin {name!r} declares checks but implements no preuves_inspect")
        for name in inspecting - set(self.checks):
            raise PluginError(f"plugin {name!r} implements preuves_inspect but declares no checks")

    # -- use --------------------------------------------------------------------------------
    @property
    def plugin_names(self) -> list[str]:
        return [name for name, _ in self.pm.list_name_plugin() if name != CORE_PLUGIN_NAME]

    @property
    def preload(self) -> tuple[str, ...]:
        """Modules a fork server imports once, for every worker it forks: each plugin's module, then
        the modules its checks declared (``register(preload=...)``). Never ``__main__``."""
        modules = [_module_name(plugin) for _name, plugin in self.pm.list_name_plugin()]
        for decl in self.checks.values():
            modules.extend(decl.preload)
        return tuple(m for m in dict.fromkeys(modules) if m and m != "__main__")

    def versions(self) -> dict[str, str]:
        return {name: decl.version for name, decl in self.checks.items()}

    def checks_for(self, proof_type: str, media_type: str) -> list[CheckDeclaration]:
        return [d for d in self.checks.values() if d.applies_to(proof_type, media_type)]

    def inspect(self, plugin: str, proof: Proof) -> Inspection:
        """Run one plugin's ``preuves_inspect`` (the caller isolates it)."""
        for result in self._inspectors[plugin](proof=proof):
            if result is None:
                continue
            if isinstance(result, Inspection):
                return result
            if isinstance(result, dict):
                return Inspection.model_validate(result)
            raise TypeError(f"preuves_inspect returned {type(result).__name__}, expected Inspection")
        return Inspection()

    def infer_proof_type(self, proof: Proof) -> str | None:
        return self.pm.hook.preuves_infer_proof_type(proof=proof)

    def register_commands(self, cli: "click.Group") -> None:
        """Let plugins add their commands to ``cli`` (``preuves_register_commands``).

        A plugin may not replace a command the core or another plugin added (fails at start, naming both).
        """
        owners = dict.fromkeys(cli.commands, CORE_PLUGIN_NAME)
        for plugin_name, caller in self._callers("preuves_register_commands"):
            before = dict(cli.commands)
            caller(cli=cli)
            for name, command in cli.commands.items():
                if before.get(name) is command:
                    continue
                if name in before:
                    raise PluginError(f"plugin {plugin_name!r} replaces the command {name!r} of {owners[name]!r}")
                owners[name] = plugin_name

    # -- requirements (the REM catalogue) -------------------------------------------------------
    def catalogue(self) -> "Catalogue":
        """The requirement catalogue from ``preuves_register_requirements``, built and classified once."""
        from validator_core.catalogue import CatalogueCache, build_catalogue

        with _CATALOGUE_LOCK:
            if self._catalogue_cache is None:
                self._catalogue_cache = CatalogueCache(lambda: build_catalogue(
                    self._callers("preuves_register_requirements"), self.classify_proof,
                ))
        return self._catalogue_cache.get()

    def classify_proof(self, spec: Any) -> tuple[Any, str | None]:
        """``(classification, plugin name)`` from the first plugin whose ``preuves_classify_proof`` answers.

        Asked plugin by plugin in pluggy's order (``tryfirst`` … ``trylast``), so that the catalogue
        records who classified each proof; the first answer ends the question (``firstresult``).
        """
        for plugin_name, caller in self._callers("preuves_classify_proof"):
            result = caller(proof=spec)
            if result is not None:
                return result, plugin_name
        return None, None

    def check_requirement(self, spec: Any, proof_type: str, file: Any, facts: dict[str, Any],
                          findings: list[Any], rules: Any) -> list[Any]:
        """Findings from every ``preuves_check_requirement``, each tagged with the plugin that made it."""
        from validator_core.catalogue import REQUIREMENT_CODE_FAMILY

        out = []
        for plugin_name, caller in self._callers("preuves_check_requirement"):
            try:
                # Runs in the caller's process (it reads report data only): a failing plugin costs
                # a check.crashed finding, never the request.
                results = caller(requirement=spec, proof_type=proof_type, file=file, facts=facts,
                                 findings=list(findings), rules=rules)
            except Exception as exc:  # noqa: BLE001
                log.error("preuves_check_requirement of %s raised %s", plugin_name, type(exc).__name__)
                out.append(Finding(code="check.crashed", severity="error", plugin="core",
                                   details={"check": plugin_name, "reason": type(exc).__name__}))
                continue
            for result in results:
                for item in result or ():
                    item = item if isinstance(item, Finding) else Finding.model_validate(item)
                    item.plugin = item.plugin or ("core" if item.code.startswith(REQUIREMENT_CODE_FAMILY) else plugin_name)
                    out.append(item)
        return out

    def message(self, code: str) -> Message | None:
        return self.messages.get(code)

    def missing_translations(self) -> list[str]:
        return [code for code, m in self.messages.items() if not all(getattr(m, lang).strip() for lang in LANGS)]


def _trace_before(hook_name: str, hook_impls: list[Any], kwargs: dict[str, Any]) -> None:
    names = ", ".join(impl.plugin_name for impl in hook_impls)
    shown = {k: (v.name if isinstance(v, Proof) else type(v).__name__) for k, v in kwargs.items()}
    log.warning("hook %s -> [%s] %s", hook_name, names, shown)


def _trace_after(outcome: Any, hook_name: str, hook_impls: list[Any], kwargs: dict[str, Any]) -> None:
    exc = outcome.exception
    log.warning("hook %s done%s", hook_name, f" (raised {type(exc).__name__})" if exc else "")
