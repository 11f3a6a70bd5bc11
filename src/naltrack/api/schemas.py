"""Request and response schemas, generated once from the domain dataclasses.

``XCreate`` carries what a client may send (no id, patient, status, provenance or version;
unknown fields rejected; no silent coercion of strings to numbers or booleans). ``XPublic``
is what the API returns. :func:`to_domain` turns validated input into the domain object,
whose own constructor then checks the clinical limits.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, create_model

#: Text without the NUL character.
NO_NUL = r"^[^\x00]*$"
BASE_FIELDS = ("id", "patient_id", "status", "supersedes", "recorded_at", "recorded_by", "version")
_SCALARS: dict[Any, Any] = {
    # No NUL: PostgreSQL text and JSON cannot store it, so it is refused at the edge (422), with the
    # limit stated in the OpenAPI schema.
    str: Annotated[str, Strict(), Field(max_length=2000, pattern=NO_NUL)],
    int: Annotated[int, Strict()],
    float: Annotated[float, Strict(), Field(allow_inf_nan=False)],
    bool: Annotated[bool, Strict()],
    datetime: AwareDatetime,
    date: date,
}


class Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _convert(tp: Any, prefix: str, public: bool) -> Any:
    origin = get_origin(tp)
    if origin is tuple:
        inner = get_args(tp)[0]
        return list[_convert(inner, prefix, public)]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        return Union[tuple(_convert(a, prefix, public) for a in get_args(tp))]  # noqa: UP007
    if origin is Literal:
        return tp
    if dataclasses.is_dataclass(tp):
        return model_for(tp, f"{prefix}{tp.__name__}", (), public)  # type: ignore[arg-type,union-attr]
    if tp is type(None):
        return tp
    if public:
        return tp
    return _SCALARS.get(tp, tp)


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return list(field.default_factory()) if isinstance(field.default_factory(), tuple) else ...
    return ...


@cache
def model_for(cls: type, name: str, exclude: tuple[str, ...] = (), public: bool = False) -> type[BaseModel]:
    """A pydantic model for dataclass ``cls`` without the ``exclude`` fields."""
    hints = get_type_hints(cls)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name in exclude:
            continue
        tp = _convert(hints[field.name], name, public)
        fields[field.name] = (tp, ... if public else _default(field))
    base = Public if public else Forbid
    return create_model(name, __base__=base, **fields)


def create_schema(cls: type, extra_exclude: tuple[str, ...] = ()) -> type[BaseModel]:
    return model_for(cls, f"{cls.__name__}Create", BASE_FIELDS + extra_exclude)


def public_schema(cls: type) -> type[BaseModel]:
    return model_for(cls, f"{cls.__name__}Public", (), True)


def to_domain(cls: type, data: dict[str, Any]) -> Any:
    """Build dataclass ``cls`` from plain data (nested dataclasses and tuples included)."""
    hints = get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if field.name in data:
            values[field.name] = _build(hints[field.name], data[field.name])
    return cls(**values)


def _build(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(tp)
    if origin is tuple:
        return tuple(_build(get_args(tp)[0], v) for v in value)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(tp) if a is not type(None)]
        return _build(inner[0], value) if len(inner) == 1 else value
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return to_domain(tp, value)  # type: ignore[arg-type]
    return value


def to_public(schema: type[BaseModel], obj: Any) -> BaseModel:
    """The public schema of a domain object."""
    return schema.model_validate(dataclasses.asdict(obj))


class ProblemDetail(BaseModel):
    """RFC 9457 problem details, with the offending field when there is one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    value: str | None = None
    errors: list[dict[str, Any]] | None = None
