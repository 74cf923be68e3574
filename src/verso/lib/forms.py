"""HTML form input: parse a submitted form into a typed msgspec Struct, collecting every field error.

A form is a ``msgspec.Struct`` whose fields carry ``Annotated[..., Meta(...)]`` constraints. Each
field is converted on its own so the person sees every problem at once, each worded for people
("Must be at least 12 characters.", not msgspec's wording). ``Meta(extra={"error": "..."})`` overrides
the message for one field. Rules that span fields go in an optional ``check()`` method returning
``{field: message}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import msgspec

S = TypeVar("S", bound=msgspec.Struct)
NON_FIELD = "__all__"
_FALSE = {"", "0", "false", "off", "no"}

_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"length >= 1\b"), "This field is required."),
    (re.compile(r"length >= (\d+)"), "Must be at least {0} characters."),
    (re.compile(r"length <= (\d+)"), "Must be at most {0} characters."),
    (re.compile(r"`(?:int|float)` >= (-?[\d.]+)"), "Must be at least {0}."),
    (re.compile(r"`(?:int|float)` <= (-?[\d.]+)"), "Must be at most {0}."),
    (re.compile(r"`(?:int|float)` > (-?[\d.]+)"), "Must be more than {0}."),
    (re.compile(r"`(?:int|float)` < (-?[\d.]+)"), "Must be less than {0}."),
    (re.compile(r"Expected `int`"), "Enter a whole number."),
    (re.compile(r"Expected `float`"), "Enter a number."),
    (re.compile(r"Expected `date`|Invalid RFC3339 encoded date"), "Enter a valid date."),
    (re.compile(r"Expected `datetime`|Invalid RFC3339 encoded datetime"), "Enter a valid date and time."),
    (re.compile(r"Invalid enum value"), "Choose one of the options."),
    (re.compile(r"matching regex"), "Is not in the expected format."),
]


@dataclass
class FormState:
    """What a template needs to redisplay a form: the submitted values and the errors by field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def valid(self) -> bool:
        return not self.errors


def humanize(message: str) -> str:
    for pattern, text in _MESSAGES:
        if match := pattern.search(message):
            return text.format(*match.groups())
    return "Enter a valid value."


def _split_annotation(tp: Any) -> tuple[Any, bool, str | None]:
    """(type to convert to, whether None is allowed, custom error message)."""
    custom = None
    if get_origin(tp) is Annotated:
        for meta in get_args(tp)[1:]:
            if isinstance(meta, msgspec.Meta) and meta.extra and "error" in meta.extra:
                custom = meta.extra["error"]
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    optional = get_origin(base) is Union and type(None) in get_args(base)
    if not optional and hasattr(base, "__args__") and type(None) in getattr(base, "__args__", ()):
        optional = True
    return tp, optional, custom


def _is_bool(tp: Any) -> bool:
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    return base is bool


def _is_list(tp: Any) -> bool:
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    return get_origin(base) is list


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    encode_name: str
    many: bool
    boolean: bool
    target: Any
    optional: bool
    custom: str | None
    required: bool


@lru_cache(maxsize=256)
def _fields(schema: type[Any]) -> tuple[_Field, ...]:
    """What :func:`parse_form` needs of each field, worked out once per form class (reading a
    struct's annotations costs more than converting a form)."""
    fields = []
    for info in msgspec.structs.fields(schema):
        target, optional, custom = _split_annotation(info.type)
        fields.append(
            _Field(
                info.name,
                info.encode_name,
                _is_list(info.type),
                _is_bool(info.type),
                target,
                optional,
                custom,
                info.required,
            )
        )
    return tuple(fields)


def parse_form(data: Mapping[str, Any], schema: type[S]) -> tuple[S | None, FormState]:
    """Convert ``data`` (a submitted form) into ``schema``; on failure return ``None`` and the errors."""
    state = FormState()
    converted: dict[str, Any] = {}
    for info in _fields(schema):
        name = info.encode_name
        raw = _raw_value(data, name, many=info.many)
        if info.boolean:
            state.values[name] = raw not in (None, *_FALSE) if isinstance(raw, str | None) else bool(raw)
            converted[info.name] = state.values[name]
            continue
        state.values[name] = raw
        if isinstance(raw, str):
            raw = raw.strip()
        if raw in ("", None) and (info.optional or info.required is False):
            if info.optional:
                converted[info.name] = None
            continue
        if raw is None:
            raw = ""
        try:
            converted[info.name] = msgspec.convert(raw, info.target, strict=False)
        except msgspec.ValidationError as exc:
            state.add_error(name, info.custom or humanize(str(exc)))
    if state.errors:
        return None, state
    instance = schema(**converted)
    check = getattr(instance, "check", None)
    if callable(check):
        for name, message in (check() or {}).items():
            state.add_error(name, message)
    return (None, state) if state.errors else (instance, state)


def _raw_value(data: Mapping[str, Any], name: str, *, many: bool) -> Any:
    if many:
        getall = getattr(data, "getall", None)
        if callable(getall):
            return [v for v in getall(name, []) if v != ""]
        value = data.get(name)
        return value if isinstance(value, list) else ([] if value in (None, "") else [value])
    value = data.get(name)
    if isinstance(value, list):
        return value[-1] if value else None
    return value


def form_from(values: Mapping[str, Any]) -> FormState:
    """A clean form showing existing values (an edit page before submission)."""
    return FormState(values=dict(values))
