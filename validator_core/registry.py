"""The plugin registry: loads plugins with pluggy and is the only code that touches ``pm.hook``.

Built-in plugins (``plugins.DEFAULT_PLUGINS``) and third-party ones (entry-point group ``preuves``) are
registered the same way. ``PREUVES_PLUGINS`` (allowlist) and ``PREUVES_DISABLE_PLUGINS`` (blocklist)
choose among them by name; ``PREUVES_TRACE_PLUGINS=1`` logs every hook call.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

import pluggy

from validator_core import hookspecs
from validator_core.messages import CORE_MESSAGES, LANGS, Message
from validator_core.models import Finding, Inspection
from validator_core.proof import Proof
from validator_core.rules import media_type_matches

if TYPE_CHECKING:
    from validator_core.catalogue import Catalogue

log = logging.getLogger("preuves.plugins")
_CATALOGUE_LOCK = threading.Lock()

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
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
    ) -> None: ...


class RegisterMessage(Protocol):
    def __call__(self, code: str, *, fr: str, en: str) -> None: ...


@dataclass(frozen=True)
class CheckDeclaration:
    plugin: str
    proof_types: frozenset[str]
    media_types: tuple[str, ...] | None
    version: str
    description: str = ""

    def applies_to(self, proof_type: str, media_type: str) -> bool:
        return proof_type in self.proof_types and media_type_matches(media_type, self.media_types)


@dataclass(frozen=True)
class PluginConfig:
    """Which plugins to load. Picklable: worker processes rebuild the same registry from it."""

    allow: tuple[str, ...] | None = None  # None: every plugin found
    block: tuple[str, ...] = ()
    # Extra plugin modules by import path ("pkg.mod" or "name=pkg.mod"): tests and embedding apps.
    extra: tuple[str, ...] = ()
    entrypoints: bool = True
    trace: bool = False

    def wants(self, name: str) -> bool:
        if name in self.block:
            return False
        return self.allow is None or name in self.allow


def _default_plugin_modules() -> tuple[str, ...]:
    from plugins import DEFAULT_PLUGINS

    return DEFAULT_PLUGINS


def _plugin_version(module: Any, declared: str | None, dist_version: str | None) -> str:
    """Declared version, else the plugin's distribution, else its ``__version__``, else the core's."""
    if declared:
        return declared
    if dist_version:
        return dist_version
    if getattr(module, "__version__", None):
        return str(module.__version__)
    from validator_core import __version__

    return __version__


@dataclass
class PluginRegistry:
    """Loaded plugins, their declarations and messages. Build with :meth:`load`."""

    config: PluginConfig
    pm: pluggy.PluginManager
    checks: dict[str, CheckDeclaration] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    dist_versions: dict[str, str] = field(default_factory=dict)  # entry-point plugins' distributions
    _catalogue_cache: Any = field(default=None, repr=False)
    _inspectors: dict[str, Callable[..., list[Any]]] = field(default_factory=dict)

    # -- loading ----------------------------------------------------------------------------
    @classmethod
    def load(cls, config: PluginConfig | None = None) -> "PluginRegistry":
        config = config or PluginConfig()
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        registry = cls(config=config, pm=pm)
        registry._register_module(CORE_PLUGIN_NAME, importlib.import_module(CORE_PLUGIN_MODULE))
        for module_path in _default_plugin_modules():
            name = module_path.rsplit(".", 1)[-1]
            if config.wants(name):
                registry._register_module(name, registry._import(module_path, name))
        for spec in config.extra:
            name, _, module_path = spec.rpartition("=")
            module_path = module_path.strip()
            name = name.strip() or module_path.rsplit(".", 1)[-1]
            if config.wants(name):
                registry._register_module(name, registry._import(module_path, name))
        if config.entrypoints:
            for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
                if not config.wants(ep.name) or pm.has_plugin(ep.name):
                    continue
                try:
                    plugin = ep.load()
                except Exception as exc:  # noqa: BLE001 - name the culprit, then fail
                    raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}") from exc
                registry._register_module(ep.name, plugin)
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

    def _register_module(self, name: str, plugin: Any) -> None:
        try:
            self.pm.register(plugin, name=name)
        except ValueError as exc:  # duplicate name or plugin object
            raise PluginError(f"plugin {name!r}: {exc}") from exc
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r} has an invalid hook implementation: {exc}") from exc

    def _collect_messages(self) -> None:
        from validator_core.catalogue import CORE_REQUIREMENT_MESSAGES, REQUIREMENT_CODE_FAMILY

        self.messages.update(CORE_MESSAGES)
        self.messages.update(CORE_REQUIREMENT_MESSAGES)
        for impl in self.pm.hook.preuves_register_messages.get_hookimpls():
            plugin_name = impl.plugin_name

            def register(code: str, *, fr: str, en: str, _plugin: str = plugin_name) -> None:
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
                self.messages[code] = Message(fr=fr, en=en)

            impl.function(register=register)

    def _collect_checks(self) -> None:
        inspecting = {impl.plugin_name for impl in self.pm.hook.preuves_inspect.get_hookimpls()}
        for impl in self.pm.hook.preuves_register_checks.get_hookimpls():
            plugin_name = impl.plugin_name
            module = impl.plugin

            def register(
                *,
                proof_types: Iterable[str],
                media_types: Iterable[str] | None = None,
                version: str | None = None,
                description: str = "",
                _plugin: str = plugin_name,
                _module: Any = module,
            ) -> None:
                if _plugin in self.checks:
                    raise PluginError(f"plugin {_plugin!r} declares its checks twice")
                if isinstance(proof_types, str):
                    raise PluginError(f"plugin {_plugin!r}: proof_types must be a list, not a string")
                self.checks[_plugin] = CheckDeclaration(
                    plugin=_plugin,
                    proof_types=frozenset(proof_types),
                    media_types=None if media_types is None else tuple(media_types),
                    version=_plugin_version(_module, version, self.dist_versions.get(_plugin)),
                    description=description,
                )

            impl.function(register=register)
        for name in self.checks:
            if name not in inspecting:
                raise PluginError(f"plugin {name!r} declares checks but implements no preuves_inspect")
        for name in inspecting - set(self.checks):
            raise PluginError(f"plugin {name!r} implements preuves_inspect but declares no checks")
        checking = set(self.checks)
        for name in self.checks:
            others = [self.pm.get_plugin(n) for n in checking - {name}]
            self._inspectors[name] = self.pm.subset_hook_caller("preuves_inspect", remove_plugins=others)

    # -- use --------------------------------------------------------------------------------
    @property
    def plugin_names(self) -> list[str]:
        return [name for name, _ in self.pm.list_name_plugin() if name != CORE_PLUGIN_NAME]

    def versions(self) -> dict[str, str]:
        return {name: decl.version for name, decl in self.checks.items()}

    def checks_for(self, proof_type: str, media_type: str) -> list[CheckDeclaration]:
        return [d for d in self.checks.values() if d.applies_to(proof_type, media_type)]

    def inspect(self, plugin: str, proof: Proof) -> Inspection:
        """Run one plugin's ``preuves_inspect`` (the caller isolates it)."""
        results = self._inspectors[plugin](proof=proof)
        for result in results:
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

    # -- requirements (the REM catalogue) -------------------------------------------------------
    def catalogue(self) -> "Catalogue":
        """The requirement catalogue from ``preuves_register_requirements``, built and classified once."""
        from validator_core.catalogue import CatalogueCache, build_catalogue

        with _CATALOGUE_LOCK:
            if self._catalogue_cache is None:
                impls = self.pm.hook.preuves_register_requirements.get_hookimpls()
                self._catalogue_cache = CatalogueCache(lambda: build_catalogue(
                    [(impl.plugin_name, impl.function) for impl in reversed(impls)], self.classify_proof,
                ))
        return self._catalogue_cache.get()

    def classify_proof(self, spec: Any) -> tuple[Any, str | None]:
        """``(classification, plugin name)`` from the first ``preuves_classify_proof`` that answers."""
        for impl in reversed(self.pm.hook.preuves_classify_proof.get_hookimpls()):  # pluggy's call order
            result = impl.function(**({"proof": spec} if "proof" in impl.argnames else {}))
            if result is not None:
                return result, impl.plugin_name
        return None, None

    def check_requirement(self, spec: Any, proof_type: str, file: Any, facts: dict[str, Any],
                          findings: list[Any], rules: Any) -> list[Any]:
        """Findings from every ``preuves_check_requirement``, each tagged with the plugin that made it."""
        from validator_core.catalogue import REQUIREMENT_CODE_FAMILY

        out = []
        for impl in reversed(self.pm.hook.preuves_check_requirement.get_hookimpls()):
            kwargs = {"requirement": spec, "proof_type": proof_type, "file": file, "facts": facts,
                      "findings": list(findings), "rules": rules}
            try:
                # Runs in the caller's process (it reads report data only): a failing plugin costs
                # a check.crashed finding, never the request.
                result = impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
            except Exception as exc:  # noqa: BLE001
                log.error("preuves_check_requirement of %s raised %s", impl.plugin_name, type(exc).__name__)
                out.append(Finding(code="check.crashed", severity="error", plugin="core",
                                   details={"check": impl.plugin_name, "reason": type(exc).__name__}))
                continue
            for item in result or ():
                item = item if isinstance(item, Finding) else Finding.model_validate(item)
                item.plugin = item.plugin or ("core" if item.code.startswith(REQUIREMENT_CODE_FAMILY) else impl.plugin_name)
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
