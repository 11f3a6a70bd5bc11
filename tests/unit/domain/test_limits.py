"""The storage limits: each refused one past its bound and accepted at it, in every constructor."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from tests.factories import make_injection, make_patient

from naltrack.adapters.db import tables
from naltrack.adapters.db.mappers import MAPPINGS
from naltrack.domain import limits
from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import Patient
from naltrack.domain.security.audit import AuditEvent
from naltrack.services.refusals import fit_for_audit

AT = datetime(2026, 1, 6, 9, tzinfo=UTC)


def test_a_text_field_holds_exactly_its_column_length() -> None:
    assert make_injection(lot="L" * 40).lot == "L" * 40
    with pytest.raises(InvalidInput, match=r"injection\.lot: 'L{20}\.\.\.' is longer than 40 characters"):
        make_injection(lot="L" * 41)


def test_free_text_holds_the_free_text_limit() -> None:
    assert make_patient(gender="g" * 64).gender == "g" * 64
    with pytest.raises(InvalidInput, match=r"patient\.gender: .* is longer than 64 characters"):
        make_patient(gender="g" * 65)


def test_nul_is_refused_in_any_text() -> None:
    with pytest.raises(InvalidInput, match=r"injection\.given_by: .* must not contain the NUL character"):
        make_injection(given_by="Nurse\x00")


def test_ids_hold_64_characters() -> None:
    assert make_injection(id="i" * 64).id == "i" * 64
    with pytest.raises(InvalidInput, match=r"injection\.id: .* is longer than 64 characters"):
        make_injection(id="i" * 65)


@pytest.mark.parametrize(("hours", "minutes"), [(14, 0), (-14, 0), (5, 30)])
def test_real_utc_offsets_are_accepted(hours: int, minutes: int) -> None:
    at = datetime(2026, 1, 6, 9, tzinfo=timezone(timedelta(hours=hours, minutes=minutes if hours > 0 else -minutes)))
    assert make_injection(given_at=at).given_at == at


@pytest.mark.parametrize("offset", [timedelta(hours=14, minutes=1), timedelta(hours=23, minutes=59),
                                    -timedelta(hours=14, minutes=1)])
def test_utc_offsets_beyond_14_hours_are_refused(offset: timedelta) -> None:
    with pytest.raises(InvalidInput, match=r"injection\.given_at: .* has a UTC offset beyond -14:00\.\.\+14:00"):
        make_injection(given_at=datetime(2026, 1, 6, 9, tzinfo=timezone(offset)))


_DATES = r"must be from 1900-01-01 to 2100-12-31"
_INTS = r"must be between -2147483648 and 2147483647"


@pytest.mark.parametrize(("check", "value", "refused"), [
    (limits.check_date, date(1900, 1, 1), None), (limits.check_date, date(2100, 12, 31), None),
    (limits.check_date, date(1899, 12, 31), _DATES), (limits.check_date, date(2101, 1, 1), _DATES),
    (limits.check_int, 2**31 - 1, None), (limits.check_int, -(2**31), None),
    (limits.check_int, 2**31, _INTS), (limits.check_int, -(2**31) - 1, _INTS),
])
def test_each_bound_is_inclusive(check: typing.Callable[[str, typing.Any], None], value: object,
                                 refused: str | None) -> None:
    if refused is None:
        check("x", value)
        return
    with pytest.raises(InvalidInput, match=rf"x: .* {refused}"):
        check("x", value)


def test_a_time_on_a_date_outside_the_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"given_at: '0001-01-01T00:00:00\+01:00' must be from 1900-01-01"):
        make_injection(given_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))


def test_a_patient_outside_the_limits_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"patient\.version: 2147483648 must be between"):
        make_patient(version=2**31)


def _literal_choices(tp: object) -> tuple[str, ...]:
    args = typing.get_args(tp)
    if typing.get_origin(tp) is typing.Literal:
        return typing.cast(tuple[str, ...], args)
    return tuple(c for a in args for c in _literal_choices(a))


_TABLES: list[tuple[type, sa.Table]] = [(m.cls, m.table) for m in MAPPINGS.values()] + [(Patient, tables.patients)]


@pytest.mark.parametrize(("cls", "table"), _TABLES, ids=[cls.__name__ for cls, _ in _TABLES])
def test_every_text_limit_is_its_column_length(cls: type, table: sa.Table) -> None:
    """One limit per column: the domain's text limits equal the VARCHAR lengths, and no choice is longer."""
    hints = typing.get_type_hints(cls)
    checked = 0
    for field in dataclasses.fields(cls):
        column = table.c.get(field.name)
        if column is None or not isinstance(column.type, sa.String) or isinstance(column.type, sa.Text):
            continue
        choices = _literal_choices(hints[field.name])
        if choices:
            assert max(map(len, choices)) <= column.type.length, (cls.__name__, field.name)
        else:
            assert limits.text_limit(cls.__name__, field.name) == column.type.length, (cls.__name__, field.name)
        checked += 1
    assert checked >= 5


def test_a_refusal_fits_the_audit_log_however_long_its_input() -> None:
    event = AuditEvent(at=AT, actor="u1", clinic_id="c1", action="read", category="labs", record_type="labs",
                       record_id="r\x00" * 5000, patient_id="p" * 5000, outcome="not-found", detail="d" * 10_000)
    fitted = fit_for_audit(event)
    assert (len(fitted.record_id or ""), len(fitted.patient_id or ""), len(fitted.detail or "")) == (64, 64, 500)
    assert "\x00" not in (fitted.record_id or "")
    assert fitted.record_id.startswith("r\\0r\\0")  # type: ignore[union-attr]
