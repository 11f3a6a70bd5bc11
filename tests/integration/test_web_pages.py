"""The web pages through the real app (TestClient): sign-in, dashboard, chart, recording, roles, bad input."""

from __future__ import annotations

import re
import shutil
import warnings
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from tests.seeding import seed

from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.administrations import Injection
from naltrack.domain.episodes import Episode
from naltrack.domain.observations import LabResult, QuestionnaireResponse, SubstanceUseReport
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.regimens import Regimen
from naltrack.domain.security.audit import AuditEvent
from naltrack.services.security import add_user
from naltrack.web.assets import discover_assets

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
TZ = ZoneInfo("America/New_York")


def make_app(folder):
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'web.db'}",
                        secret_key="test-secret", timezone="America/New_York")
    return create_app(settings)


@pytest.fixture(scope="module")
def seeded_database(tmp_path_factory):
    """Seed once (password hashing is slow on purpose); each test gets a copy of the file."""
    folder = tmp_path_factory.mktemp("web-seed")
    application = make_app(folder)
    storage = application.state.storage
    now = datetime.now(UTC)
    today = now.astimezone(TZ).date()
    seed(storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic")])
    for name, role in (("nurse.kim", "nurse"), ("desk.lee", "front-desk"), ("couns.ray", "counselor"),
                       ("audit.max", "auditor"), ("dr.okafor", "prescriber")):
        add_user(application.state.secure_uow, name, PASSWORD, role, "c1", now)
    seed(storage.uow, patients=[Patient(id="p1", clinic_id="c1", given_name="Dana", family_name="Reyes",
                                                    birth_date=date(1988, 4, 2), sex_at_birth="female", mrn="MRN-1")])
    last = datetime.combine(today - timedelta(days=28), datetime.min.time(), tzinfo=TZ).replace(hour=10)
    seed(storage.uow, records=[
        Episode(id="e1", patient_id="p1", indication="OUD", level_of_care="OP", start=today - timedelta(days=60)),
        Regimen(id="r1", patient_id="p1", kind="xr-ntx-q4w", start=today - timedelta(days=60)),
        Injection(id="i1", patient_id="p1", given_at=last.astimezone(UTC), side="right", lot="LOT-A",
                  expiry=today + timedelta(days=200), needle_length_in=1.5, given_by="nurse.kim", regimen_id="r1"),
    ], now=now)
    storage.close()
    return folder / "web.db"


@pytest.fixture()
def app(seeded_database, tmp_path):
    shutil.copyfile(seeded_database, tmp_path / "web.db")
    application = make_app(tmp_path)
    yield application
    application.state.storage.close()


def signed_in(app, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    response = client.post("/sign-in", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "form without a CSRF token"
    return match.group(1)


def test_pages_need_a_session_and_redirect_to_sign_in(app):
    response = TestClient(app).get("/patients/p1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/patients/p1"


def test_wrong_password_is_refused_without_echoing_it(app):
    response = TestClient(app).post("/sign-in", data={"username": "nurse.kim", "password": "wrong password!"})
    assert response.status_code == 401
    assert "user name or password is wrong" in response.text
    assert "wrong password!" not in response.text


def test_dashboard_lists_the_injection_due_with_the_other_buttock(app):
    html = signed_in(app, "nurse.kim").get("/").text
    due = html.split('id="due-title"')[1].split("Overdue")[0]
    assert "Reyes" in due and "day 28" in due and "<td>left</td>" in due


def test_htmx_request_gets_the_partial_and_a_history_restore_the_full_page(app):
    client = signed_in(app, "nurse.kim")
    partial = client.get("/", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith("<section id=\"dashboard\"") and "<html" not in partial.text
    assert partial.headers["vary"] == "HX-Request"
    restore = client.get("/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text and 'id="dashboard"' in restore.text


def ticked(form_html: str) -> dict[str, str]:
    """Every review item of the pre-dose check on the form, ticked (what the nurse does after checking each)."""
    return {name: "yes" for name in re.findall(r'name="(confirm__[^"]+)"', form_html)}


def test_recording_an_injection_moves_the_due_date_to_day_28(app):
    client = signed_in(app, "nurse.kim")
    form = client.get("/patients/p1/injections/new").text
    assert 'value="left" checked' in form
    seen = re.search(r'name="seen" value="([^"]*)"', form).group(1)
    today = datetime.now(UTC).astimezone(TZ).date()
    response = client.post("/patients/p1/injections/new", follow_redirects=False, data={**ticked(form),
        "csrf_token": csrf(form), "seen": seen, "side": "left", "lot": "LOT-B",
        "expiry": (today + timedelta(days=300)).isoformat(), "needle_length_in": "2",
        "given_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"), "given_by": "nurse.kim"})
    assert response.status_code == 303
    chart = client.get("/patients/p1").text
    assert f'id="next-due">{(today + timedelta(days=28)).isoformat()}' in chart
    assert "lot LOT-B" in chart
    assert "Reyes" not in client.get("/").text.split('id="due-title"')[1].split("Overdue")[0]


def test_expired_kit_is_refused_next_to_its_field_with_values_kept_and_nothing_saved(app):
    client = signed_in(app, "nurse.kim")
    form = client.get("/patients/p1/injections/new").text
    seen = re.search(r'name="seen" value="([^"]*)"', form).group(1)
    response = client.post("/patients/p1/injections/new", data={
        "csrf_token": csrf(form), "seen": seen, "side": "left", "lot": "LOT-OLD", "expiry": "2020-01-01",
        "needle_length_in": "1.5", "given_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"), "given_by": "nurse.kim"})
    assert response.status_code == 422
    assert re.search(r'id="e-expiry">Expiry: &#39;2020-01-01&#39; is before the injection date', response.text)
    assert 'value="LOT-OLD"' in response.text
    assert "LOT-OLD" not in client.get("/patients/p1").text


def test_a_stale_injection_form_says_so_instead_of_recording_twice(app):
    client = signed_in(app, "nurse.kim")
    form = client.get("/patients/p1/injections/new").text
    fields = {**ticked(form), "csrf_token": csrf(form), "seen": "i1", "side": "left", "lot": "LOT-C",
              "expiry": "2031-01-01", "needle_length_in": "1.5",
              "given_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"), "given_by": "nurse.kim"}
    assert client.post("/patients/p1/injections/new", data=fields, follow_redirects=False).status_code == 303
    again = client.post("/patients/p1/injections/new", data={**fields, "lot": "LOT-D"})
    assert again.status_code == 409
    assert "Someone else recorded an injection for this patient meanwhile" in again.text
    assert "LOT-D" not in client.get("/patients/p1").text


def test_sign_in_posted_from_another_site_is_refused(app):
    client = TestClient(app, base_url="http://127.0.0.1")
    response = client.post("/sign-in", headers={"Origin": "https://evil.example"},
                           data={"username": "nurse.kim", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403 and "another site (https://evil.example)" in response.text
    same = client.post("/sign-in", headers={"Origin": "http://127.0.0.1"},
                       data={"username": "nurse.kim", "password": PASSWORD}, follow_redirects=False)
    assert same.status_code == 303


def test_post_without_csrf_token_is_refused(app):
    client = signed_in(app, "nurse.kim")
    response = client.post("/patients/p1/injections/new", data={"side": "left"})
    assert response.status_code == 403 and "CSRF" in response.text


def test_front_desk_is_refused_the_urine_screen_page_and_the_chart(app):
    client = signed_in(app, "desk.lee")
    screens = client.get("/patients/p1/screens/new")
    assert screens.status_code == 403
    assert "The front-desk role may not read urine drug screens" in screens.text
    chart = client.get("/patients/p1")
    assert chart.status_code == 200 and "Dana Reyes" in chart.text
    assert "Urine drug screens" not in chart.text and "Administrations" not in chart.text
    assert "/screens/new" not in chart.text and "Book appointment" in chart.text
    assert "Reyes" in client.get("/patients?q=rey").text


def test_audit_questionnaire_shows_score_and_band_on_submit(app):
    client = signed_in(app, "couns.ray")
    form = client.get("/patients/p1/questionnaires/audit").text
    answers = {f"audit-{n}": "2" for n in range(1, 9)} | {"audit-9": "0", "audit-10": "0"}
    response = client.post("/patients/p1/questionnaires/audit", data={"csrf_token": csrf(form), **answers})
    assert response.status_code == 200
    assert re.search(r'id="score-total">16<.*id="score-band">Zone III: harmful drinking', response.text, re.S)
    assert 'value="2"' in form and "2-4 times a month (2)" in form and "Yes, during the last year (4)" in form


def test_questionnaire_with_a_missing_answer_names_the_item_and_saves_nothing(app):
    client = signed_in(app, "couns.ray")
    form = client.get("/patients/p1/questionnaires/phq-9").text
    answers = {f"phq-9-{n}": "1" for n in range(1, 9)}
    response = client.post("/patients/p1/questionnaires/phq-9", data={"csrf_token": csrf(form), **answers})
    assert response.status_code == 422
    assert 'id="e-phq-9-9"' in response.text and 'value="1" checked' in response.text


def test_static_assets_are_served_with_plotly_at_its_hashed_address(app):
    client = TestClient(app)
    assert "--brand" in client.get("/static/app.css").text
    plotly = client.get(discover_assets().plotly_url)
    assert plotly.status_code == 200 and plotly.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/../config.py").status_code == 404


def test_lab_result_shows_as_a_multiple_of_the_upper_limit(app):
    client = signed_in(app, "nurse.kim")
    form = client.get("/patients/p1/labs/new").text
    response = client.post("/patients/p1/labs/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "loinc": "1742-6", "value": "130", "reference_high": "40",
        "collected_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 303
    assert '<span class="pos">3.2×</span>' in client.get("/patients/p1").text


def test_intake_with_a_bad_birth_date_saves_neither_patient_nor_episode(app):
    assert signed_in(app, "couns.ray").get("/patients/new").status_code == 403  # counselors read demographics only
    desk = signed_in(app, "desk.lee")
    page = desk.get("/patients/new").text
    response = desk.post("/patients/new", data={"csrf_token": csrf(page), "given_name": "Ivy", "family_name": "Stone",
                                                "birth_date": "1850-02-30", "sex_at_birth": "female"})
    assert response.status_code == 422 and "is not a date" in response.text and 'value="Stone"' in response.text
    assert "Stone" not in desk.get("/patients?q=stone").text.split('id="patient-results"')[1]


def test_front_desk_books_an_appointment_that_the_schedule_lists(app):
    desk = signed_in(app, "desk.lee")
    page = desk.get("/patients/p1/appointments/new").text
    day = (datetime.now(TZ) + timedelta(days=2)).date()
    response = desk.post("/patients/p1/appointments/new", follow_redirects=False, data={
        "csrf_token": csrf(page), "kind": "injection", "starts_at": f"{day.isoformat()}T09:30", "duration_min": "30"})
    assert response.status_code == 303
    schedule = desk.get(f"/schedule?day={day.isoformat()}").text
    assert re.search(r'<td>09:30</td>\s*<td><a href="/patients/p1">Dana Reyes</a></td>\s*<td>Injection</td>', schedule)


def test_a_stale_consent_revocation_is_refused(app):
    client = signed_in(app, "dr.okafor")
    page = client.get("/patients/p1/consents").text
    assert "No consent on file" in page
    created = client.post("/patients/p1/consents", follow_redirects=False, data={
        "csrf_token": csrf(page), "recipient": "County Hospital ED", "purpose": "treatment",
        "cat_medications": "on", "signed_on": "2026-01-02", "expires_on": "2030-12-31"})
    assert created.status_code == 303
    listing = client.get("/patients/p1/consents").text
    assert "County Hospital ED" in listing and "in force" in listing
    action = re.search(r'action="(/patients/p1/consents/[0-9a-f]+/revoke)"', listing).group(1)
    stale = client.post(action, data={"csrf_token": csrf(listing), "version": "7"})
    assert stale.status_code == 409 and "Someone else changed this consent" in stale.text


def test_auditor_sees_the_reads_of_a_patient_by_name_runs_verify_but_sees_no_chart(app):
    signed_in(app, "nurse.kim").get("/patients/p1")
    with app.state.secure_uow() as uow:  # another clinic's entry: never on this clinic's page
        uow.security.append_audit(AuditEvent(at=datetime.now(UTC), actor="other-clinic-user", clinic_id="c2",
                                             action="read", category="labs", patient_id="p-elsewhere"))
        uow.commit()
    auditor = signed_in(app, "audit.max")
    page = auditor.get("/audit?patient_id=p1")
    assert page.status_code == 200 and "The log has not been verified yet." in page.text  # no verify per view
    assert "clinical-views (chart)" in page.text and "<td>Reyes, Dana</td>" in page.text
    assert "<td>nurse.kim</td>" in page.text
    everything = auditor.get("/audit").text
    with app.state.secure_uow() as uow:
        own = uow.security.count_audit("c1") - 1  # counted before this view's own entry
    assert f"{own} entries for your clinic." in everything
    assert "other-clinic-user" not in everything and "p-elsewhere" not in everything
    verified = auditor.post("/audit/verify", data={"csrf_token": csrf(page.text)})
    assert verified.status_code == 200 and "Verified just now: audit chain intact" in verified.text
    assert "Last verified" in auditor.get("/audit").text
    assert auditor.get("/patients/p1").status_code == 403


def test_acknowledging_an_alert_keeps_it_visible_as_acknowledged_and_clears_the_dashboard(app):
    storage, now = app.state.storage, datetime.now(UTC)
    seed(storage.uow, records=[LabResult(
        id="l9", patient_id="p1", loinc="1742-6", name="ALT", value=130.0, unit="U/L", reference_high=40.0,
        collected_at=now - timedelta(hours=2))], now=now)
    client = signed_in(app, "nurse.kim")
    assert "ALT 130 U/L" in client.get("/").text.split('id="alerts-title"')[1]
    chart = client.get("/patients/p1").text
    assert 'name="subject" value="l9"' in chart
    partial = client.post("/patients/p1/alerts/acknowledge", headers={"HX-Request": "true"},
                          data={"csrf_token": csrf(chart), "rule": "MON-LIVER-RISING", "subject": "l9"})
    assert partial.status_code == 200 and partial.text.startswith('<span class="muted ack">acknowledged by nurse.kim')
    assert "acknowledged by nurse.kim" in client.get("/patients/p1").text
    assert "No urgent alerts" in client.get("/").text
    bad = client.post("/patients/p1/alerts/acknowledge", data={"csrf_token": csrf(chart), "rule": "RDY-AGE",
                                                               "subject": "l9"})
    assert bad.status_code == 422 and "is not a monitoring rule" in bad.text


def test_inductions_show_the_earliest_ready_date_after_the_dashboard_loads(app):
    storage, now = app.state.storage, datetime.now(UTC)
    today = now.astimezone(TZ).date()
    seed(storage.uow, patients=[Patient(id="p2", clinic_id="c1", given_name="Theo", family_name="Vance",
                                                    birth_date=date(1990, 1, 1), sex_at_birth="male")])
    seed(storage.uow, records=[
        Episode(id="e2", patient_id="p2", indication="OUD", level_of_care="IOP", start=today - timedelta(days=2)),
        SubstanceUseReport(id="s2", patient_id="p2", substance="heroin", last_use=today - timedelta(days=2),
                           reported_on=today),
    ], now=now)
    client = signed_in(app, "nurse.kim")
    board = client.get("/").text
    assert 'hx-get="/dashboard/inductions"' in board or 'href="/dashboard/inductions"' in board
    swap = client.get("/dashboard/inductions", headers={"HX-Request": "true"}).text
    assert swap.lstrip().startswith('<div id="inductions-body"') and "Vance" in swap
    assert "not-ready" in swap or re.search(r'band-partial">\d{4}-\d\d-\d\d<', swap)
    assert "<html" in client.get("/dashboard/inductions").text


def test_counselor_records_a_cbt_group_and_sees_it_on_the_chart_without_clinical_sections(app):
    client = signed_in(app, "couns.ray")
    page = client.get("/patients/p1/counseling/new").text
    today = datetime.now(TZ).date().isoformat()
    response = client.post("/patients/p1/counseling/new", follow_redirects=False, data={
        "csrf_token": csrf(page), "record": "session", "kind": "group", "held_on": today, "duration_min": "90",
        "counselor": "couns.ray", "attended": "yes", "group_id": "Tuesday CBT group"})
    assert response.status_code == 303
    chart = client.get("/patients/p1").text
    assert "group (90 min, couns.ray)" in chart
    assert "Liver tests" not in chart and "Coverage" not in chart and "Alerts" not in chart
    bad = client.post("/patients/p1/counseling/new", data={
        "csrf_token": csrf(page), "record": "session", "kind": "group", "held_on": today, "duration_min": "2",
        "counselor": "couns.ray", "attended": "yes"})
    assert bad.status_code == 422 and "2 must be between 5 and 480 minutes" in bad.text


class FieldAudit(HTMLParser):
    """Collects the form fields of a page and the labels that name them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.label_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.fields.append({"id": a.get("id"), "name": a.get("name"), "aria": a.get("aria-label"),
                                "wrapped": "yes" if self.label_depth else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1

    def unlabelled(self) -> list[str | None]:
        return [f["name"] for f in self.fields
                if not (f["wrapped"] or f["aria"] or (f["id"] and f["id"] in self.label_for))]


def unlabelled_fields(html: str) -> list[str | None]:
    audit = FieldAudit()
    audit.feed(html)
    assert audit.fields, "the page has no form field to check"
    return audit.unlabelled()


def test_every_form_field_of_the_main_pages_has_a_label(app):
    """WCAG 2.1 1.3.1: a label names every field (``for``, wrapping ``label`` or ``aria-label``)."""
    nurse, counselor, desk = (signed_in(app, name) for name in ("nurse.kim", "couns.ray", "desk.lee"))
    pages = {
        "/sign-in": nurse, "/patients": nurse, "/patients/p1/injections/new": nurse,
        "/patients/p1/oral-doses/new": nurse, "/patients/p1/implants/new": nurse, "/patients/p1/labs/new": nurse,
        "/patients/p1/screens/new": nurse, "/patients/p1/readiness": nurse, "/patients/new": desk,
        "/patients/p1/appointments/new": desk, "/patients/p1/questionnaires/audit": counselor,
        "/patients/p1/questionnaires/craving-vas": counselor, "/patients/p1/counseling/new": counselor,
        "/patients/p1/consents": counselor,
    }
    missing = {}
    for path, client in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        if path != "/sign-in" and (gaps := unlabelled_fields(response.text)):
            missing[path] = gaps
    assert missing == {}


def test_screening_scores_over_time_feed_one_small_chart_per_instrument(app):
    storage, now = app.state.storage, datetime.now(UTC)
    seed(storage.uow, records=[
        QuestionnaireResponse(id=f"g{n}", patient_id="p1", instrument="gad-7", answers=(n,) * 7,
                              completed_at=now - timedelta(days=30 - 10 * n), total=7 * n, band="b")
        for n in range(3)], now=now)
    chart = signed_in(app, "nurse.kim").get("/patients/p1").text
    data = re.search(r'<script type="application/json" id="scores-data">(.*?)</script>', chart, re.S).group(1)
    assert '"id": "gad-7"' in data and '"totals": [0.0, 7.0, 14.0]' in data and '"max": 21' in data
    assert 'aria-label="GAD-7 totals over time: 0, 7, 14"' in chart
