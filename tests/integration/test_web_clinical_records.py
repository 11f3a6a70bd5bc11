"""Pregnancy status, medications, adverse events and diagnoses entered on the web (web/routes/clinical_records.py),
over real HTTP on SQLite and PostgreSQL: each form records through its use case and the chart shows it; bad input
comes back beside its field, naming the value and the limit, with nothing written."""

from __future__ import annotations

import html
import re
import warnings
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.integration.test_web_pages import PASSWORD, csrf, signed_in, unlabelled_fields
from tests.seeding import seed

from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.administrations import Injection
from naltrack.domain.care import InjectionSiteDetails
from naltrack.domain.episodes import Diagnosis, Episode
from naltrack.domain.patients import Clinic, Patient
from naltrack.services.security import add_user

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")

TZ = ZoneInfo("America/New_York")


@pytest.fixture()
def app(database_url, tmp_path):
    """A clinic with a nurse, a prescriber and a counselor, and p1 (female, in an OUD episode, injected 20 days ago)."""
    application = create_app(Settings(data_dir=tmp_path, database_url=database_url, secret_key="test-secret",
                                      timezone="America/New_York"))
    storage, now = application.state.storage, datetime.now(UTC)
    today = now.astimezone(TZ).date()
    seed(storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic")])
    for name, role in (("nurse.kim", "nurse"), ("dr.okafor", "prescriber"), ("couns.ray", "counselor")):
        add_user(application.state.secure_uow, name, PASSWORD, role, "c1", now)
    seed(storage.uow, patients=[Patient(id="p1", clinic_id="c1", given_name="Dana", family_name="Reyes",
                                        birth_date=date(1988, 4, 2), sex_at_birth="female", mrn="MRN-1")])
    seed(storage.uow, records=[
        Episode(id="e1", patient_id="p1", indication="OUD", level_of_care="OP", start=today - timedelta(days=60)),
        Injection(id="i1", patient_id="p1", given_at=now - timedelta(days=20), side="right", lot="LOT-A",
                  expiry=today + timedelta(days=200), needle_length_in=1.5, given_by="nurse.kim")], now=now)
    yield application
    storage.close()


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def stored(app, kind: str) -> list:
    with app.state.storage.uow() as uow:
        return list(uow.records.for_patient("p1").get(kind, ()))


def patient(app) -> Patient:
    with app.state.storage.uow() as uow:
        return uow.patients.get("p1")


def today() -> date:
    return datetime.now(TZ).date()


def error_of(page: str, name: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.search(rf'id="e-{name}">(.*?)</p>', page, re.S).group(1)))


# --- pregnancy ---------------------------------------------------------------------------------------------------

def test_pregnancy_status_with_a_negative_hcg_is_saved_as_a_new_version_and_shown_in_the_chart_header(app):
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/pregnancy").text
    assert 'value="unknown" checked' in form and hidden(form, "version") == "1"
    day = today() - timedelta(days=1)
    saved = nurse.post("/patients/p1/pregnancy", follow_redirects=False, data={
        "csrf_token": csrf(form), "version": "1", "pregnant": "unknown", "breastfeeding": "no",
        "as_of": day.isoformat(), "hcg": "negative", "hcg_on": day.isoformat()})
    assert saved.status_code == 303 and saved.headers["location"] == "/patients/p1?recorded=pregnancy"
    after = patient(app)
    assert (after.version, after.reproductive.pregnant, after.reproductive.breastfeeding,
            after.reproductive.as_of) == (2, False, False, day)
    chart = nurse.get("/patients/p1").text
    assert f'id="pregnancy">no ({day.isoformat()}) · breastfeeding no' in chart


def test_a_positive_hcg_wins_over_not_pregnant_on_the_same_day_as_the_import_reads_it(app):
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p1/pregnancy").text
    doctor.post("/patients/p1/pregnancy", data={
        "csrf_token": csrf(form), "version": "1", "pregnant": "no", "breastfeeding": "unknown",
        "as_of": today().isoformat(), "hcg": "positive", "hcg_on": today().isoformat()})
    assert patient(app).reproductive.pregnant is True
    assert f'id="pregnancy">yes ({today().isoformat()})' in doctor.get("/patients/p1").text


def test_a_stale_pregnancy_form_is_refused_with_a_notice_and_nothing_changed(app):
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/pregnancy").text
    fields = {"csrf_token": csrf(form), "version": "1", "pregnant": "no", "breastfeeding": "no",
              "as_of": today().isoformat()}
    assert nurse.post("/patients/p1/pregnancy", data=fields, follow_redirects=False).status_code == 303
    stale = nurse.post("/patients/p1/pregnancy", data={**fields, "pregnant": "yes"})
    assert stale.status_code == 409 and "someone changed this patient" in stale.text
    assert (patient(app).version, patient(app).reproductive.pregnant) == (2, False)
    unversioned = nurse.post("/patients/p1/pregnancy", data={k: v for k, v in fields.items() if k != "version"})
    assert unversioned.status_code == 422 and "does not say which version" in unversioned.text
    assert patient(app).version == 2


def test_an_hcg_test_dated_after_today_is_refused_beside_its_field(app):
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/pregnancy").text
    tomorrow = today() + timedelta(days=1)
    bad = nurse.post("/patients/p1/pregnancy", data={
        "csrf_token": csrf(form), "version": "1", "pregnant": "no", "breastfeeding": "no",
        "as_of": today().isoformat(), "hcg": "negative", "hcg_on": tomorrow.isoformat()})
    assert bad.status_code == 422
    assert error_of(bad.text, "hcg_on") == f"Hcg on: {tomorrow.isoformat()} is after today ({today().isoformat()})"
    assert (patient(app).version, patient(app).reproductive) == (1, None)


# --- medications -------------------------------------------------------------------------------------------------

def test_medication_search_offers_oxycodone_and_buprenorphine_with_their_classes(app):
    doctor = signed_in(app, "dr.okafor")
    oxy = doctor.get("/patients/p1/medications/new?q=oxycodone").text
    assert re.search(r'value="7804"> oxycodone \(7804\) <span class="badge med-opioid">opioid</span>', oxy)
    bup = doctor.get("/patients/p1/medications/new?q=buprenorphine").text
    assert 'value="1819"' in bup and "med-buprenorphine" in bup and "med-opioid" not in bup
    assert "med-methadone" in doctor.get("/patients/p1/medications/new?q=methadone").text
    assert "Nothing in the catalog" in doctor.get("/patients/p1/medications/new?q=zzzz").text


def test_a_chosen_medication_is_recorded_and_listed_on_the_chart_with_its_class(app):
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p1/medications/new?q=buprenorphine").text
    assert 'action="/patients/p1/medications/new?q=buprenorphine"' in form
    start = today() - timedelta(days=10)
    saved = doctor.post("/patients/p1/medications/new?q=buprenorphine", follow_redirects=False, data={
        "csrf_token": csrf(form), "idempotency_key": hidden(form, "idempotency_key"), "rxnorm": "1819",
        "start": start.isoformat(), "source": "dispensed", "days_supply": "30", "daily_dose_mg": "16"})
    assert saved.status_code == 303
    [use] = stored(app, "medications")
    assert (use.rxnorm, use.start, use.source, use.days_supply, use.daily_dose_mg) == (
        "1819", start, "dispensed", 30, 16.0)
    card = doctor.get("/patients/p1").text.split('id="meds-title"')[1].split("</section>")[0]
    assert "buprenorphine" in card and 'class="badge med-buprenorphine">buprenorphine' in card and "16.0 mg/day" in card


def test_a_daily_dose_above_the_domain_limit_is_refused_naming_value_and_limit(app):
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p1/medications/new?q=loperamide").text
    bad = doctor.post("/patients/p1/medications/new?q=loperamide", data={
        "csrf_token": csrf(form), "rxnorm": "6468", "start": today().isoformat(), "source": "reported",
        "daily_dose_mg": "20000"})
    assert bad.status_code == 422
    assert error_of(bad.text, "daily_dose_mg") == "Daily dose mg: 20000.0 must be between 0.001 and 10000 mg per day"
    assert 'value="6468" checked' in bad.text
    assert stored(app, "medications") == []


def test_a_medication_needs_a_choice_or_a_numeric_code(app):
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p1/medications/new").text
    none = doctor.post("/patients/p1/medications/new", data={
        "csrf_token": csrf(form), "start": today().isoformat(), "source": "reported"})
    assert none.status_code == 422 and "search by name and choose one" in error_of(none.text, "rxnorm")
    typed = doctor.post("/patients/p1/medications/new", data={
        "csrf_token": csrf(form), "rxnorm_code": "oxy", "start": today().isoformat(), "source": "reported"})
    assert "'oxy' is not an RxNorm code" in error_of(typed.text, "rxnorm_code")
    assert stored(app, "medications") == []


# --- adverse events ----------------------------------------------------------------------------------------------

def record_site_reaction(client, grade: str = "2") -> object:
    form = client.get("/patients/p1/adverse-events/new").text
    return client.post("/patients/p1/adverse-events/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "idempotency_key": hidden(form, "idempotency_key"),
        "kind": "injection-site-reaction", "onset": (today() - timedelta(days=3)).isoformat(), "ctcae_grade": grade,
        "outcome": "not-resolved", "site_side": "right", "induration_cm": "4", "injection_id": "i1",
        "description": "firm, warm"})


def test_an_injection_site_reaction_is_recorded_with_its_site_and_shown_on_the_chart(app):
    nurse = signed_in(app, "nurse.kim")
    assert record_site_reaction(nurse).status_code == 303
    [event] = stored(app, "adverse_events")
    assert (event.kind, event.ctcae_grade, event.injection_id, event.site) == (
        "injection-site-reaction", 2, "i1", InjectionSiteDetails("right", 4.0))
    card = nurse.get("/patients/p1").text.split('id="ae-title"')[1].split("</section>")[0]
    assert "Injection site reaction" in card and "right buttock, induration 4.0 cm" in card and "Not resolved" in card
    assert f"/patients/p1/adverse-events/{event.id}/follow-up" in card


def test_a_grade_above_the_ctcae_scale_is_refused_and_nothing_is_written(app):
    bad = record_site_reaction(signed_in(app, "nurse.kim"), grade="7")
    assert bad.status_code == 422
    assert error_of(bad.text, "ctcae_grade") == "Ctcae grade: 7 must be between 1 and 5"
    assert stored(app, "adverse_events") == []


def test_a_site_reaction_without_a_side_is_refused_beside_the_side(app):
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/adverse-events/new").text
    bad = nurse.post("/patients/p1/adverse-events/new", data={
        "csrf_token": csrf(form), "kind": "injection-site-reaction", "onset": today().isoformat(),
        "ctcae_grade": "1", "outcome": "not-resolved"})
    assert bad.status_code == 422
    assert error_of(bad.text, "site_side") == "Site side: None is required for an injection-site reaction"
    assert stored(app, "adverse_events") == []


def test_a_follow_up_supersedes_the_event_and_a_stale_one_is_refused(app):
    nurse = signed_in(app, "nurse.kim")
    record_site_reaction(nurse)
    [first] = stored(app, "adverse_events")
    path = f"/patients/p1/adverse-events/{first.id}/follow-up"
    form = nurse.get(path).text
    assert hidden(form, "version") == "1" and 'value="not-resolved" selected' in form
    assert 'value="4"' in form and 'name="site_side" value="right"' in form
    fields = {"csrf_token": csrf(form), "idempotency_key": hidden(form, "idempotency_key"), "version": "1",
              "kind": "injection-site-reaction", "onset": hidden(form, "onset"), "injection_id": "i1",
              "site_side": "right", "outcome": "resolved", "resolved_on": today().isoformat(), "ctcae_grade": "1",
              "induration_cm": "0.5", "description": "settled with warm compresses"}
    early = nurse.post(path, data={**fields, "resolved_on": (first.onset - timedelta(days=1)).isoformat()})
    assert early.status_code == 422 and "is before the onset" in error_of(early.text, "resolved_on")
    saved = nurse.post(path, data=fields, follow_redirects=False)
    assert saved.status_code == 303
    events = {e.id: e for e in stored(app, "adverse_events")}
    [new] = [e for e in events.values() if e.id != first.id]
    assert (events[first.id].status, new.supersedes, new.outcome, new.resolved_on, new.site.induration_cm) == (
        "entered-in-error", first.id, "resolved", today(), 0.5)
    card = nurse.get("/patients/p1").text.split('id="ae-title"')[1].split("</section>")[0]
    assert f"Resolved {today().isoformat()}" in card and "Not resolved" not in card
    stale = nurse.post(path, data={**fields, "idempotency_key": "another-key-of-18ch"})
    assert stale.status_code == 422 and "someone changed this record meanwhile" in stale.text
    assert len(stored(app, "adverse_events")) == 2


# --- diagnoses ---------------------------------------------------------------------------------------------------

def test_a_diagnosis_picked_from_the_code_table_is_recorded_and_listed_as_active(app):
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p1/diagnoses/new?q=opioid+dependence").text
    assert 'value="icd10cm|F11.20"' in form and "(OUD, ICD-10-CM)" in form
    saved = doctor.post("/patients/p1/diagnoses/new?q=opioid+dependence", follow_redirects=False, data={
        "csrf_token": csrf(form), "pick": "icd10cm|F11.20", "system": "icd10cm", "clinical_status": "active",
        "onset": "2024-05-01"})
    assert saved.status_code == 303
    [dx] = stored(app, "diagnoses")
    assert (dx.system, dx.code, dx.display, dx.onset) == ("icd10cm", "F11.20", "Opioid dependence, uncomplicated",
                                                          date(2024, 5, 1))
    card = doctor.get("/patients/p1").text.split('id="dx-title"')[1].split("</section>")[0]
    assert "<strong>F11.20</strong> Opioid dependence, uncomplicated" in card and "since 2024-05-01" in card


def test_an_entered_code_takes_its_name_from_the_table_and_a_bad_code_is_refused(app):
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p1/diagnoses/new").text
    bad = doctor.post("/patients/p1/diagnoses/new", data={
        "csrf_token": csrf(form), "system": "icd10cm", "code": "F1X", "display": "typo", "clinical_status": "active"})
    assert bad.status_code == 422
    assert error_of(bad.text, "code") == "Code: 'F1X' is not an ICD-10-CM code (e.g. F11.20)"
    assert stored(app, "diagnoses") == []
    saved = doctor.post("/patients/p1/diagnoses/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "system": "icd10cm", "code": "F10.20", "clinical_status": "in-remission"})
    assert saved.status_code == 303
    [dx] = stored(app, "diagnoses")
    assert (dx.display, dx.clinical_status) == ("Alcohol dependence, uncomplicated", "in-remission")


def test_a_counselor_sees_the_diagnoses_but_no_medication_or_pregnancy_status(app):
    seed(app.state.storage.uow, records=[Diagnosis(id="d1", patient_id="p1", system="icd10cm", code="F11.20",
                                                   display="Opioid dependence, uncomplicated")],
         now=datetime.now(UTC))
    chart = signed_in(app, "couns.ray").get("/patients/p1").text
    assert "<strong>F11.20</strong> Opioid dependence, uncomplicated" in chart
    assert 'id="meds-title"' not in chart and 'id="pregnancy"' not in chart and 'id="ae-title"' not in chart


def test_a_nurse_reads_diagnoses_but_may_not_record_one(app):
    nurse = signed_in(app, "nurse.kim")
    assert nurse.get("/patients/p1/diagnoses/new").status_code == 403
    assert "/diagnoses/new" not in nurse.get("/patients/p1").text.split('aria-label="Record for this patient"')[1]


def test_every_field_of_the_four_forms_has_a_label(app):
    """WCAG 2.1 1.3.1, as test_web_pages checks the main pages (search results and the follow-up included)."""
    doctor = signed_in(app, "dr.okafor")
    record_site_reaction(doctor)
    [event] = stored(app, "adverse_events")
    for path in ("/patients/p1/pregnancy", "/patients/p1/medications/new?q=oxycodone",
                 "/patients/p1/adverse-events/new", f"/patients/p1/adverse-events/{event.id}/follow-up",
                 "/patients/p1/diagnoses/new?q=alcohol"):
        page = doctor.get(path)
        assert page.status_code == 200 and unlabelled_fields(page.text) == [], path
