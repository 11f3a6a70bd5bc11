"""The pages under their Content Security Policy in a real browser: nothing is blocked, the charts draw."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

PAGES = ["/", "/patients", "/schedule", "/patients/p-due", "/patients/p-ok", "/patients/p-ok/injections/new",
         "/patients/p-due/screens/new", "/patients/p-late/questionnaires/phq-9", "/patients/p-new/consents",
         "/patients/p-new/readiness", "/patients/p-new/substance-use/new", "/patients/p-new/naloxone-challenges/new",
         "/patients/p-new/allergies/new", "/patients/p-new/held-doses/new", "/patients/p-new/orders/new",
         "/patients/p-new/pregnancy", "/patients/p-new/medications/new?q=oxycodone",
         "/patients/p-new/adverse-events/new", "/patients/p-new/diagnoses/new?q=opioid",
         "/no-such-page"]


@pytest.fixture()
def violations(page: Any) -> list[str]:
    """Every policy violation and script error the browser reports while the test runs."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def test_the_sign_in_page_breaks_no_policy(page, live_server, violations):
    response = page.goto(f"{live_server.url}/sign-in")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert violations == [], "\n".join(violations)


def test_the_clinical_pages_break_no_policy_and_the_charts_draw(page, live_server, sign_in, violations, screenshots):
    sign_in("prescriber")
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.headers["cache-control"] == "no-store", path
        page.wait_for_load_state("networkidle")
        if path.endswith("/new") and "/p-new/" in path:  # the forms a readiness check asks for
            page.screenshot(path=str(screenshots / f"form-{path.split('/')[3]}.png"), full_page=True)
    page.goto(f"{live_server.url}/patients/p-due")
    if live_server.app.state.web.assets.has_plotly:
        expect(page.locator("[data-drawn=true]").first).to_be_visible()
    assert violations == [], "\n".join(violations)
