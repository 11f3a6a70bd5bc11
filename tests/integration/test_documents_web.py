"""The chart's Documents section over HTTP: each PDF downloads for the roles the matrix allows; the referral
packet is a consent-gated disclosure (POST, CSRF-checked) and a refusal leaves nothing behind."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

from pypdf import PdfReader
from tests.integration.test_web_pages import TZ, app, csrf, seeded_database, signed_in  # noqa: F401  (fixtures)
from tests.seeding import stored_chart

from naltrack.domain.protection import protection_end
from naltrack.domain.security.accounts import Actor
from naltrack.services.consents import list_disclosures
from naltrack.services.context import AppContext
from naltrack.web.documents_pdf import day_text


def pdf_text(body: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(body)).pages)


def test_the_chart_links_each_document_and_the_wallet_card_holds_the_domains_date(app):  # noqa: F811
    client = signed_in(app, "nurse.kim")
    chart = client.get("/patients/p1").text
    section = chart.split('id="documents"')[1].split("</nav>")[0]
    for name in ("wallet-card", "after-visit", "injection-record", "consent-form"):
        assert f"/patients/p1/documents/{name}.pdf" in section, name
    assert "referral-packet" not in section  # a nurse may not disclose
    card = client.get("/patients/p1/documents/wallet-card.pdf")
    assert card.status_code == 200 and card.headers["content-type"] == "application/pdf"
    assert card.headers["content-disposition"] == 'attachment; filename="wallet-card-p1.pdf"'
    text = pdf_text(card.content)
    assert "I TAKE NALTREXONE" in text and "Harbor Clinic" in text
    end = protection_end(stored_chart(app.state.storage.uow, "p1"), datetime.now(UTC).astimezone(TZ).date(), TZ)
    assert end is not None
    assert f"Opioids blocked through: {day_text(end)}" in text
    summary = client.get("/patients/p1/documents/after-visit.pdf")
    assert summary.status_code == 200 and "Overdose warning" in pdf_text(summary.content)


def test_the_front_desk_sees_no_documents_and_is_refused_them(app):  # noqa: F811
    client = signed_in(app, "desk.lee")
    for name in ("wallet-card", "after-visit", "injection-record", "consent-form"):
        response = client.get(f"/patients/p1/documents/{name}.pdf")
        assert response.status_code == 403 and "Not available to your role" in response.text, name


def test_the_referral_packet_is_refused_without_consent_and_disclosed_with_one(app):  # noqa: F811
    client = signed_in(app, "dr.okafor")
    assert 'href="/patients/p1/documents/referral-packet"' in client.get("/patients/p1").text
    page = client.get("/patients/p1/documents/referral-packet").text
    assert "No consent on file: nothing may be disclosed." in page
    form = {"csrf_token": csrf(page), "recipient": "Riverside Primary Care", "purpose": "referral",
            "cat_administrations": "on"}
    refused = client.post("/patients/p1/documents/referral-packet.pdf", data=form)
    assert refused.status_code == 403 and "Not disclosed" in refused.text
    ctx = AppContext(uow=app.state.secure_uow)
    with app.state.secure_uow() as uow:
        prescriber = Actor(uow.security.find_credentials("dr.okafor")[0])
    assert list_disclosures(ctx, prescriber, "p1", datetime.now(UTC)) == []
    page = client.get("/patients/p1/consents").text
    assert client.post("/patients/p1/consents", follow_redirects=False, data={
        "csrf_token": csrf(page), "recipient": "Riverside Primary Care", "purpose": "referral",
        "cat_administrations": "on", "signed_on": "2026-01-02", "expires_on": "2030-12-31"}).status_code == 303
    listed = client.get("/patients/p1/documents/referral-packet").text
    assert "Riverside Primary Care" in listed and "/patients/p1/documents/consent-form.pdf?consent=" in listed
    packet = client.post("/patients/p1/documents/referral-packet.pdf", data=form)
    assert packet.status_code == 200 and packet.headers["content-type"] == "application/pdf"
    text = pdf_text(packet.content)
    assert "42 CFR 2.32" in text and "LOT-A" in text and "Dana" not in text
    made = list_disclosures(ctx, prescriber, "p1", datetime.now(UTC))
    assert [(d.recipient, d.categories) for d in made] == [("Riverside Primary Care", ("administrations",))]
    without_token = client.post("/patients/p1/documents/referral-packet.pdf", data={**form, "csrf_token": "x"})
    assert without_token.status_code == 403
    assert len(list_disclosures(ctx, prescriber, "p1", datetime.now(UTC))) == 1


def test_a_consent_form_from_a_recorded_consent_names_its_recipient(app):  # noqa: F811
    client = signed_in(app, "dr.okafor")
    page = client.get("/patients/p1/consents").text
    client.post("/patients/p1/consents", data={
        "csrf_token": csrf(page), "recipient": "County Hospital ED", "purpose": "treatment",
        "cat_medications": "on", "signed_on": "2026-01-02", "expires_on": "2030-12-31"})
    listing = client.get("/patients/p1/consents").text
    consent_id = re.search(r"/patients/p1/consents/([0-9a-f]+)/revoke", listing).group(1)
    form = client.get(f"/patients/p1/documents/consent-form.pdf?consent={consent_id}")
    assert form.status_code == 200
    text = pdf_text(form.content)
    assert "County Hospital ED" in text and f"This consent ends on {day_text(date(2030, 12, 31))}" in text


def test_a_packet_form_without_recipient_or_records_is_shown_again_naming_them(app):  # noqa: F811
    client = signed_in(app, "dr.okafor")
    page = client.get("/patients/p1/documents/referral-packet").text
    answer = client.post("/patients/p1/documents/referral-packet.pdf", data={
        "csrf_token": csrf(page), "recipient": "", "purpose": "referral"})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert "choose at least one record category the consent covers" in answer.text
    assert 'id="f-recipient"' in answer.text
    with app.state.secure_uow() as uow:
        prescriber = Actor(uow.security.find_credentials("dr.okafor")[0])
    assert list_disclosures(AppContext(uow=app.state.secure_uow), prescriber, "p1", datetime.now(UTC)) == []
    assert client.get("/patients/p1/documents/referral-packet", follow_redirects=False).status_code == 200
    refused = signed_in(app, "nurse.kim").get("/patients/p1/documents/referral-packet")
    assert refused.status_code == 403 and "may not disclose" in refused.text
