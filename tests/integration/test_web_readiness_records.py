"""What the readiness check reads, entered on the web (web/routes/readiness_records.py): the last use of a substance,
a naloxone challenge and an allergy, each stored through the record use case and read by the readiness checklist;
bad input comes back inline with nothing saved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.integration.test_web_pages import TZ, app, csrf, seeded_database, signed_in  # noqa: F401  (fixtures)
from tests.seeding import seed

from naltrack.domain.episodes import Episode
from naltrack.domain.patients import Patient
from naltrack.web.routes.readiness import record_links


def records(app, kind: str, patient_id: str = "p1") -> list:  # noqa: F811
    with app.state.storage.uow() as uow:
        return list(uow.records.for_patient(patient_id).get(kind, ()))


def new_patient(app) -> None:  # noqa: F811
    """p5: in an OUD episode, never given naltrexone (every induction check applies)."""
    today = datetime.now(TZ).date()
    seed(app.state.storage.uow, patients=[Patient(id="p5", clinic_id="c1", given_name="Gus", family_name="Hale",
                                                  birth_date=date(1984, 2, 3), sex_at_birth="male")])
    seed(app.state.storage.uow, records=[Episode(id="e5", patient_id="p5", indication="OUD", level_of_care="IOP",
                                                 start=today - timedelta(days=5))], now=datetime.now(UTC))


def test_last_use_is_recorded_and_the_readiness_checklist_reads_it(app):  # noqa: F811
    new_patient(app)
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p5/substance-use/new").text
    assert 'value="fentanyl" selected' in form
    today = datetime.now(TZ).date()
    future = nurse.post("/patients/p5/substance-use/new", data={
        "csrf_token": csrf(form), "substance": "fentanyl", "last_use": (today + timedelta(days=1)).isoformat(),
        "reported_on": today.isoformat()})
    assert future.status_code == 422 and 'id="e-last_use"' in future.text
    assert records(app, "substance_use", "p5") == []
    saved = nurse.post("/patients/p5/substance-use/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "substance": "fentanyl", "last_use": (today - timedelta(days=3)).isoformat(),
        "reported_on": today.isoformat(), "route": "smoked"})
    assert saved.status_code == 303 and saved.headers["location"] == "/patients/p5/readiness"
    [report] = records(app, "substance_use", "p5")
    assert (report.substance, report.route) == ("fentanyl", "smoked")
    checklist = nurse.get("/patients/p5/readiness?form=oral").text
    assert "fentanyl" in checklist.lower() and "10 opioid-free days" in checklist


def test_a_naloxone_challenge_with_a_sign_is_kept_with_its_signs(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/naloxone-challenges/new").text
    missing = nurse.post("/patients/p1/naloxone-challenges/new", data={
        "csrf_token": csrf(form), "route": "sc", "performed_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M")})
    assert missing.status_code == 422 and 'id="e-result"' in missing.text
    saved = nurse.post("/patients/p1/naloxone-challenges/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "route": "sc", "performed_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"),
        "result": "passed", "sign_yawning": "yes"})
    assert saved.status_code == 303
    [challenge] = records(app, "naloxone_challenges")
    assert (challenge.passed, challenge.signs, challenge.shows_withdrawal) == (True, ("yawning",), True)


def test_an_allergy_to_a_kit_component_is_recorded(app):  # noqa: F811
    doctor = signed_in(app, "dr.okafor")
    form = doctor.get("/patients/p1/allergies/new").text
    saved = doctor.post("/patients/p1/allergies/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "substance": "carboxymethylcellulose", "reaction": "hives", "criticality": "high"})
    assert saved.status_code == 303
    [allergy] = records(app, "allergies")
    assert (allergy.substance, allergy.reaction) == ("carboxymethylcellulose", "hives")
    assert "carboxymethylcellulose" in doctor.get("/patients/p1/readiness?form=xr-ntx").text


def test_each_open_reason_links_to_the_form_that_records_what_it_reads(app):  # noqa: F811
    new_patient(app)
    checklist = signed_in(app, "nurse.kim").get("/patients/p5/readiness?form=xr-ntx").text
    assert '<span class="badge band-partial">Needs review</span>' in checklist
    for href, label in (("/patients/p5/screens/new", "Record a urine screen"),
                        ("/patients/p5/substance-use/new", "Record last use"),
                        ("/patients/p5/questionnaires/cows", "Score COWS"),
                        ("/patients/p5/labs/new", "Record a lab result")):
        assert f'<a class="record-link" href="{href}">{label}</a>' in checklist
    # a reason that asks nothing (the episode gives the indication) gets no link
    assert "/patients/p5/diagnoses/new" not in checklist and "/patients/p5/naloxone-challenges/new" not in checklist


def test_a_reason_links_only_to_forms_the_user_may_use():
    links = record_links("p5", lambda category, action: category != "labs")
    assert links["RDY-UDS-MISSING"] == ("Record a urine screen", "/patients/p5/screens/new")
    assert "RDY-LIVER-ULN" not in links and "RDY-NALOXONE-CHALLENGE" not in links
    assert links["RDY-PREGNANCY"] == ("Record pregnancy status", "/patients/p5/pregnancy")
