"""The ANS rules as data: formats, proof types, size limits, inference and plugin thresholds.

The rules live in ``validator_core/data/rules.toml`` (which cites the ANS table row by row). A user file
given by ``--rules PATH`` or ``PREUVES_RULES`` replaces it whole. A bad file fails at load time with a
:class:`RulesError` that names the key and, where it can be found, the line.

The rules file is the only home of every number: no plugin keeps a default. A user file must set
every ``[thresholds.<plugin>]`` key and every ``[plugin_data.<plugin>]`` table the packaged file sets
(it may add its own, for third-party plugins); one that leaves one out fails at load, naming it.
Reading a threshold the rules do not set (:class:`Thresholds`) is an error too, never a default.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from validator_core.checked import Check, Checked, FieldError, ValidationError

ANY_FORMAT = "*"


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, key and line."""


class MissingThreshold(RulesError):
    """A plugin read a threshold its rules table does not set (not a ``KeyError``: no default applies)."""


class _Strict(Checked):
    """A rules table: unknown keys are refused (a typo must not pass silently)."""

    __slots__ = ()
    EXTRA = "forbid"


@dataclass(frozen=True, slots=True, kw_only=True)
class FormatRule(_Strict):
    label: str
    media_types: Annotated[tuple[str, ...], Check(min_length=1)]
    extensions: Annotated[tuple[str, ...], Check(min_length=1)]
    kind: Literal["video", "image", "document", "text", "archive", "other"] = "other"

    def _check(self) -> None:
        for ext in self.extensions:
            if ext != ext.lower() or ext.startswith(".") or not ext:
                raise FieldError("extensions", f"extension {ext!r} must be lower case, without a leading dot")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProofTypeRule(_Strict):
    label_fr: str
    label_en: str
    ans_row: str
    source: str
    formats: Annotated[tuple[str, ...], Check(min_length=1)]
    max_bytes: Annotated[int, Check(gt=0)]
    # A file sent without a proof type whose detected media type matches one of these patterns
    # (``fnmatch``: ``"video/*"``) is of this type, unless a plugin said otherwise first.
    infer_media_types: tuple[str, ...] = ()

    @property
    def any_format(self) -> bool:
        return ANY_FORMAT in self.formats


@dataclass(frozen=True, slots=True, kw_only=True)
class InferenceRule(_Strict):
    # The proof type of a file sent without one that no plugin and no infer_media_types placed.
    default_proof_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RulesMeta(_Strict):
    id: str
    version: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RulesModel(_Strict):
    meta: RulesMeta
    formats: Annotated[dict[str, FormatRule], Check(min_length=1)]
    proof_types: Annotated[dict[str, ProofTypeRule], Check(min_length=1)]
    inference: InferenceRule
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Open sections for plugins (e.g. the report-link host allowlist): plugin name -> settings.
    plugin_data: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _check(self) -> None:
        for type_id, rule in self.proof_types.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", type_id):
                raise ValueError(f"proof type id {type_id!r} must be snake_case")
            for fmt in rule.formats:
                if fmt != ANY_FORMAT and fmt not in self.formats:
                    raise ValueError(
                        f"proof_types.{type_id}.formats names unknown format {fmt!r} "
                        f"(known: {', '.join(sorted(self.formats))})"
                    )
        if self.inference.default_proof_type not in self.proof_types:
            raise ValueError(
                f"inference.default_proof_type names unknown proof type {self.inference.default_proof_type!r} "
                f"(known: {', '.join(self.proof_types)})"
            )
        claimed: dict[str, str] = {}
        for type_id, rule in self.proof_types.items():
            for pattern in rule.infer_media_types:
                if pattern in claimed:
                    raise ValueError(
                        f"proof_types.{type_id}.infer_media_types: {pattern!r} is already inferred as "
                        f"{claimed[pattern]!r}"
                    )
                claimed[pattern] = type_id


class Thresholds(Mapping[str, Any]):
    """One plugin's ``[thresholds.<plugin>]`` table, read-only.

    Reading a key the table does not set raises :class:`MissingThreshold` naming the plugin and the
    key — ``get(key, default)`` too: a plugin's numbers live in the rules, never in its code.
    """

    __slots__ = ("plugin", "source", "_values")

    def __init__(self, plugin: str, values: dict[str, Any], source: str) -> None:
        self.plugin, self.source, self._values = plugin, source, values

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise MissingThreshold(
                f"{self.source}: [thresholds.{self.plugin}] has no key {key!r}, which plugin {self.plugin!r} reads"
            ) from None

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Thresholds({self.plugin!r}, {self._values!r})"


@dataclass(frozen=True)
class Rules:
    """Loaded, validated rules. Immutable; cheap to pickle to worker processes."""

    model: RulesModel
    source: str

    # -- lookups ----------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return f"{self.model.meta.id}@{self.model.meta.version}"

    @property
    def proof_types(self) -> dict[str, ProofTypeRule]:
        return self.model.proof_types

    @property
    def formats(self) -> dict[str, FormatRule]:
        return self.model.formats

    def proof_type(self, type_id: str) -> ProofTypeRule:
        return self.model.proof_types[type_id]

    def thresholds(self, plugin: str) -> Thresholds:
        """The thresholds table of one plugin (``[thresholds.<plugin>]``; empty when the file has none)."""
        return Thresholds(plugin, dict(self.model.thresholds.get(plugin, {})), self.source)

    def plugin_data(self, plugin: str) -> dict[str, Any]:
        return dict(self.model.plugin_data.get(plugin, {}))

    @cached_property
    def _format_by_media_type(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for fmt_id, fmt in self.model.formats.items():
            for media_type in fmt.media_types:
                table.setdefault(media_type, fmt_id)
        return table

    def format_for_media_type(self, media_type: str | None) -> str | None:
        """The format id whose media types include ``media_type`` (``None`` if not in the table)."""
        if not media_type:
            return None
        return self._format_by_media_type.get(media_type)

    @property
    def default_proof_type(self) -> str:
        """The proof type of a file sent without one that nothing else placed (``[inference]``)."""
        return self.model.inference.default_proof_type

    def proof_type_for_media_type(self, media_type: str) -> str | None:
        """The first proof type (in file order) whose ``infer_media_types`` match ``media_type``."""
        for type_id, rule in self.model.proof_types.items():
            if rule.infer_media_types and media_type_matches(media_type, rule.infer_media_types):
                return type_id
        return None

    def allows(self, type_id: str, format_id: str | None) -> bool:
        rule = self.proof_type(type_id)
        return rule.any_format or (format_id is not None and format_id in rule.formats)

    def to_dict(self) -> dict[str, Any]:
        """The rules as JSON (``preuves types --json``, ``GET /v1/proof-types``)."""
        out: dict[str, Any] = {"rules": self.version, "proof_types": []}
        for type_id, rule in self.model.proof_types.items():
            formats = [] if rule.any_format else [self.model.formats[f] for f in rule.formats]
            out["proof_types"].append(
                {
                    "id": type_id,
                    "label_fr": rule.label_fr,
                    "label_en": rule.label_en,
                    "ans_row": rule.ans_row,
                    "source": rule.source,
                    "any_format": rule.any_format,
                    "formats": [f.label for f in formats],
                    "media_types": sorted({m for f in formats for m in f.media_types}),
                    "extensions": [e for f in formats for e in f.extensions],
                    "max_bytes": rule.max_bytes,
                }
            )
        return out


def media_type_matches(media_type: str, patterns: tuple[str, ...] | list[str] | None) -> bool:
    """``video/*``-style matching of a media type against a plugin's declared patterns."""
    if patterns is None:
        return True
    return any(fnmatch.fnmatchcase(media_type, p) for p in patterns)


def _locate(text: str, loc: tuple[Any, ...]) -> str:
    """Best-effort 'line N' for an error location inside a TOML text."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    lines = text.splitlines()
    # Find the deepest [table] header that matches a prefix of the location, then the key below it.
    for cut in range(len(parts), 0, -1):
        header = ".".join(parts[:cut])
        pattern = re.compile(r"^\s*\[\s*" + re.escape(header) + r"\s*\]\s*(#.*)?$")
        for number, line in enumerate(lines, start=1):
            if pattern.match(line):
                if cut < len(parts):
                    key = re.compile(r"^\s*" + re.escape(parts[cut]) + r"\s*=")
                    for offset, below in enumerate(lines[number:], start=number + 1):
                        if below.lstrip().startswith("["):
                            break
                        if key.match(below):
                            return f"line {offset}"
                return f"line {number}"
    if parts:
        key = re.compile(r"^\s*" + re.escape(parts[-1]) + r"\s*=")
        for number, line in enumerate(lines, start=1):
            if key.match(line):
                return f"line {number}"
    return "line ?"


def parse_rules(text: str, source: str) -> Rules:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # message already says "(at line N, column M)"
        raise RulesError(f"{source}: invalid TOML: {exc}") from None
    try:
        model = RulesModel.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(root)"
            problems.append(f"{source}: {_locate(text, err['loc'])}: key '{key}': {err['msg']}")
        raise RulesError("\n".join(problems)) from None
    missing = _missing_settings(raw)
    if missing:
        raise RulesError("\n".join(f"{source}: {problem}" for problem in missing))
    return Rules(model=model, source=source)


@lru_cache(maxsize=1)
def _packaged_settings() -> dict[str, dict[str, dict[str, Any]]]:
    """The ``thresholds`` and ``plugin_data`` tables of the packaged rules: what every rules file sets."""
    raw = tomllib.loads(default_rules_text())
    return {section: raw.get(section, {}) for section in ("thresholds", "plugin_data")}


def _missing_settings(raw: dict[str, Any]) -> list[str]:
    """The packaged thresholds and plugin data tables ``raw`` leaves out, one problem per key."""
    problems = []
    for section, tables in _packaged_settings().items():
        for plugin, keys in tables.items():
            present = raw.get(section, {}).get(plugin, {})
            for key, value in keys.items():
                if key not in present:
                    shown = f" (the packaged rules set {value!r})" if section == "thresholds" else ""
                    problems.append(f"key '{section}.{plugin}.{key}' is missing: plugin {plugin!r} reads it{shown}")
    return problems


def default_rules_text() -> str:
    """The packaged rules. Read next to this module when it is a plain file (every install but a zip):
    importlib.resources' readers (zipfile among them) cost a cold ``preuves check`` ~3 ms."""
    beside = Path(__file__).with_name("data") / "rules.toml"
    if beside.is_file():
        return beside.read_text(encoding="utf-8")
    from importlib import resources

    return resources.files("validator_core").joinpath("data/rules.toml").read_text(encoding="utf-8")


def load_rules(path: str | Path | None = None) -> Rules:
    """Load the rules: ``path`` when given, else the packaged ANS rules."""
    if path is None:
        return parse_rules(default_rules_text(), "validator_core/data/rules.toml")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read rules file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RulesError(f"{path}: rules file is not UTF-8 text") from None
    return parse_rules(text, str(path))
