"""Lists audit whom they show (services/access.Access.showed): the dashboard, the patient list and search, and the
schedule write one audit entry per patient shown, so "who saw this patient" includes everyone who saw a list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.test_web_pages import TZ, app, seeded_database, signed_in  # noqa: F401  (fixtures)
from tests.seeding import seed

from naltrack.domain.care import Appointment


def entries(app, record_type: str) -> list[tuple[str | None, str | None, str]]:  # noqa: F811
    with app.state.application.ctx.uow() as uow:
        return [(e.patient_id, e.detail, e.outcome) for e in uow.security.iter_audit() if e.record_type == record_type]


def test_the_dashboard_audits_each_patient_it_shows(app):  # noqa: F811
    signed_in(app, "nurse.kim").get("/")
    assert ("p1", "shown on the dashboard", "allowed") in entries(app, "dashboard")  # p1 is due today


def test_a_patient_search_audits_each_patient_found(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    assert "Reyes" in nurse.get("/patients?q=Reyes").text
    assert ("p1", "shown on a patient search", "allowed") in entries(app, "patients")
    nurse.get("/patients?q=Nobody")
    assert [e for e in entries(app, "patients") if e[0] is None]  # an empty result: one entry for the search


def test_the_schedule_audits_each_patient_booked(app):  # noqa: F811
    now = datetime.now(UTC)
    seed(app.state.storage.uow, records=[Appointment(id="a1", patient_id="p1", kind="injection",
                                                     starts_at=now + timedelta(hours=1))], now=now)
    desk = signed_in(app, "desk.lee")
    day = (now + timedelta(hours=1)).astimezone(TZ).date()
    desk.get(f"/schedule?day={day.isoformat()}")
    assert ("p1", f"shown on the schedule of {day}", "allowed") in entries(app, "appointments")
