"""Check-in and no-show on the day's schedule, over real HTTP (uvicorn on a loopback port), on SQLite and
PostgreSQL: each mark is a correction of the appointment, a stale page is refused with a notice, a role that only
reads the schedule sees no buttons and is refused a post."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from tests.integration.test_cds_hooks import LiveServer
from tests.seeding import seed

from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.care import Appointment
from naltrack.domain.patients import Clinic, Patient
from naltrack.services.security import add_user

PASSWORD = "schedule-synthetic-pass"
TZ = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Clinic1:
    url: str
    app: object
    today: date


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


@pytest.fixture()
def clinic(database_url: str, tmp_path: Path) -> Iterator[Clinic1]:
    """Two patients booked today (09:00 and 09:30), a front desk and an admin (who reads the schedule only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(Settings(data_dir=tmp_path, database_url=database_url, secret_key="schedule-secret",
                                  timezone=TZ.key))
    now = datetime.now(UTC)
    today = now.astimezone(TZ).date()
    storage = app.state.storage
    seed(storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic", timezone=TZ.key)])
    for name, role in (("desk.lee", "front-desk"), ("admin.ash", "admin")):
        add_user(app.state.secure_uow, name, PASSWORD, role, "c1", now)
    seed(storage.uow, patients=[
        Patient(id="p1", clinic_id="c1", given_name="Dana", family_name="Reyes", birth_date=date(1988, 4, 2),
                sex_at_birth="female"),
        Patient(id="p2", clinic_id="c1", given_name="Omar", family_name="Quinn", birth_date=date(1979, 1, 9),
                sex_at_birth="male")])
    seed(storage.uow, records=[
        Appointment(id="a1", patient_id="p1", kind="injection", starts_at=_at(today, 9)),
        Appointment(id="a2", patient_id="p2", kind="counseling", starts_at=_at(today, 9, 30))], now=now)
    with LiveServer(app) as url:
        yield Clinic1(url, app, today)
    storage.close()


def signed_in(clinic: Clinic1, username: str) -> httpx.Client:
    client = httpx.Client(base_url=clinic.url)
    response = client.post("/sign-in", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return client


def mark_form(page: str, appointment_id: str, status: str) -> dict[str, str]:
    """The hidden fields of the schedule's form that marks ``appointment_id`` as ``status``."""
    forms = re.findall(rf'<form method="post" action="/schedule/appointments/{appointment_id}/status">(.*?)</form>',
                       page, re.S)
    form = next(f for f in forms if f'name="status" value="{status}"' in f)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    return {**fields, "status": status}


def appointments(clinic: Clinic1, patient_id: str) -> list[Appointment]:
    with clinic.app.state.storage.uow() as uow:  # type: ignore[attr-defined]
        return list(uow.records.for_patient(patient_id)["appointments"])


def active(clinic: Clinic1, patient_id: str) -> Appointment:
    [current] = [a for a in appointments(clinic, patient_id) if a.status == "active"]
    return current


def test_front_desk_checks_one_patient_in_and_marks_another_no_show(clinic):
    desk = signed_in(clinic, "desk.lee")
    page = desk.get("/schedule").text
    assert page.count(">Checked in<span") == 2 and page.count(">No-show<span") == 2
    checked = desk.post("/schedule/appointments/a1/status", data=mark_form(page, "a1", "arrived"))
    assert checked.status_code == 303
    location = checked.headers["location"]
    arrived = active(clinic, "p1")
    assert location == f"/schedule?day={clinic.today.isoformat()}&changed={arrived.id}"
    assert (arrived.appointment_status, arrived.supersedes) == ("arrived", "a1")
    assert arrived.starts_at == _at(clinic.today, 9)
    [old] = [a for a in appointments(clinic, "p1") if a.id == "a1"]
    assert (old.status, old.version, old.appointment_status) == ("entered-in-error", 2, "booked")
    shown = desk.get(location).text
    assert 'id="schedule-notice">Dana Reyes, 09:00: checked in.</p>' in shown
    row = shown.split(f'id="visit-{arrived.id}"')[1].split("</tr>")[0]
    assert ">Checked in</span>" in row and ">Seen<span" in row and ">Undo check-in<span" in row
    assert ">No-show<span" not in row
    missed = desk.post("/schedule/appointments/a2/status", data=mark_form(shown, "a2", "noshow"))
    assert missed.status_code == 303
    assert active(clinic, "p2").appointment_status == "noshow"
    seen = desk.get(missed.headers["location"])
    final = desk.post(f"/schedule/appointments/{arrived.id}/status", data=mark_form(seen.text, arrived.id, "fulfilled"))
    assert final.status_code == 303 and active(clinic, "p1").appointment_status == "fulfilled"
    assert "Seen</span>" in desk.get(final.headers["location"]).text


def test_a_stale_schedule_is_refused_with_a_notice_and_nothing_saved(clinic):
    desk = signed_in(clinic, "desk.lee")
    page = desk.get("/schedule").text
    first = desk.post("/schedule/appointments/a1/status", data=mark_form(page, "a1", "arrived"))
    assert first.status_code == 303
    stale = desk.post("/schedule/appointments/a1/status", data=mark_form(page, "a1", "noshow"))
    assert stale.status_code == 409
    assert "Not saved: someone changed this visit meanwhile" in stale.text
    assert [a.appointment_status for a in appointments(clinic, "p1") if a.status == "active"] == ["arrived"]
    assert len(appointments(clinic, "p1")) == 2


def test_the_same_form_posted_twice_records_once(clinic):
    desk = signed_in(clinic, "desk.lee")
    form = mark_form(desk.get("/schedule").text, "a2", "arrived")
    assert desk.post("/schedule/appointments/a2/status", data=form).status_code == 303
    again = desk.post("/schedule/appointments/a2/status", data=form)
    assert again.status_code == 303 and again.headers["location"] == f"/schedule?day={clinic.today.isoformat()}"
    assert len(appointments(clinic, "p2")) == 2


def test_a_no_show_is_only_marked_from_booked(clinic):
    desk = signed_in(clinic, "desk.lee")
    desk.post("/schedule/appointments/a1/status", data=mark_form(desk.get("/schedule").text, "a1", "arrived"))
    arrived = active(clinic, "p1")
    page = desk.get("/schedule").text
    form = {**mark_form(page, arrived.id, "fulfilled"), "status": "noshow"}
    refused = desk.post(f"/schedule/appointments/{arrived.id}/status", data=form)
    assert refused.status_code == 422
    assert "Not saved: a visit marked checked in cannot be marked no-show." in refused.text
    assert active(clinic, "p1").id == arrived.id


def test_a_role_that_only_reads_the_schedule_sees_no_buttons_and_is_refused(clinic):
    page = signed_in(clinic, "desk.lee").get("/schedule").text
    admin = signed_in(clinic, "admin.ash")
    shown = admin.get("/schedule").text
    assert "Dana Reyes" in shown and "Booked</span>" in shown and "/status" not in shown
    form = {**mark_form(page, "a1", "arrived"), "csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', shown).group(1)}
    refused = admin.post("/schedule/appointments/a1/status", data=form)
    assert refused.status_code == 403 and "The admin role may not update schedule" in refused.text
    assert active(clinic, "p1").id == "a1"
