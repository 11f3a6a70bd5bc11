"""Which reminders fall due on a day: the next XR-NTX injection from ``next_injection_due`` and booked
appointments, from the day to ``days_ahead`` days later, boundaries included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.factories import make_injection, make_patient, make_regimen

from naltrack.domain.care import Appointment
from naltrack.domain.chart import PatientChart
from naltrack.domain.due_dates import next_injection_due
from naltrack.domain.rules.thresholds import DEFAULT
from naltrack.services.reminders import reminders_due

TZ = ZoneInfo("America/New_York")
LAST_SHOT_DAY = date(2026, 2, 2)
DUE = LAST_SHOT_DAY + timedelta(days=28)  # what next_injection_due says for a q4w regimen


def _chart(*appointments: Appointment) -> PatientChart:
    shot = make_injection(given_at=datetime.combine(LAST_SHOT_DAY, time(10), TZ))
    return PatientChart(patient=make_patient(), regimens=(make_regimen(),), injections=(shot,),
                        appointments=appointments)


def _kinds(chart: PatientChart, day: date, days_ahead: int = 3) -> list[tuple[str, date]]:
    now = datetime.combine(day, time(6), TZ)
    return [(d.kind, d.on) for d in reminders_due(chart, day, days_ahead, TZ, DEFAULT, now)]


def test_the_due_day_is_next_injection_due() -> None:
    assert next_injection_due(_chart(), DUE - timedelta(days=3), TZ, DEFAULT) == DUE


@pytest.mark.parametrize(("days_before", "reminded"), [(4, False), (3, True), (2, True), (0, True)])
def test_injection_due_in_exactly_n_days_is_reminded_n_plus_1_is_not(days_before: int, reminded: bool) -> None:
    found = _kinds(_chart(), DUE - timedelta(days=days_before), days_ahead=3)
    assert found == ([("injection", DUE)] if reminded else [])


def test_an_overdue_injection_is_not_reminded_as_upcoming() -> None:
    assert _kinds(_chart(), DUE + timedelta(days=1)) == []


def test_days_ahead_zero_reminds_on_the_day_only() -> None:
    assert _kinds(_chart(), DUE, days_ahead=0) == [("injection", DUE)]
    assert _kinds(_chart(), DUE - timedelta(days=1), days_ahead=0) == []


def _visit(day: date, hour: int = 10, **overrides: object) -> Appointment:
    values: dict[str, object] = {"id": f"a-{day}-{hour}", "patient_id": "p-test-1", "kind": "prescriber",
                                 "starts_at": datetime.combine(day, time(hour, 30), TZ)}
    return Appointment(**{**values, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(("days_ahead_of_visit", "reminded"), [(3, True), (4, False), (0, True)])
def test_appointment_boundaries(days_ahead_of_visit: int, reminded: bool) -> None:
    day = date(2026, 1, 12)
    visit = _visit(day + timedelta(days=days_ahead_of_visit))
    found = _kinds(_chart(visit), day, days_ahead=3)
    assert found == ([("appointment", visit.starts_at.date())] if reminded else [])


def test_appointments_not_booked_past_or_retracted_are_not_reminded() -> None:
    day = date(2026, 1, 12)
    cancelled = _visit(day + timedelta(days=1), appointment_status="cancelled")
    retracted = replace(_visit(day + timedelta(days=2)), status="entered-in-error")
    earlier_today = _visit(day, hour=5)  # 05:30, before "now" (06:00)
    assert _kinds(_chart(cancelled, retracted, earlier_today), day) == []


def test_the_appointment_subject_is_its_local_start() -> None:
    day = date(2026, 1, 12)
    visit = _visit(day + timedelta(days=1), hour=23)  # 23:30 New York is the next day in UTC
    [due] = reminders_due(_chart(visit), day, 3, TZ, DEFAULT, datetime.combine(day, time(6), UTC))
    assert due.subject == "2026-01-13T23:30" and due.on == date(2026, 1, 13) and due.appointment_id == visit.id
