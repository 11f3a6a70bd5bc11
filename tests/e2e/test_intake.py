"""The front desk at intake in a real browser: a second registration of a patient already on record is stopped
with that patient named and linked, and goes through once the registrar ticks that it is a different person."""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.sync_api import expect
from tests.seeding import seed

from naltrack.domain.patients import Patient


def shoot(page: Any, screenshots: Any, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def fill_intake(page: Any, given: str, family: str, born: str, phone: str) -> None:
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Birth date").fill(born)
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_label("Phone").fill(phone)
    page.get_by_role("button", name="Register").click()


def test_a_possible_duplicate_is_named_and_nothing_is_saved(page, live_server, sign_in, screenshots):
    sign_in("front-desk")
    page.goto(f"{live_server.url}/patients/new")
    fill_intake(page, "dana", "REYES", "1986-03-14", "555 0142")
    notice = page.locator("#possible-duplicates")
    expect(notice).to_contain_text("Nothing was saved: this may be a patient already registered.")
    expect(notice.get_by_role("link", name="Dana Reyes")).to_have_attribute("href", "/patients/p-due")
    expect(notice).to_contain_text("MRN MRN-DUE")
    expect(page.get_by_label("Phone")).to_have_value("555 0142")
    expect(page.get_by_label("This is a different person: register anyway")).not_to_be_checked()
    shoot(page, screenshots, "intake-possible-duplicate")
    page.goto(f"{live_server.url}/patients?q=reyes")
    expect(page.locator("#patient-results").get_by_role("link", name="Reyes, Dana")).to_have_count(1)


def test_a_different_person_of_the_same_name_and_birth_date_is_registered_when_ticked(page, live_server, sign_in):
    seed(live_server.app.state.storage.uow, patients=[Patient(
        id="p-nunez", clinic_id="c1", given_name="Marisol", family_name="Núñez", birth_date=date(1975, 1, 9),
        sex_at_birth="female", mrn="MRN-NUNEZ")])
    sign_in("front-desk")
    page.goto(f"{live_server.url}/patients/new")
    fill_intake(page, "Marisol", "Nunez", "1975-01-09", "555 0177")
    expect(page.locator("#possible-duplicates").get_by_role("link", name="Marisol Núñez")).to_be_visible()
    page.get_by_label("This is a different person: register anyway").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marisol Nunez")
    page.goto(f"{live_server.url}/patients?q=marisol")
    expect(page.locator("#patient-results").get_by_role("link", name="Marisol")).to_have_count(2)
