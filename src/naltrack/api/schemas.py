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

from fastapi import Path, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, Strict, WithJsonSchema, create_model

from naltrack.domain import limits
from naltrack.domain.errors import InvalidInput

#: Text without the NUL character.
NO_NUL = r"^[^\x00]*$"
BASE_FIELDS = ("id", "patient_id", "status", "supersedes", "recorded_at", "recorded_by", "version")


def _two_digits_below(limit: int) -> str:
    """A regex alternation of the two-digit numbers below ``limit`` (``14`` -> ``0[0-9]|1[0-3]``)."""
    tens, units = divmod(limit, 10)
    parts = [("0" if tens == 1 else f"[0-{tens - 1}]") + "[0-9]"] if tens else []
    return "|".join(parts + ([f"{tens}[0-{units - 1}]"] if units else []))


def _years(first: int, last: int) -> str:
    """A regex alternation of the years ``first..last`` (``1900, 2100`` -> ``19[0-9]{2}|20[0-9]{2}|2100``)."""
    parts = []
    for century in range(first // 100, last // 100 + 1):
        low, high = max(first, century * 100), min(last, century * 100 + 99)
        whole = low == century * 100 and high == century * 100 + 99
        parts += [f"{century}[0-9]{{2}}"] if whole else [str(year) for year in range(low, high + 1)]
    return "|".join(parts)


_HOURS = int(limits.MAX_UTC_OFFSET.total_seconds() // 3600)
_YEARS = _years(limits.DATE_RANGE[0].year, limits.DATE_RANGE[1].year)
#: What the schema says of a date and a date-time (the validators below enforce the same).
DATE_PATTERN = rf"^({_YEARS})-"
DATE_TIME_PATTERN = rf"^({_YEARS})-.*([Zz]|[+-]({_two_digits_below(_HOURS)}):?[0-5][0-9]|[+-]{_HOURS}:?00)$"


def _within_limits(value: datetime) -> datetime:
    """A date-time whose offset and date fit the storage limits (:mod:`naltrack.domain.limits`)."""
    try:
        limits.check_offset("time", value)
        limits.check_date("time", value)
    except InvalidInput as error:
        raise ValueError(error.rule) from None
    return value


#: An aware date-time within the limits, as the schema states them.
BoundedDateTime = Annotated[AwareDatetime, AfterValidator(_within_limits),
                            WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN})]
#: A date within :data:`naltrack.domain.limits.DATE_RANGE`, as the schema states it.
BoundedDate = Annotated[date, Field(ge=limits.DATE_RANGE[0], le=limits.DATE_RANGE[1],
                                    json_schema_extra={"pattern": DATE_PATTERN})]
#: An id in a path: at most :data:`naltrack.domain.limits.ID_MAX_LENGTH` characters, no NUL.
PathId = Annotated[str, Path(max_length=limits.ID_MAX_LENGTH, pattern=NO_NUL)]


def _scalar(tp: Any, owner: str, name: str) -> Any:
    """The request type of one scalar field of class ``owner``, with its storage limit."""
    if tp is str:
        # No NUL: PostgreSQL text and JSON cannot store it, so it is refused at the edge (422).
        return Annotated[str, Strict(), Field(max_length=limits.text_limit(owner, name), pattern=NO_NUL)]
    if tp is int:
        return Annotated[int, Strict(), Field(ge=limits.INT32_MIN, le=limits.INT32_MAX)]
    if tp is float:
        return Annotated[float, Strict(), Field(allow_inf_nan=False)]
    if tp is bool:
        return Annotated[bool, Strict()]
    return {datetime: BoundedDateTime, date: BoundedDate}.get(tp, tp)


class Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _convert(tp: Any, prefix: str, public: bool, owner: str = "", name: str = "") -> Any:
    origin = get_origin(tp)
    if origin is tuple:
        inner = get_args(tp)[0]
        return list[_convert(inner, prefix, public, owner, name)]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        return Union[tuple(_convert(a, prefix, public, owner, name) for a in get_args(tp))]  # noqa: UP007
    if origin is Literal:
        return tp
    if dataclasses.is_dataclass(tp):
        return model_for(tp, f"{prefix}{tp.__name__}", (), public)  # type: ignore[arg-type,union-attr]
    if tp is type(None) or public:
        return tp
    return _scalar(tp, owner, name)


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
        tp = _convert(hints[field.name], name, public, cls.__name__, field.name)
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
    """The public schema of a domain object, read from its attributes (nested records included), not copied."""
    return schema.model_validate(obj, from_attributes=True)


def json_of(model: BaseModel, headers: dict[str, str] | None = None) -> Response:
    """``model`` (already built and validated) as the JSON answer, as the route's ``response_model`` would serialise it.

    A synchronous route that returns the model instead has FastAPI validate it once more against the
    ``response_model``, in a second trip through the thread pool; the declared ``response_model`` still
    documents the answer.
    """
    return Response(model.model_dump_json(by_alias=True), media_type="application/json", headers=headers)


class ProblemDetail(BaseModel):
    """RFC 9457 problem details, with the offending field when there is one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    value: str | None = None
    limit: str | int | float | None = None
    errors: list[dict[str, Any]] | None = None
