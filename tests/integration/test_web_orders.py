"""Naltrexone orders on the web (web/routes/orders.py), through the real app on SQLite and PostgreSQL: a prescriber
orders each kind, a bad dose comes back inline with nothing written, a change and a stop are corrections (the old
order entered-in-error, the new one active, one audit entry each), a nurse is refused, a stale form says so."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from tests.e2e.conftest import ready_records
from tests.integration.api.conftest import cheap_password_hashing  # noqa: F401  (fixture: fast sign-in)
from tests.integration.test_web_pages import PASSWORD, TZ, csrf, signed_in, unlabelled_fields
from tests.seeding import seed

from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.episodes import Episode
from naltrack.domain.observations import AnalyteResult, UrineDrugScreen
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.regimens import Regimen, ScheduledDose
from naltrack.services.security import add_user


@pytest.fixture()
def app(database_url, tmp_path):
    """A clinic with a prescriber and a nurse, and p1 in an OUD episode with no order, on each backend."""
    application = create_app(Settings(data_dir=tmp_path, database_url=database_url, secret_key="test-secret",
                                      timezone="America/New_York"))
    now = datetime.now(UTC)
    storage = application.state.storage
    seed(storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic", timezone="America/New_York")])
    for name, role in (("dr.okafor", "prescriber"), ("nurse.kim", "nurse")):
        add_user(application.state.secure_uow, name, PASSWORD, role, "c1", now)
    seed(storage.uow, patients=[Patient(id="p1", clinic_id="c1", given_name="Dana", family_name="Reyes",
                                        birth_date=date(1988, 4, 2), sex_at_birth="female")])
    seed(storage.uow, records=[Episode(id="e1", patient_id="p1", indication="OUD", level_of_care="OP",
                                       start=today() - timedelta(days=20))], now=now)
    yield application
    storage.close()


def today() -> date:
    return datetime.now(TZ).date()


def orders(app) -> list[Regimen]:
    with app.state.storage.uow() as uow:
        return sorted(uow.records.for_patient("p1").get("regimens", ()), key=lambda r: r.recorded_at)


def writes(app, record_id: str) -> list:
    """The audit entries that name ``record_id`` as written (a create or an update)."""
    with app.state.secure_uow() as uow:
        return [e for e in uow.security.iter_audit() if e.record_id == record_id and e.action in ("create", "update")]


def post(client, path: str, **fields: str):
    return client.post(path, follow_redirects=False, data={"csrf_token": csrf(client.get(path).text), **fields})


KINDS = {
    "oral-daily": ({"dose_mg": "50", "induction_test_dose": "yes", "days_supply": "30"},
                   {"dose_mg": 50.0, "induction_test_dose": True, "days_supply": 30}),
    "oral-schedule": ({"dose_mon": "100", "dose_wed": "100", "dose_fri": "150"},
                      {"schedule": (ScheduledDose("mon", 100.0), ScheduledDose("wed", 100.0),
                                    ScheduledDose("fri", 150.0))}),
    "xr-ntx-q4w": ({"dose_mg": "380"}, {"dose_mg": 380.0}),
    "implant": ({"dose_mg": "1000", "implant_product": "compounded pellet 1000 mg",
                 "expected_duration_days": "60"},
                {"dose_mg": 1000.0, "implant_product": "compounded pellet 1000 mg", "expected_duration_days": 60}),
    "targeted": ({"dose_mg": ""}, {"dose_mg": 50.0, "induction_test_dose": False}),
    "xr-ntx-bupropion": ({"dose_mg": "380", "note": "bupropion ordered separately"},
                         {"dose_mg": 380.0, "note": "bupropion ordered separately"}),
}


def test_a_prescriber_orders_each_kind_and_the_chart_lists_it(app):
    doctor = signed_in(app, "dr.okafor")
    for kind, (fields, expected) in KINDS.items():
        saved = post(doctor, f"/patients/p1/orders/new?kind={kind}", kind=kind, start=today().isoformat(), **fields)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == "/patients/p1?recorded=order#orders"
        order = orders(app)[-1]
        assert (order.kind, order.start, order.prescriber, order.status) == (kind, today(), "dr.okafor", "active")
        assert {name: getattr(order, name) for name in expected} == expected
        assert len(writes(app, order.id)) == 1
    chart = doctor.get("/patients/p1").text
    table = chart.split('id="orders-table"')[1].split("</table>")[0]
    assert table.count("<tr id=\"order-") == 6
    assert "XR-naltrexone 380 mg every 4 weeks" in table and "Mon 100 mg, Wed 100 mg, Fri 150 mg" in table
    assert "50 mg; 25 mg test dose first; 30 days&#39; supply" in table
    assert "1000 mg; compounded pellet 1000 mg; about 60 days" in table and "50 mg as needed" in table


def test_the_form_is_prefilled_per_kind_from_the_domain(app):
    doctor = signed_in(app, "dr.okafor")
    xr = doctor.get("/patients/p1/orders/new?form=xr-ntx").text
    assert 'name="kind" value="xr-ntx-q4w"' in xr and 'name="dose_mg" value="380"' in xr
    assert f'name="start" value="{today().isoformat()}"' in xr
    oral = doctor.get("/patients/p1/orders/new?kind=oral-daily").text
    assert 'name="dose_mg" value="50"' in oral and 'name="induction_test_dose" value="yes" checked' in oral
    preset = doctor.get("/patients/p1/orders/new?kind=oral-schedule&preset=weekdays-saturday").text
    assert [re.search(rf'name="dose_{d}" value="([^"]*)"', preset).group(1) for d in ("mon", "fri", "sat", "sun")] \
        == ["50", "50", "100", ""]
    assert "50 mg every weekday and 100 mg on Saturday" in preset and "clinical.md §1.1 (label)" in preset
    implant = doctor.get("/patients/p1/orders/new?kind=implant").text
    assert 'name="dose_mg" value=""' in implant and 'id="f-implant_product"' in implant


@pytest.mark.parametrize(("kind", "fields", "field", "message"), [
    ("oral-daily", {"dose_mg": "200"}, "dose_mg", "200.0 exceeds the largest single oral dose 150 mg"),
    ("oral-daily", {"dose_mg": "0"}, "dose_mg", "0.0 must be greater than 0"),
    ("xr-ntx-q4w", {"dose_mg": "400"}, "dose_mg", "400.0 must be 380 mg: XR-NTX has one strength"),
    ("oral-schedule", {"dose_mon": "100", "dose_sat": "175"}, "dose_sat",
     "175.0 exceeds the largest single oral dose 150 mg"),
    ("oral-schedule", {}, "schedule", "() needs at least one weekday dose"),
    ("implant", {"dose_mg": "3500"}, "dose_mg", "3500.0 exceeds the largest studied implant 3400 mg"),
    ("implant", {"dose_mg": "1000", "expected_duration_days": "400"}, "expected_duration_days", "400"),
    ("xr-ntx-q4w", {"dose_mg": "380", "days_supply": "1.5"}, "days_supply", "'1.5' is not a whole number"),
])
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_written(app, kind, fields, field, message):
    doctor = signed_in(app, "dr.okafor")
    response = post(doctor, f"/patients/p1/orders/new?kind={kind}", kind=kind, start=today().isoformat(), **fields)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', response.text)
    assert error and message in error.group(1).replace("&#39;", "'")
    assert "Nothing was saved." in response.text
    assert orders(app) == []


def order_xr(app, client) -> Regimen:
    assert post(client, "/patients/p1/orders/new", kind="xr-ntx-q4w", start=today().isoformat(),
                dose_mg="380").status_code == 303
    return orders(app)[-1]


def test_every_field_of_the_order_forms_has_a_label(app):
    doctor = signed_in(app, "dr.okafor")
    first = order_xr(app, doctor)
    paths = [f"/patients/p1/orders/new?kind={kind}" for kind in KINDS]
    for path in [*paths, f"/patients/p1/orders/{first.id}/change", f"/patients/p1/orders/{first.id}/stop"]:
        response = doctor.get(path)
        assert response.status_code == 200 and unlabelled_fields(response.text) == [], path


def test_the_indication_defaults_to_the_open_episodes_and_is_stored_and_shown(app):
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p1/orders/new?kind=targeted").text
    assert re.findall(r'<option value="([^"]*)" selected>', form) == ["OUD"]
    assert '<option value="AUD">Alcohol use disorder</option>' in form
    bad = post(doctor, "/patients/p1/orders/new?kind=targeted", kind="targeted", start=today().isoformat(),
               indication="cocaine")
    assert bad.status_code == 422
    assert "&#39;cocaine&#39; is not one of OUD, AUD" in bad.text.split('id="e-indication"')[1]
    assert orders(app) == []
    for given, stored in (("AUD", "AUD"), ("", None)):
        saved = post(doctor, "/patients/p1/orders/new?kind=targeted", kind="targeted", start=today().isoformat(),
                     indication=given)
        assert saved.status_code == 303, saved.text
        assert orders(app)[-1].indication == stored
    aud = orders(app)[0]
    row = doctor.get("/patients/p1").text.split(f'<tr id="order-{aud.id}">')[1].split("</tr>")[0]
    assert "for alcohol use disorder" in row
    change = doctor.get(f"/patients/p1/orders/{aud.id}/change").text
    assert re.findall(r'<option value="([^"]*)" selected>', change) == ["AUD"]


def test_a_change_supersedes_the_order_with_one_audit_entry(app):
    doctor = signed_in(app, "dr.okafor")
    first = order_xr(app, doctor)
    path = f"/patients/p1/orders/{first.id}/change"
    form = doctor.get(path).text
    assert 'name="version" value="1"' in form and 'name="dose_mg" value="380"' in form
    later = (today() + timedelta(days=2)).isoformat()
    saved = doctor.post(path, follow_redirects=False, data={
        "csrf_token": csrf(form), "version": "1", "kind": "xr-ntx-q4w", "start": later, "dose_mg": "380",
        "note": "starts after the naloxone challenge"})
    assert saved.status_code == 303
    old, new = orders(app)
    assert (old.id, old.status, old.version) == (first.id, "entered-in-error", 2)
    assert (new.status, new.supersedes, new.start.isoformat(), new.note) == (
        "active", first.id, later, "starts after the naloxone challenge")
    [entry] = writes(app, new.id)
    assert (entry.action, entry.detail) == ("update", f"supersedes {first.id}")
    chart = doctor.get("/patients/p1").text.split('id="orders-table"')[1].split("</table>")[0]
    assert chart.count('<tr id="order-') == 1 and "planned" in chart


def test_a_stop_is_the_same_order_with_an_end_date_and_the_reason(app):
    doctor = signed_in(app, "dr.okafor")
    first = order_xr(app, doctor)
    path = f"/patients/p1/orders/{first.id}/stop"
    form = doctor.get(path).text
    assert f'name="end" value="{today().isoformat()}"' in form
    no_reason = doctor.post(path, data={"csrf_token": csrf(form), "version": "1", "end": today().isoformat()})
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    before = (first.start - timedelta(days=1)).isoformat()
    too_early = doctor.post(path, data={"csrf_token": csrf(form), "version": "1", "end": before, "reason": "x"})
    assert too_early.status_code == 422 and "is before the start" in too_early.text.split('id="e-end"')[1]
    assert orders(app) == [first]
    saved = doctor.post(path, follow_redirects=False, data={
        "csrf_token": csrf(form), "version": "1", "end": today().isoformat(), "reason": "moved out of the area"})
    assert saved.status_code == 303
    old, new = orders(app)
    assert (old.status, new.status, new.supersedes) == ("entered-in-error", "active", first.id)
    assert (new.kind, new.start, new.dose_mg, new.end) == (first.kind, first.start, 380.0, today())
    assert new.note == "Stopped: moved out of the area"
    assert len(writes(app, new.id)) == 1
    row = doctor.get("/patients/p1").text.split(f'<tr id="order-{new.id}">')[1].split("</tr>")[0]
    assert "Stopped: moved out of the area" in row and f"<td>{today().isoformat()}</td>" in row
    assert ">active</span>" in row  # through its last day, today


def test_a_nurse_sees_the_orders_but_may_not_order_change_or_stop(app):
    first = order_xr(app, signed_in(app, "dr.okafor"))
    nurse = signed_in(app, "nurse.kim")
    chart = nurse.get("/patients/p1").text
    assert "XR-naltrexone 380 mg every 4 weeks" in chart
    assert "/orders/new" not in chart and f"/orders/{first.id}/change" not in chart
    for path in ("/patients/p1/orders/new", f"/patients/p1/orders/{first.id}/change",
                 f"/patients/p1/orders/{first.id}/stop"):
        assert nurse.get(path).status_code == 403
    refused = nurse.post("/patients/p1/orders/new", data={
        "csrf_token": csrf(chart), "kind": "xr-ntx-q4w", "start": today().isoformat(), "dose_mg": "380"})
    assert refused.status_code == 403
    assert orders(app) == [first]


def test_an_order_is_changed_only_under_its_own_patient(app):
    first = order_xr(app, signed_in(app, "dr.okafor"))
    seed(app.state.storage.uow, patients=[Patient(id="p2", clinic_id="c1", given_name="Cy", family_name="Hale",
                                                  birth_date=date(1980, 1, 2), sex_at_birth="male")])
    doctor = signed_in(app, "dr.okafor")
    for mode in ("change", "stop"):
        response = doctor.get(f"/patients/p2/orders/{first.id}/{mode}")
        assert response.status_code == 404 and f"No record &#39;{first.id}&#39;" in response.text


def test_a_stale_change_is_not_saved_and_says_so(app):
    doctor = signed_in(app, "dr.okafor")
    first = order_xr(app, doctor)
    path = f"/patients/p1/orders/{first.id}/change"
    form = doctor.get(path).text
    fields = {"csrf_token": csrf(form), "version": "1", "kind": "xr-ntx-q4w", "start": today().isoformat(),
              "dose_mg": "380"}
    unversioned = doctor.post(path, data={k: v for k, v in fields.items() if k != "version"})
    assert unversioned.status_code == 422 and "does not say which version of the record it changes" in unversioned.text
    assert doctor.post(path, follow_redirects=False, data={**fields, "note": "first"}).status_code == 303
    stale = doctor.post(path, data={**fields, "note": "second"})
    assert stale.status_code == 422
    assert "someone changed this record meanwhile" in stale.text
    assert [o.note for o in orders(app)] == [None, "first"]


def test_the_readiness_checklist_offers_an_order_when_it_allows_starting_and_none_is_active(app):
    doctor = signed_in(app, "dr.okafor")
    seed(app.state.storage.uow, records=[r for r in ready_records("p1", today()) if not isinstance(r, Episode)],
         now=datetime.now(UTC))
    checklist = doctor.get("/patients/p1/readiness?form=xr-ntx").text
    assert 'class="badge band-partial">Needs review</span>' in checklist  # only her pregnancy status asks for review
    assert 'href="/patients/p1/orders/new?form=xr-ntx">Order naltrexone</a>' in checklist
    assert "/orders/new" not in signed_in(app, "nurse.kim").get("/patients/p1/readiness").text
    seed(app.state.storage.uow, records=[UrineDrugScreen(
        id="uds-pos", patient_id="p1", collected_at=datetime.now(UTC) - timedelta(hours=1),
        results=(AnalyteResult("fentanyl", "positive"),))], now=datetime.now(UTC))
    not_ready = doctor.get("/patients/p1/readiness?form=xr-ntx").text
    assert 'class="badge band-unprotected">Not ready</span>' in not_ready and "/orders/new" not in not_ready
    order_xr(app, doctor)
    assert "/orders/new" not in doctor.get("/patients/p1/readiness?form=oral").text
