"""The morning round (web/round.py): from the dashboard's due list to the injection form and back, the kit lot and
expiry carried to the next form of the day, the needle from the patient's last injection."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.integration.test_web_pages import TZ, app, csrf, seeded_database, signed_in, ticked  # noqa: F401
from tests.seeding import seed

from naltrack.domain.administrations import Injection
from naltrack.domain.patients import Patient
from naltrack.domain.regimens import Regimen


def second_due_patient(app) -> None:  # noqa: F811
    now = datetime.now(UTC)
    today = now.astimezone(TZ).date()
    seed(app.state.storage.uow, patients=[Patient(id="p3", clinic_id="c1", given_name="Flo", family_name="Quinn",
                                                  birth_date=today.replace(year=today.year - 45), sex_at_birth="male")])
    seed(app.state.storage.uow, records=[
        Regimen(id="r3", patient_id="p3", kind="xr-ntx-q4w", start=today - timedelta(days=60)),
        Injection(id="i3", patient_id="p3", given_at=now - timedelta(days=27), side="left", lot="LOT-OLD",
                  expiry=today + timedelta(days=100), needle_length_in=2.0, given_by="nurse.kim", regimen_id="r3")],
        now=now)


def field_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else ""


def test_from_the_worklist_and_back_with_the_kit_carried_to_the_next_patient(app):  # noqa: F811
    second_due_patient(app)
    nurse = signed_in(app, "nurse.kim")
    board = nurse.get("/").text
    due = board.split('id="due-title"')[1].split("<h3>")[0]
    assert 'href="/patients/p1/injections/new?next=/"' in due and 'href="/patients/p3/injections/new?next=/"' in due
    form = nurse.get("/patients/p1/injections/new?next=/").text
    assert field_value(form, "next") == "/" and field_value(form, "lot") == ""
    assert 'value="1.5" selected' in form  # p1's last injection used the 1.5 inch needle
    expiry = (datetime.now(TZ).date() + timedelta(days=300)).isoformat()
    saved = nurse.post("/patients/p1/injections/new", follow_redirects=False, data={
        **ticked(form), "csrf_token": csrf(form), "seen": "i1", "next": "/", "side": "left", "lot": "KIT-77",
        "expiry": expiry, "needle_length_in": "1.5", "given_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"),
        "given_by": "nurse.kim"})
    assert saved.status_code == 303 and saved.headers["location"] == "/?recorded=injection"
    back = nurse.get(saved.headers["location"]).text
    assert "Injection recorded." in back
    assert "/patients/p1/injections/new" not in back.split('id="due-title"')[1].split("<h3>")[0]
    following = nurse.get("/patients/p3/injections/new?next=/").text
    assert (field_value(following, "lot"), field_value(following, "expiry")) == ("KIT-77", expiry)
    assert 'value="2" selected' in following and 'value="right" checked' in following


def test_only_a_worklist_is_a_place_to_return_to(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/injections/new?next=https://evil.example/").text
    assert field_value(form, "next") == ""
    saved = nurse.post("/patients/p1/injections/new", follow_redirects=False, data={
        **ticked(form), "csrf_token": csrf(form), "seen": "i1", "next": "//evil.example", "side": "left",
        "lot": "KIT-1", "expiry": "2031-01-01", "needle_length_in": "1.5",
        "given_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"), "given_by": "nurse.kim"})
    assert saved.status_code == 303 and saved.headers["location"] == "/patients/p1?recorded=injection"


def test_a_pre_dose_screen_is_all_negative_with_one_click_and_exceptions_marked(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    form = nurse.get("/patients/p1/screens/new").text
    assert 'name="all_negative" value="yes"' in form
    saved = nurse.post("/patients/p1/screens/new", follow_redirects=False, data={
        "csrf_token": csrf(form), "collected_at": datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"), "all_negative": "yes",
        "a_buprenorphine": "positive"})
    assert saved.status_code == 303
    with app.state.storage.uow() as uow:
        [screen] = uow.records.for_patient("p1")["screens"]
    results = {r.analyte: r.result for r in screen.results}
    assert results.pop("buprenorphine") == "positive"
    assert set(results.values()) == {"negative"} and len(results) >= 6


def test_an_unknown_page_is_an_html_page_and_an_unknown_api_path_stays_problem_json(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    page = nurse.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and 'href="/"' in page.text
    api = nurse.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    fhir = nurse.get("/fhir/R4/NoSuchType/1")
    assert fhir.status_code in (401, 404) and not fhir.headers["content-type"].startswith("text/html")
    assert nurse.post("/no/such/page").status_code == 404


def test_the_urine_screen_grid_shows_the_newest_screen_first():
    from tests.factories import add, make_chart, make_screen, opioid_panel

    from naltrack.web.chart_view import uds_grid

    older = make_screen(collected_at=datetime(2026, 3, 1, 9, tzinfo=UTC), results=opioid_panel(fentanyl="positive"))
    newer = make_screen(collected_at=datetime(2026, 3, 8, 9, tzinfo=UTC))
    grid = uds_grid(add(make_chart(screens=()), screens=[older, newer]))
    assert [d.isoformat() for d in grid["dates"]] == ["2026-03-08", "2026-03-01"]
    assert next(r for r in grid["rows"] if r["analyte"] == "fentanyl")["cells"] == ["negative", "positive"]
