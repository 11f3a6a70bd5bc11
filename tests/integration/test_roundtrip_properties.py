"""Property: whatever valid record goes in comes back equal (times in any offset, any lot, any value)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.factories import NOW, make_clinic, make_injection, make_lab, make_patient
from tests.seeding import seed

from naltrack.bootstrap import Storage
from naltrack.domain.administrations import Injection
from naltrack.domain.observations import LabResult

_ids = itertools.count()

offsets = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.builds(lambda base, tz: base.replace(tzinfo=UTC).astimezone(tz),
                    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 3, 1)), offsets)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: s.strip() != "")


@pytest.fixture(scope="module")
def store() -> Iterator[Storage]:
    storage = Storage("sqlite://")
    seed(storage.uow, clinics=[make_clinic()], patients=[make_patient()])
    yield storage
    storage.close()


@given(given_at=moments, side=st.sampled_from(["left", "right"]), lot=texts, needle=st.sampled_from([1.5, 2.0]),
       shelf_days=st.integers(0, 900), nurse=texts)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_valid_injection_round_trips(store: Storage, given_at: datetime, side: str, lot: str, needle: float,
                                         shelf_days: int, nurse: str) -> None:
    shot = make_injection(id=f"prop-inj-{next(_ids)}", given_at=given_at, side=side, lot=lot, needle_length_in=needle,
                          expiry=given_at.date() + timedelta(days=shelf_days), given_by=nurse)
    seed(store.uow, records=[shot], now=NOW)
    with store.uow() as uow:
        back = uow.records.get(Injection, shot.id)
    assert back == replace(shot, recorded_at=NOW)
    assert back.given_at.tzinfo is not None


@given(value=st.floats(-1e9, 1e9, allow_nan=False), low=st.none() | st.floats(0, 100), collected=moments,
       unit=st.sampled_from(["U/L", "mg/dL", "ng/mL", "%"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_valid_lab_round_trips(store: Storage, value: float, low: float | None, collected: datetime,
                                   unit: str) -> None:
    lab = make_lab(id=f"prop-lab-{next(_ids)}", value=value, unit=unit, collected_at=collected, reference_low=low,
                   reference_high=None if low is None else low + 50.0)
    seed(store.uow, records=[lab], now=NOW)
    with store.uow() as uow:
        back = uow.records.get(LabResult, lab.id)
    assert back.value == lab.value and back.collected_at == lab.collected_at
    assert (back.reference_low, back.reference_high, back.unit) == (lab.reference_low, lab.reference_high, unit)


def test_expiry_dates_come_back_as_dates(store: Storage) -> None:
    shot = make_injection(id="prop-expiry", expiry=date(2027, 12, 31))
    seed(store.uow, records=[shot], now=NOW)
    with store.uow() as uow:
        assert uow.records.get(Injection, "prop-expiry").expiry == date(2027, 12, 31)
