"""The document renderers over plain content (no database): every text run of the wallet card stays inside its
two credit-card panels, whatever the lengths of the names; the consent form holds each element of 42 CFR 2.31(a)."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from naltrack.domain.patient_texts import EMERGENCY_PAIN_ADVICE, FORM_WORDS
from naltrack.domain.security.consent import Consent
from naltrack.domain.security.consent_form import CONSENT_ELEMENTS
from naltrack.domain.security.roles import CLINICAL_CATEGORIES
from naltrack.services.documents import (
    AfterVisitSummary,
    ConsentFormContent,
    DocumentHeader,
    DoseGiven,
    InjectionLine,
    InjectionRecord,
    PacketSection,
    ReferralPacket,
    UpcomingVisit,
    WalletCard,
)
from naltrack.web import documents_pdf as pdf
from naltrack.web.documents_pdf import CARD_HEIGHT, CARD_WIDTH, CATEGORY_WORDS, day_text

MM_PER_PT = 25.4 / 72
TODAY = date(2026, 3, 2)
HEADER = DocumentHeader("Ada Testwell", date(1990, 5, 1), "Test Street Clinic", TODAY, "(555) 010-0199")
LONG = DocumentHeader("Maximiliana Bartholomew-Featherstonehaugh de la Cruz-Vandersloot", date(1990, 5, 1),
                      "The Very Long Named Community Addiction Medicine and Recovery Services Clinic of the County",
                      TODAY, "+1 (555) 010-0199 ext. 12345")
#: Longer than any real name: the panels' text shrinks together until it fits.
EXTREME = DocumentHeader(" ".join(["Maximiliana Bartholomew-Featherstonehaugh"] * 3), date(1990, 5, 1),
                         " ".join(["Community Addiction Medicine and Recovery Services"] * 3), TODAY,
                         "+1 (555) 010-0199 ext. 12345")


def runs(body: bytes) -> list[tuple[str, float, float, float]]:
    """Each text run: (text, x mm from the left, y mm from the top, font size pt)."""
    page = PdfReader(io.BytesIO(body)).pages[0]
    height_pt = float(page.mediabox.height)
    found: list[tuple[str, float, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x * MM_PER_PT, (height_pt - y) * MM_PER_PT, size * tm[0]))

    page.extract_text(visitor_text=visit)
    return found


def text_of(body: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(body)).pages)


@pytest.mark.parametrize("header", [HEADER, LONG, EXTREME], ids=["usual", "long-names", "extreme"])
@pytest.mark.parametrize("form", sorted(FORM_WORDS))
def test_every_line_of_the_wallet_card_stays_inside_its_panels(header: DocumentHeader, form: str) -> None:
    body = pdf.render_wallet_card(WalletCard(header, form, TODAY, date(2026, 3, 30)))
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) == 1
    width_mm = float(reader.pages[0].mediabox.width) * MM_PER_PT
    left, top = (width_mm - 2 * CARD_WIDTH) / 2, 22.0
    on_card = [r for r in runs(body) if top - 1 <= r[2] <= top + CARD_HEIGHT + 1]
    assert len(on_card) >= 10
    for text, x, y, size in on_card:
        assert left <= x <= left + 2 * CARD_WIDTH - 3, (text, x)
        assert top < y <= top + CARD_HEIGHT - 1.5, (text, y)  # the baseline above the bottom edge and its pad
        assert size >= 4.0, (text, size)  # still readable after shrinking to fit
    front = [r for r in on_card if r[1] < left + CARD_WIDTH]
    back = [r for r in on_card if r[1] >= left + CARD_WIDTH]
    assert front and back
    text = text_of(body)
    assert f"Opioids blocked through: {day_text(date(2026, 3, 30))}" in text
    assert FORM_WORDS[form] in text
    assert all(" ".join(advice.split()[:4]) in text for advice in EMERGENCY_PAIN_ADVICE)


def test_a_card_without_a_blocked_day_or_a_contact_says_so_and_leaves_a_line_to_write_on() -> None:
    header = DocumentHeader("Ada Testwell", date(1990, 5, 1), "Test Street Clinic", TODAY)
    text = text_of(pdf.render_wallet_card(WalletCard(header, "oral", TODAY, None)))
    assert "Opioids blocked through: not on record" in text
    assert "Clinic phone: ____" in text


@pytest.mark.parametrize(("blocked", "words"), [
    (date(2026, 3, 1), "Your naltrexone block ended on Sunday, March 1, 2026. You are NOT protected"),
    (TODAY, "Opioids are blocked through Monday, March 2, 2026."),
    (None, "No naltrexone block is on record."),
])
def test_the_after_visit_summary_says_the_block_in_words_on_both_sides_of_today(blocked: date | None,
                                                                                words: str) -> None:
    summary = AfterVisitSummary(HEADER, (), None, (), blocked)
    text = text_of(pdf.render_after_visit(summary))
    assert words in text
    assert "No naltrexone dose was given at this visit." in text
    assert "No appointment is booked yet." in text
    assert "Next injection due" not in text


def test_the_after_visit_summary_lists_doses_and_visits_in_clinic_time() -> None:
    visit = UpcomingVisit(datetime(2026, 3, 30, 9, 5, tzinfo=ZoneInfo("America/New_York")), "injection")
    summary = AfterVisitSummary(HEADER, (DoseGiven("xr-ntx", "Naltrexone injection 380 mg, left buttock"),),
                                date(2026, 3, 30), (visit,), date(2026, 4, 2))
    text = text_of(pdf.render_after_visit(summary))
    assert "Naltrexone injection 380 mg, left buttock" in text
    assert "Monday, March 30, 2026 at 9:05 AM: injection visit" in text
    assert "Next injection due: Monday, March 30, 2026." in text


def test_a_long_injection_record_runs_over_pages_and_keeps_every_lot() -> None:
    lines = tuple(InjectionLine(date(2024, 1, 1 + i % 28), "left" if i % 2 else "right", f"LOT-{i:03d}", "RN Test",
                                380.0) for i in range(60))
    body = pdf.render_injection_record(InjectionRecord(HEADER, lines, date(2026, 3, 30)))
    assert len(PdfReader(io.BytesIO(body)).pages) >= 2
    text = text_of(body)
    assert all(f"LOT-{i:03d}" in text for i in range(60))
    assert "60 injection(s) on record." in text


def test_the_consent_element_list_names_each_required_element_once_with_its_paragraph() -> None:
    keys = [e.key for e in CONSENT_ELEMENTS]
    assert keys == ["patient", "discloser", "information", "recipient", "purpose", "revocation", "expiration",
                    "signature", "date", "conditioning"]
    assert len({e.heading for e in CONSENT_ELEMENTS}) == len(CONSENT_ELEMENTS)
    assert all(e.citation.startswith("42 CFR 2.31(a)") for e in CONSENT_ELEMENTS)


def test_a_blank_consent_form_offers_every_category_and_every_element() -> None:
    body = pdf.render_consent_form(ConsentFormContent(HEADER, "Naltrexone program, Test Street Clinic", None,
                                                      CONSENT_ELEMENTS))
    text = text_of(body)
    for element in CONSENT_ELEMENTS:
        assert element.heading in text and element.citation in text, element.key
    for category in CLINICAL_CATEGORIES:
        assert " ".join(CATEGORY_WORDS[category].split()[:2]) in text, category
    assert "This consent ends on (date, event or condition):" in text
    assert "blank form" in text


def test_a_revoked_consent_prints_that_it_allows_no_further_disclosure() -> None:
    consent = Consent(id="c1", patient_id="p1", recipient="Dr Roe", purpose="treatment", categories=("labs",),
                      signed_on=date(2026, 1, 2), expires_on=date(2026, 12, 31),
                      revoked_at=datetime(2026, 2, 1, 12, tzinfo=ZoneInfo("UTC")))
    text = text_of(pdf.render_consent_form(ConsentFormContent(HEADER, "P", consent, CONSENT_ELEMENTS)))
    assert "This consent was revoked on 2026-02-01: it allows no further disclosure." in text
    assert "Dr Roe" in text and "lab results" in text and "urine drug screens" not in text


def test_a_referral_packet_prints_the_notice_before_the_records() -> None:
    packet = ReferralPacket("Naltrexone program", datetime(2026, 3, 2, 15, tzinfo=ZoneInfo("UTC")), "d1",
                            "Dr Roe", "referral", ("administrations",), "NOTICE TEXT (42 CFR part 2).",
                            (PacketSection("injections", ((("lot", "LOT-1"), ("side", "left")),)),))
    text = text_of(pdf.render_referral_packet(packet))
    assert text.index("NOTICE TEXT (42 CFR part 2).") < text.index("lot: LOT-1; side: left")
    assert "Injections (1)" in text and "To: Dr Roe" in text


def test_without_dejavu_the_core_font_spells_the_text_in_latin1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "FONT_DIR", pdf.FONT_DIR / "absent")
    text = text_of(pdf.render_wallet_card(WalletCard(HEADER, "xr-ntx", TODAY, date(2026, 3, 30))))
    assert "I TAKE NALTREXONE" in text and day_text(date(2026, 3, 30)) in text
