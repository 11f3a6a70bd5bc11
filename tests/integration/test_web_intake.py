"""Intake through the real app: a phone number, and a possible duplicate stopped until the registrar says otherwise."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from tests.integration.test_web_pages import TZ, app, csrf, seeded_database, signed_in  # noqa: F401  (fixtures)
from tests.seeding import seed

from naltrack.domain.administrations import OralDose
from naltrack.domain.regimens import Regimen
from naltrack.services.security_ports import AuditQuery

DANA_AGAIN = {"given_name": "dana", "family_name": "Réyes", "birth_date": "1988-04-02", "sex_at_birth": "female"}


def _count(application, family: str) -> int:
    with application.state.storage.uow() as uow:
        return uow.patients.count(clinic_id="c1", text=family)


def _intake(client, **values: str):
    page = client.get("/patients/new").text
    return client.post("/patients/new", follow_redirects=False, data={"csrf_token": csrf(page), **values})


def test_a_second_intake_of_the_same_person_is_stopped_with_the_patient_named_and_audited(app):  # noqa: F811
    desk = signed_in(app, "desk.lee")
    response = _intake(desk, **DANA_AGAIN, phone="555-0100")
    assert response.status_code == 409
    notice = response.text.split('id="possible-duplicates"')[1].split("</div>")[0]
    assert '<a href="/patients/p1">Dana Reyes</a>' in notice
    assert re.search(r"born <span class=\"nowrap\">[^<]*1988[^<]*</span>, MRN MRN-1", notice)
    assert "This is a different person: register anyway" in response.text
    assert 'value="Réyes"' in response.text and 'value="555-0100"' in response.text  # the form keeps the entries
    assert _count(app, "reyes") == 1 and _count(app, "réyes") == 0
    with app.state.secure_uow() as uow:
        shown = [e for e in uow.security.search_audit(AuditQuery(patient_id="p1"), "c1") if e.action == "read"]
    assert [(e.category, e.detail) for e in shown] == [("demographics", "shown on a possible duplicate at intake")]


def test_ticking_a_different_person_registers_with_the_phone_on_the_chart(app):  # noqa: F811
    desk = signed_in(app, "desk.lee")
    response = _intake(desk, **DANA_AGAIN, phone="555-0100", different_person="yes")
    assert response.status_code == 303
    new_id = response.headers["location"].rsplit("/", 1)[1]
    with app.state.storage.uow() as uow:
        patient = uow.patients.find(new_id)
    assert patient is not None and patient.family_name == "Réyes"
    assert [(c.system, c.value, c.use) for c in patient.telecom] == [("phone", "555-0100", "mobile")]


def test_another_birth_date_registers_at_once_and_no_phone_stores_none(app):  # noqa: F811
    desk = signed_in(app, "desk.lee")
    response = _intake(desk, **(DANA_AGAIN | {"birth_date": "1988-04-03"}))
    assert response.status_code == 303
    with app.state.storage.uow() as uow:
        patient = uow.patients.find(response.headers["location"].rsplit("/", 1)[1])
    assert patient is not None and patient.telecom == ()


def test_a_phone_over_the_limit_is_shown_inline_and_nothing_is_written(app):  # noqa: F811
    desk = signed_in(app, "desk.lee")
    response = _intake(desk, given_name="Ivy", family_name="Stone", birth_date="1990-01-01", sex_at_birth="female",
                       phone="5" * 255)
    assert response.status_code == 422
    error = response.text.split('id="e-phone"')[1].split("</")[0]
    assert "Phone: &#39;55555555555555555555...&#39; is longer than 254 characters" in error
    assert _count(app, "stone") == 0
    assert _intake(desk, given_name="Ivy", family_name="Stone", birth_date="1990-01-01", sex_at_birth="female",
                   phone="5" * 254).status_code == 303


def test_the_dashboard_offers_to_call_a_patient_losing_protection_on_their_phone(app):  # noqa: F811
    """Targeted oral dosing (no next tablet scheduled), 100 mg two days ago: protection ends today."""
    desk = signed_in(app, "desk.lee")
    registered = _intake(desk, given_name="Olive", family_name="Park", birth_date="1979-06-01", sex_at_birth="female",
                         phone="555 0100")
    patient_id = registered.headers["location"].rsplit("/", 1)[1]
    taken = datetime.combine(datetime.now(TZ).date() - timedelta(days=2), time(14), tzinfo=TZ)
    seed(app.state.storage.uow, records=[
        Regimen(id="r-olive", patient_id=patient_id, kind="targeted", start=taken.date() - timedelta(days=20)),
        OralDose(id="d-olive", patient_id=patient_id, taken_at=taken.astimezone(UTC), dose_mg=100.0)],
        now=datetime.now(UTC))
    protection = signed_in(app, "nurse.kim").get("/").text.split('id="prot-title"')[1].split("</section>")[0]
    row = protection.split(f'<a href="/patients/{patient_id}">Olive Park</a>')[1].split("</tr>")[0]
    assert '<a class="nowrap" href="tel:5550100">Call 555 0100</a>' in row
