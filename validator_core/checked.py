"""Checked dataclasses: values from outside (plugin results, ``PREUVES_*`` variables, rules files)
converted to their fields' annotated types, with every problem named by its location.

The report models, the engine settings and the rules are stdlib dataclasses built on :class:`Checked`
rather than pydantic models: pydantic costs a cold ``preuves check`` more than checking one PNG does.
A field's limits ride on its annotation::

    size: Annotated[int, Check(ge=0, description="Taille en octets")]

Construction converts what it can (``"3"`` → 3, a dict → the nested dataclass, a list → a new list) and
raises :class:`ValidationError` (a ``ValueError``) listing every problem. The published JSON Schema is
still made by pydantic, only when asked (``validator_core/schema``, the HTTP service's OpenAPI):
:class:`Check` tells pydantic's schema generator its limits and description.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, Callable, ClassVar, Literal

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]
# A converter returns the converted value, or _BAD after appending its problems.
Converter = Callable[[Any, Loc, list[Problem]], Any]
_BAD: Any = object()
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class ValidationError(ValueError):
    """Values that do not fit a checked dataclass; ``errors()`` lists each problem with its location."""

    def __init__(self, title: str, problems: list[Problem]) -> None:
        self.title = title
        self.problems = problems
        lines = [f"{'.'.join(str(p) for p in loc) or '(root)'}: {msg}" for loc, msg in problems]
        count = len(problems)
        super().__init__(f"{count} validation error{'s' if count > 1 else ''} for {title}\n  " + "\n  ".join(lines))

    def errors(self) -> list[dict[str, Any]]:
        """``[{"loc": (...), "msg": "..."}]``, the shape pydantic uses (rules errors cite it)."""
        return [{"loc": loc, "msg": msg} for loc, msg in self.problems]


class FieldError(ValueError):
    """Raised by :meth:`Checked._check` for a problem that belongs to one field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    """A field's limits and documentation (``Annotated`` metadata)."""

    description: str | None = None
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    pattern: str | None = None
    examples: list[Any] | None = None
    split: str | None = None  # a string is split on this separator into a list (comma lists in PREUVES_*)

    def problem(self, value: Any) -> str | None:
        if self.gt is not None and not value > self.gt:
            return f"Input should be greater than {self.gt:g}"
        if self.ge is not None and not value >= self.ge:
            return f"Input should be greater than or equal to {self.ge:g}"
        if self.le is not None and not value <= self.le:
            return f"Input should be less than or equal to {self.le:g}"
        if self.min_length is not None and len(value) < self.min_length:
            return f"Should have at least {self.min_length} item{'s' if self.min_length > 1 else ''}, not {len(value)}"
        if self.pattern is not None and not _regex(self.pattern).search(value):
            return f"String should match pattern '{self.pattern}'"
        return None

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        """Only when a schema is asked for (pydantic calls this; nothing here imports pydantic)."""
        schema = handler(core_schema)
        length = {"array": "minItems", "object": "minProperties"}.get(schema.get("type"), "minLength")
        for key, value in (("exclusiveMinimum", self.gt), ("minimum", self.ge), ("maximum", self.le),
                           (length, self.min_length), ("pattern", self.pattern), ("examples", self.examples),
                           ("description", self.description)):
            if value is not None:
                schema[key] = value
        return schema


_REGEXES: dict[str, re.Pattern[str]] = {}


def _regex(pattern: str) -> re.Pattern[str]:
    compiled = _REGEXES.get(pattern)
    if compiled is None:
        compiled = _REGEXES[pattern] = re.compile(pattern)
    return compiled


class Checked:
    """Base of the checked dataclasses (decorate subclasses with ``@dataclass(slots=True)``).

    Fields are converted and checked at construction; :meth:`_check` adds rules across fields.
    """

    __slots__ = ()
    EXTRA: ClassVar[str] = "ignore"  # unknown keys in model_validate(): "ignore" or "forbid"

    def __post_init__(self) -> None:
        check_fields(self)

    def _check(self) -> None:
        """Rules across fields, after each field is converted: raise ValueError or :class:`FieldError`."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values (enums as their values, tuples as lists, nested dataclasses as dicts)."""
        return to_json(self)

    @classmethod
    def model_validate(cls, data: Any) -> Any:
        """An instance from a mapping (an instance is returned as it is); :class:`ValidationError` if it does not fit."""
        problems: list[Problem] = []
        value = _build(cls, data, (), problems)
        if problems:
            raise ValidationError(cls.__name__, problems)
        return value


# -- conversion ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str
    convert: Converter
    check: Check | None
    required: bool


_PLANS: dict[type, tuple[_Field, ...]] = {}


def _plan(cls: type) -> tuple[_Field, ...]:
    """The fields of a checked dataclass with their converters (built once per class)."""
    fields = _PLANS.get(cls)
    if fields is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        out = []
        for f in dataclasses.fields(cls):
            hint, check = hints[f.name], None
            if typing.get_origin(hint) is typing.Annotated:
                hint, *extras = typing.get_args(hint)
                check = next((e for e in extras if isinstance(e, Check)), None)
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            out.append(_Field(f.name, _converter(hint), check, required))
        fields = _PLANS[cls] = tuple(out)
    return fields


def _convert_field(field: _Field, value: Any, loc: Loc, problems: list[Problem]) -> Any:
    check = field.check
    if check is not None and check.split is not None and isinstance(value, str):
        value = [part.strip() for part in value.split(check.split) if part.strip()]
    value = field.convert(value, loc, problems)
    if value is not _BAD and value is not None and check is not None:
        message = check.problem(value)
        if message is not None:
            problems.append((loc, message))
            return _BAD
    return value


def check_fields(obj: Any) -> None:
    """Convert every field of ``obj`` in place, then run its ``_check``; raise :class:`ValidationError`."""
    problems: list[Problem] = []
    for field in _plan(type(obj)):
        value = _convert_field(field, getattr(obj, field.name), (field.name,), problems)
        if value is not _BAD:
            object.__setattr__(obj, field.name, value)  # frozen dataclasses too
    if not problems:
        try:
            obj._check()
        except FieldError as exc:
            problems.append(((exc.field,), str(exc)))
        except ValueError as exc:
            problems.append(((), str(exc)))
    if problems:
        raise ValidationError(type(obj).__name__, problems)


def _build(cls: type, data: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        problems.append((loc, f"Input should be a valid dictionary or instance of {cls.__name__}"))
        return _BAD
    fields = _plan(cls)
    names = {f.name for f in fields}
    before = len(problems)
    for field in fields:
        if field.required and field.name not in data:
            problems.append(((*loc, field.name), "Field required"))
    if getattr(cls, "EXTRA", "ignore") == "forbid":
        problems.extend(((*loc, key), "Extra inputs are not permitted") for key in data if key not in names)
    values = {k: v for k, v in data.items() if k in names}
    if len(problems) > before:  # cannot construct: still say what is wrong with the values given
        for field in fields:
            if field.name in values:
                _convert_field(field, values[field.name], (*loc, field.name), problems)
        return _BAD
    try:
        return cls(**values)
    except ValidationError as exc:
        problems.extend(((*loc, *where), msg) for where, msg in exc.problems)
        return _BAD


def _converter(hint: Any) -> Converter:
    """A function converting a value to ``hint`` (the annotations these dataclasses use)."""
    if hint is Any or hint is object:
        return _same
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return _converter(args[0])
    if origin in (typing.Union, types.UnionType):
        return _union([_converter(a) for a in args if a is not type(None)], type(None) in args)
    if origin is Literal:
        return _literal(args)
    if origin is list or origin is tuple:
        item = _converter(args[0]) if args else _same
        return _sequence(list if origin is list else tuple, item)
    if origin is dict:
        return _mapping(_converter(args[1]) if args else _same)
    if hint is str:
        return _str
    if hint is bool:
        return _bool
    if hint is int:
        return _int
    if hint is float:
        return _float
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value, loc, problems: _build(hint, value, loc, problems)
    if isinstance(hint, type):  # Path, SecretStr…: built from the input
        return _constructed(hint)
    raise TypeError(f"no converter for {hint!r}")


def _same(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    return value


def _str(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, str):
        return value
    problems.append((loc, "Input should be a valid string"))
    return _BAD


def _bool(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    problems.append((loc, "Input should be a valid boolean (1/0, true/false, yes/no, on/off)"))
    return _BAD


def _int(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    problems.append((loc, "Input should be a valid integer"))
    return _BAD


def _float(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    problems.append((loc, "Input should be a valid number"))
    return _BAD


def _enum(cls: type[enum.Enum]) -> Converter:
    def convert(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        try:
            return cls(value)
        except ValueError:
            problems.append((loc, "Input should be " + _choices([m.value for m in cls])))
            return _BAD

    return convert


def _literal(choices: tuple[Any, ...]) -> Converter:
    def convert(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if value in choices:
            return value
        problems.append((loc, "Input should be " + _choices(choices)))
        return _BAD

    return convert


def _choices(values: Any) -> str:
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _union(members: list[Converter], optional: bool) -> Converter:
    def convert(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if value is None and optional:
            return None
        tried: list[Problem] = []
        for member in members:
            attempt: list[Problem] = []
            out = member(value, loc, attempt)
            if not attempt:
                return out
            tried.extend(attempt)
        problems.extend(tried[:1] if len(members) == 1 else tried)
        return _BAD

    return convert


def _sequence(kind: type, item: Converter) -> Converter:
    def convert(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if not isinstance(value, (list, tuple, set, frozenset)):
            problems.append((loc, f"Input should be a valid {'list' if kind is list else 'tuple'}"))
            return _BAD
        before = len(problems)
        out = [item(v, (*loc, i), problems) for i, v in enumerate(value)]
        return _BAD if len(problems) > before else kind(out)

    return convert


def _mapping(item: Converter) -> Converter:
    def convert(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if not isinstance(value, Mapping):
            problems.append((loc, "Input should be a valid dictionary"))
            return _BAD
        before = len(problems)
        out = {}
        for key, v in value.items():
            if not isinstance(key, str):
                problems.append(((*loc, str(key)), "Keys should be strings"))
                continue
            out[key] = item(v, (*loc, key), problems)
        return _BAD if len(problems) > before else out

    return convert


def _constructed(cls: type) -> Converter:
    def convert(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except (TypeError, ValueError) as exc:
            problems.append((loc, f"Input should be a valid {cls.__name__} ({exc})"))
            return _BAD

    return convert


# -- to JSON ---------------------------------------------------------------------------------------
def to_json(value: Any) -> Any:
    """Plain JSON values (what pydantic's ``model_dump(mode="json")`` gave for these types)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, Mapping):
        return {_key(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "isoformat"):  # datetime, date, time
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def _key(key: Any) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    return key if isinstance(key, str) else str(key)
