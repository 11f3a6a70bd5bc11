"""The front desk records a patient's consent to text reminders and gives them a calendar link, in a real
browser: a wrong number is refused inline, the clicks from the chart counted, with screenshots."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def shoot(page: Any, screenshots: Any, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_front_desk_records_sms_consent_and_a_calendar_link(page, live_server, sign_in, screenshots):
    sign_in("front-desk")
    clicks: list[str] = []

    def click(locator: Any, what: str) -> None:
        clicks.append(what)
        locator.click()

    page.goto(f"{live_server.url}/patients/p-ok")
    click(page.get_by_role("link", name="Contact and reminders"), "Contact and reminders")
    expect(page.get_by_role("heading", name="Contact and reminders: Lena Moss")).to_be_visible()
    expect(page.locator("#consent-sms")).to_contain_text("No consent")

    page.get_by_label("Channel").select_option("sms")
    page.get_by_label("E-mail address or mobile number").fill("12")
    page.get_by_role("button", name="Record consent").click()
    expect(page.locator("#address-error")).to_be_visible()  # refused inline, nothing recorded
    expect(page.locator("#consent-sms")).to_contain_text("No consent")
    shoot(page, screenshots, "contact-refused-number")

    page.get_by_label("E-mail address or mobile number").fill("+16175550142")
    click(page.get_by_role("button", name="Record consent"), "Record consent")
    expect(page.locator("#consent-sms")).to_contain_text("+16175550142")
    expect(page.locator("#consent-sms")).to_contain_text("Consented")
    expect(page.locator("#consent-sms")).to_contain_text("recorded by desk.lee")  # a user name, not an id

    click(page.get_by_role("button", name="Create a link"), "Create a link")
    link = page.locator("#calendar-url")
    expect(link).to_be_visible()
    url = link.input_value()
    assert url.startswith(f"{live_server.url}/calendar/") and url.endswith(".ics")
    expect(page.locator("#calendar-status")).to_have_text("A calendar link is in force.")
    shoot(page, screenshots, "contact-consent-and-calendar")

    calendar = page.request.get(url)
    assert calendar.status == 200 and calendar.text().startswith("BEGIN:VCALENDAR")
    assert "naltrexone" not in calendar.text().lower()
    # From the chart: one click to the page, one to record consent, one for the calendar link.
    assert clicks == ["Contact and reminders", "Record consent", "Create a link"]
