"""The patient portal in a real browser at phone size (390 x 844): the front desk invites a patient from the
chart, the patient sets a password from the one-time link and signs in, keeps a diary day, reports swelling at the
injection site (urgent on the nurse's dashboard), and answers an assigned PHQ-9 with item 9 "Several days": the
crisis resources show at once and the staff's urgent alert is raised."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import PASSWORD, USERS
from tests.seeding import seed

from naltrack.instruments.definitions import get_instrument

PHONE = {"width": 390, "height": 844}
PATIENT_ID, GIVEN, FAMILY = "p-portal", "Nora", "Portalle"
NEW_PASSWORD = "harbor lantern quiet falcon"


def _seed_patient(live_server: Any) -> None:
    from naltrack.domain.administrations import Injection
    from naltrack.domain.episodes import Episode
    from naltrack.domain.patients import Patient
    from naltrack.domain.regimens import Regimen

    now, today = datetime.now(UTC), live_server.today
    seed(live_server.app.state.storage.uow, patients=[Patient(
        id=PATIENT_ID, clinic_id="c1", given_name=GIVEN, family_name=FAMILY, birth_date=date(1991, 2, 3),
        sex_at_birth="female", mrn="MRN-PORTAL")])
    seed(live_server.app.state.storage.uow, records=[
        Episode(id=f"{PATIENT_ID}-e", patient_id=PATIENT_ID, indication="OUD", level_of_care="OP",
                start=today - timedelta(days=50)),
        Regimen(id=f"{PATIENT_ID}-r", patient_id=PATIENT_ID, kind="xr-ntx-q4w", start=today - timedelta(days=30)),
        Injection(id=f"{PATIENT_ID}-i", patient_id=PATIENT_ID, given_at=now - timedelta(days=12), side="right",
                  lot="LOT-3001", expiry=today + timedelta(days=200), needle_length_in=1.5, given_by="nurse.kim",
                  regimen_id=f"{PATIENT_ID}-r"),
    ], now=now)


def _staff(browser: Any, live_server: Any, role: str) -> Any:
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("User name").fill(USERS[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    return page


def _shot(page: Any, screenshots: Any, name: str) -> None:
    """A screenshot; a patient's page must also fit the phone's width (no sideways scrolling)."""
    page.screenshot(path=str(screenshots / f"portal-{name}.png"), full_page=True)
    if not name.startswith(("staff", "nurse")):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"portal-{name}: {width} px wide on a {PHONE['width']} px phone"


def test_a_patient_is_invited_keeps_a_diary_reports_a_side_effect_and_answers_a_phq9(
        browser: Any, live_server: Any, screenshots: Any) -> None:
    _seed_patient(live_server)
    desk = _staff(browser, live_server, "front-desk")
    desk.goto(f"{live_server.url}/patients/{PATIENT_ID}")
    desk.locator("#portal-link").click()
    expect(desk.get_by_label("Login name to suggest")).to_have_value("nora.portalle")
    desk.get_by_role("button", name="Create invite link").click()
    link = desk.locator("#invite-link").input_value().strip()
    assert link.startswith(f"{live_server.url}/portal/invite/")
    _shot(desk, screenshots, "staff-invite")

    nurse = _staff(browser, live_server, "nurse")
    nurse.goto(f"{live_server.url}/patients/{PATIENT_ID}/portal")
    nurse.get_by_label("Questionnaire").select_option("phq-9")
    nurse.get_by_role("button", name="Assign").click()
    expect(nurse.locator("#assigned")).to_contain_text("Patient Health Questionnaire (PHQ-9) assigned")

    patient = browser.new_context(viewport=PHONE).new_page()
    violations: list[str] = []  # the portal's pages under the Content Security Policy: nothing blocked
    patient.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    patient.on("pageerror", lambda error: violations.append(str(error)))
    patient.goto(link)
    expect(patient.get_by_label("Login name")).to_have_value("nora.portalle")
    patient.get_by_label("New password").fill("password12345")
    patient.get_by_label("Type the password again").fill("password12345")
    patient.get_by_role("button", name="Save my password").click()
    expect(patient.locator("#password-error")).to_contain_text("too easy to guess")
    patient.get_by_label("New password").fill(NEW_PASSWORD)
    patient.get_by_label("Type the password again").fill(NEW_PASSWORD)
    _shot(patient, screenshots, "set-password")
    patient.get_by_role("button", name="Save my password").click()
    expect(patient.locator("#ready")).to_be_visible()
    patient.goto(link)  # one use only
    expect(patient.get_by_role("heading", name="Not found")).to_be_visible()

    patient.goto(f"{live_server.url}/portal/sign-in")
    patient.get_by_label("Login name").fill("nora.portalle")
    patient.get_by_label("Password").fill(NEW_PASSWORD)
    _shot(patient, screenshots, "sign-in")
    patient.get_by_role("button", name="Sign in").click()
    expect(patient.get_by_role("heading", name=f"Hello, {GIVEN}")).to_be_visible()
    expect(patient.locator("#blocked-through")).not_to_be_empty()
    expect(patient.locator("#next-injection")).not_to_be_empty()
    _shot(patient, screenshots, "home")
    card = patient.request.get(patient.locator("#wallet-card-link").evaluate("a => a.href"))
    assert card.status == 200 and card.headers["content-type"] == "application/pdf"
    assert card.body().startswith(b"%PDF")

    patient.locator("#go-diary").click()
    patient.get_by_label("How many standard drinks?").fill("2")
    patient.locator("#craving-field").get_by_label("6", exact=True).check()
    patient.get_by_role("button", name="Save this day").click()
    expect(patient.locator("#diary-saved")).to_be_visible()
    expect(patient.locator("#diary-days")).to_contain_text("2.0 drinks, craving 6 of 10")
    _shot(patient, screenshots, "diary")

    patient.goto(f"{live_server.url}/portal")
    patient.locator("#go-side-effects").click()
    patient.get_by_label("Swelling at the injection site").check()
    patient.get_by_label("Mild: I notice it, it does not stop me").check()
    patient.get_by_role("button", name="Send to my care team").click()
    expect(patient.locator("#urgent-advice")).to_be_visible()
    _shot(patient, screenshots, "side-effect")

    nurse.goto(f"{live_server.url}/")
    report = nurse.locator("#side-effects li", has_text=f"{GIVEN} {FAMILY}")
    expect(report).to_contain_text("Urgent")
    expect(report).to_contain_text("Swelling at the injection site, mild")
    report.scroll_into_view_if_needed()
    _shot(nurse, screenshots, "nurse-dashboard-side-effect")

    patient.goto(f"{live_server.url}/portal")
    patient.get_by_role("link", name="Answer the PHQ-9 questions").click()
    for n, item in enumerate(get_instrument("phq-9").items, start=1):
        answer = "Several days" if n == 9 else "Not at all"
        patient.locator(f"#{item.link_id}-field").get_by_label(answer, exact=True).check()
    _shot(patient, screenshots, "phq9-form")
    patient.get_by_role("button", name="Send my answers").click()
    crisis = patient.locator("#crisis-resources")
    expect(crisis).to_be_visible()
    expect(crisis.get_by_role("link", name="Call 988: Suicide & Crisis Lifeline")).to_have_attribute("href", "tel:988")
    expect(crisis.get_by_role("link", name="Text 988")).to_have_attribute("href", "sms:988")
    expect(crisis.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    assert crisis.bounding_box()["y"] < PHONE["height"]  # at once: on the first screen, no scrolling
    _shot(patient, screenshots, "crisis")

    nurse.goto(f"{live_server.url}/")
    alert = nurse.locator("li.fail", has_text=f"{GIVEN} {FAMILY}").filter(has_text="item 9")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("PHQ-9")
    _shot(nurse, screenshots, "nurse-dashboard-item9")

    patient.goto(f"{live_server.url}/portal/learn")
    patient.get_by_role("link", name="Overdose risk after stopping or missing a dose").click()
    expect(patient.get_by_role("heading", name="Overdose risk after stopping or missing a dose")).to_be_visible()
    _shot(patient, screenshots, "learn-overdose")
    patient.goto(f"{live_server.url}/portal/disclosures")
    expect(patient.locator("#no-disclosures")).to_be_visible()
    width = patient.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"
    assert violations == [], "\n".join(violations)

    patient.goto(f"{live_server.url}/patients/{PATIENT_ID}")  # a staff page: the portal session opens nothing
    assert patient.url.startswith(f"{live_server.url}/sign-in")
