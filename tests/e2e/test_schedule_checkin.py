"""The front desk on the day's schedule in a real browser: one patient checked in and another marked a no-show,
one click each from the schedule (the clicks counted), with screenshots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from tests.e2e.conftest import TZ_NAME
from tests.seeding import seed

from naltrack.domain.care import Appointment


def shoot(page: Any, screenshots: Any, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def book_today(live_server: Any) -> None:
    """Two visits today: Lena Moss at 08:00 and Omar Quinn at 08:30."""
    day, tz = live_server.today, ZoneInfo(TZ_NAME)

    def at(hour: int, minute: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)

    seed(live_server.app.state.storage.uow, records=[
        Appointment(id="appt-moss", patient_id="p-ok", kind="counseling", starts_at=at(8, 0), clinician="R. Ray"),
        Appointment(id="appt-quinn", patient_id="p-late", kind="injection", starts_at=at(8, 30))],
        now=datetime.now(UTC))


def test_front_desk_checks_one_patient_in_and_marks_another_no_show(page, live_server, sign_in, screenshots):
    book_today(live_server)
    sign_in("front-desk")
    page.get_by_role("link", name="Schedule").click()
    moss = page.locator("tr", has=page.get_by_role("link", name="Lena Moss"))
    quinn = page.locator("tr", has=page.get_by_role("link", name="Omar Quinn"))
    expect(moss.locator(".badge")).to_have_text("Booked")
    shoot(page, screenshots, "schedule-booked")
    clicks: list[str] = []

    def click(locator: Any, what: str) -> None:
        clicks.append(what)
        locator.click()

    click(moss.get_by_role("button", name="Checked in"), "Lena Moss: Checked in")
    expect(page.locator("#schedule-notice")).to_have_text("Lena Moss, 08:00: checked in.")
    expect(moss.locator(".badge")).to_have_text("Checked in")
    expect(moss.get_by_role("button", name="No-show")).to_have_count(0)
    expect(moss.get_by_role("button", name="Seen")).to_be_visible()
    shoot(page, screenshots, "schedule-checked-in")
    click(quinn.get_by_role("button", name="No-show"), "Omar Quinn: No-show")
    expect(page.locator("#schedule-notice")).to_have_text("Omar Quinn, 08:30: no-show.")
    expect(quinn.locator(".badge")).to_have_text("No-show")
    expect(moss.locator(".badge")).to_have_text("Checked in")
    shoot(page, screenshots, "schedule-no-show")
    assert clicks == ["Lena Moss: Checked in", "Omar Quinn: No-show"]  # one click per patient from the schedule
