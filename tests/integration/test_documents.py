"""The printed patient documents on SQLite and PostgreSQL: the PDFs' text, read back with pypdf.

Each document is rendered from a stored chart through its use case (services/documents.py), and its text
must hold the domain's dates (protection_end, next_injection_due) exactly as the documents print them.
A first-page PNG of each is written under test-artifacts/documents/ (pdftoppm) to look at.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from tests.factories import (
    liver_labs,
    make_clinic,
    make_episode,
    make_injection,
    make_man,
    make_regimen,
)
from tests.seeding import seed, stored_chart

from naltrack.bootstrap import Storage
from naltrack.domain.care import Appointment
from naltrack.domain.due_dates import next_injection_due
from naltrack.domain.errors import AccessDenied, DisclosureRefused, InvalidInput
from naltrack.domain.protection import protection_end
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT
from naltrack.domain.security.consent_form import CONSENT_ELEMENTS
from naltrack.services import consents
from naltrack.services import documents as cases
from naltrack.services.context import AppContext
from naltrack.services.security import add_user
from naltrack.web import documents_pdf as pdf
from naltrack.web.documents_pdf import day_text

PATIENT = "doc-p1"
#: 15:00 on Thursday 5 November 2026 in New York: the visit day.
NOW = datetime(2026, 11, 5, 20, 0, tzinfo=UTC)
TODAY = date(2026, 11, 5)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"
RECIPIENT = "Riverside Primary Care"


@dataclass(frozen=True)
class Program:
    storage: Storage
    ctx: AppContext
    users: dict[str, Actor]


def text_of(body: bytes) -> str:
    """The PDF's text, every page, with runs of white space made single spaces."""
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def screenshot(name: str, body: bytes, backend: str) -> None:
    """The first page as a PNG under test-artifacts/documents/ (SQLite run only; the PostgreSQL one is the same).

    pdftoppm is Debian's poppler-utils, which scripts/test-deps installs: without it the test fails, never skips."""
    if backend != "sqlite":
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(body)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(source),
                    str(ARTIFACTS / name)], check=True, timeout=60)
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000


@pytest.fixture()
def program(storage: Storage) -> Iterator[Program]:
    p = {"patient_id": PATIENT}
    seed(storage.uow, clinics=[make_clinic()], patients=[make_man(id=PATIENT)],
         records=[make_episode("OUD", start=date(2026, 9, 1), **p), make_regimen(start=date(2026, 9, 1), **p),
                  make_injection(given_at=datetime(2026, 10, 8, 14, tzinfo=UTC), side="right", lot="LOT-OCT-08",
                                 given_by="RN Ortiz", **p),
                  make_injection(given_at=datetime(2026, 11, 5, 15, tzinfo=UTC), side="left", lot="LOT-NOV-05",
                                 given_by="RN Okafor", **p),
                  Appointment(id="doc-appt-1", kind="injection", starts_at=datetime(2026, 12, 3, 15, 30, tzinfo=UTC),
                              **p),
                  *(replace(lab, patient_id=PATIENT) for lab in liver_labs(day=date(2026, 10, 30)))],
         now=datetime(2026, 11, 5, 16, tzinfo=UTC))
    users = {}
    for name, role in (("rn.doc", "nurse"), ("dr.doc", "prescriber"), ("desk.doc", "front-desk"),
                       ("counsel.doc", "counselor")):
        user: User = add_user(storage.secure_uow, name, "synthetic-password-42", role, "c-test", NOW)
        users[role] = Actor(user)
    yield Program(storage, AppContext(uow=storage.secure_uow), users)


def backend(storage: Storage) -> str:
    return "postgres" if storage.url.startswith("postgres") else "sqlite"


def expected_dates(program: Program) -> tuple[date, date]:
    """The domain's own answers on the visit day: (blocked through, next injection due)."""
    chart = stored_chart(program.storage.uow, PATIENT)
    zone = make_clinic().zone
    end, due = protection_end(chart, TODAY, zone), next_injection_due(chart, TODAY, zone)
    assert end is not None and due is not None
    return end, due


def test_the_wallet_card_names_naltrexone_and_the_exact_blocked_through_day(program: Program) -> None:
    end, _ = expected_dates(program)
    assert end > TODAY
    card = cases.wallet_card(program.ctx, program.users["nurse"], PATIENT, NOW, "(555) 010-0199")
    assert (card.blocked_through, card.last_dose_on, card.form) == (end, TODAY, "xr-ntx")
    body = pdf.render_wallet_card(card)
    text = text_of(body)
    assert "I TAKE NALTREXONE" in text
    assert f"Opioids blocked through: {day_text(end)}" in text
    assert f"Last dose: {day_text(TODAY)}" in text
    assert "monthly injection (XR-NTX, Vivitrol)" in text
    assert "regional anesthesia" in text and "non-opioid pain medicines" in text
    assert "respiratory depression" in text
    assert "Test Street Clinic" in text and "(555) 010-0199" in text
    assert "Carrying this card is your choice." in text
    assert "disorder" not in text.replace("does not name any diagnosis", "")  # no diagnosis named
    assert len(PdfReader(io.BytesIO(body)).pages) == 1
    screenshot("wallet-card", body, backend(program.storage))


def test_the_after_visit_summary_holds_todays_dose_the_next_due_day_and_the_warnings(program: Program) -> None:
    end, due = expected_dates(program)
    summary = cases.after_visit(program.ctx, program.users["prescriber"], PATIENT, NOW)
    assert [d.form for d in summary.doses_today] == ["xr-ntx"]
    assert summary.next_injection_due == due and summary.blocked_through == end
    assert [v.starts_at.date() for v in summary.next_visits] == [date(2026, 12, 3)]
    body = pdf.render_after_visit(summary)
    text = text_of(body)
    assert "Naltrexone injection 380 mg, left buttock" in text
    assert f"Next injection due: {day_text(due)}" in text
    assert f"Opioids are blocked through {day_text(end)}" in text
    assert f"{day_text(date(2026, 12, 3))} at 10:30 AM: injection visit" in text
    assert "Overdose warning" in text and "naloxone" in text
    assert "Yellow skin or eyes" in text
    screenshot("after-visit", body, backend(program.storage))


def test_the_injection_record_lists_every_injection_and_the_next_due_day(program: Program) -> None:
    _, due = expected_dates(program)
    record = cases.injection_record(program.ctx, program.users["nurse"], PATIENT, NOW)
    assert [(i.given_on, i.side, i.lot, i.given_by) for i in record.injections] == [
        (date(2026, 10, 8), "right", "LOT-OCT-08", "RN Ortiz"), (date(2026, 11, 5), "left", "LOT-NOV-05", "RN Okafor")]
    body = pdf.render_injection_record(record)
    text = text_of(body)
    for needle in ("LOT-OCT-08", "LOT-NOV-05", "RN Ortiz", "RN Okafor", "right buttock", "left buttock",
                   day_text(date(2026, 10, 8)), f"Next injection due: {day_text(due)}"):
        assert needle in text, needle
    screenshot("injection-record", body, backend(program.storage))


def test_the_blank_consent_form_holds_every_element_of_2_31(program: Program) -> None:
    form = cases.consent_form(program.ctx, program.users["counselor"], PATIENT, "Naltrexone treatment program", NOW)
    assert form.consent is None
    text = text_of(pdf.render_consent_form(form))
    assert len(CONSENT_ELEMENTS) == 10
    for element in CONSENT_ELEMENTS:
        assert element.heading in text, element.key
        assert element.citation in text, element.key
    assert "Sam Rivera" in text and "Naltrexone treatment program, Test Street Clinic" in text
    assert "does not undo a disclosure already made" in text
    assert "Signature of person authorized to sign for the patient" in text
    assert "will not refuse you treatment" in text


def test_the_consent_form_is_filled_from_a_recorded_consent(program: Program) -> None:
    consent = consents.create_consent(
        program.ctx, program.users["prescriber"], PATIENT,
        {"recipient": RECIPIENT, "purpose": "referral", "categories": ("administrations", "medications"),
         "signed_on": TODAY, "expires_on": date(2027, 5, 31)}, NOW)
    form = cases.consent_form(program.ctx, program.users["nurse"], PATIENT, "Naltrexone treatment program", NOW,
                              consent.id)
    body = pdf.render_consent_form(form)
    text = text_of(body)
    for element in CONSENT_ELEMENTS:
        assert element.heading in text, element.key
    assert RECIPIENT in text and "referral to another provider" in text
    assert f"This consent ends on {day_text(date(2027, 5, 31))}" in text
    assert "naltrexone doses and injections given" in text and "medicines" in text
    assert "urine drug screens" not in text  # only the consented categories are listed
    screenshot("consent-form", body, backend(program.storage))
    with pytest.raises(InvalidInput, match="is not a consent of patient"):
        cases.consent_form(program.ctx, program.users["nurse"], "other-patient", "P", NOW, consent.id)


def test_the_referral_packet_carries_the_notice_and_only_the_consented_categories(program: Program) -> None:
    consents.create_consent(
        program.ctx, program.users["prescriber"], PATIENT,
        {"recipient": RECIPIENT, "purpose": "referral", "categories": ("administrations",),
         "signed_on": TODAY, "expires_on": date(2027, 5, 31)}, NOW)
    packet = cases.referral_packet(program.ctx, program.users["prescriber"], PATIENT, RECIPIENT, "referral",
                                   ("administrations",), "Naltrexone treatment program", NOW)
    assert {s.kind for s in packet.sections} == {"injections"}
    body = pdf.render_referral_packet(packet)
    text = text_of(body)
    assert " ".join(REDISCLOSURE_NOTICE_DEFAULT.split()) in text
    assert "LOT-OCT-08" in text and "LOT-NOV-05" in text
    assert "1742-6" not in text and "ALT" not in text  # labs were not consented
    assert "Sam" not in text and "Rivera" not in text  # no demographics without their category
    made = consents.list_disclosures(program.ctx, program.users["prescriber"], PATIENT, NOW)
    assert [(d.id, d.recipient, d.categories, d.record_count) for d in made] == [
        (packet.disclosure_id, RECIPIENT, ("administrations",), 2)]
    screenshot("referral-packet", body, backend(program.storage))


def test_a_referral_without_consent_is_refused_recorded_only_as_an_audited_refusal(program: Program) -> None:
    with program.storage.secure_uow() as uow:
        before = len(list(uow.security.iter_audit()))
    with pytest.raises(DisclosureRefused):
        cases.referral_packet(program.ctx, program.users["prescriber"], PATIENT, RECIPIENT, "referral",
                              ("administrations",), "Naltrexone treatment program", NOW)
    with program.storage.secure_uow() as uow:
        entries = list(uow.security.iter_audit())[before:]
    assert [(e.action, e.category, e.patient_id, e.outcome) for e in entries] == [
        ("disclose", "disclosures", PATIENT, "denied")]
    assert consents.list_disclosures(program.ctx, program.users["prescriber"], PATIENT, NOW) == []


def test_each_document_is_audited_under_its_name_and_the_matrix_decides_who_prints(program: Program) -> None:
    with program.storage.secure_uow() as uow:
        before = len(list(uow.security.iter_audit()))
    cases.wallet_card(program.ctx, program.users["nurse"], PATIENT, NOW)
    cases.injection_record(program.ctx, program.users["nurse"], PATIENT, NOW)
    with program.storage.secure_uow() as uow:
        entries = list(uow.security.iter_audit())[before:]
    assert [(e.record_type, e.category, e.patient_id, e.outcome) for e in entries] == [
        ("wallet-card", "clinical-views", PATIENT, "allowed"), ("injection-record", "administrations", PATIENT,
                                                               "allowed")]
    for role, use in (("front-desk", cases.wallet_card), ("counselor", cases.injection_record),
                      ("front-desk", cases.after_visit)):
        with pytest.raises(AccessDenied):
            use(program.ctx, program.users[role], PATIENT, NOW)
    with pytest.raises(AccessDenied):
        cases.consent_form(program.ctx, program.users["front-desk"], PATIENT, "P", NOW)
    with pytest.raises(AccessDenied):
        cases.referral_packet(program.ctx, program.users["nurse"], PATIENT, RECIPIENT, "referral",
                              ("administrations",), "P", NOW)


def test_a_wallet_card_needs_a_naltrexone_dose_on_record(program: Program) -> None:
    seed(program.storage.uow, patients=[make_man(id="doc-p2", given_name="Noa", mrn="MRN-DOC-2")])
    with pytest.raises(InvalidInput, match="has no naltrexone dose on record") as raised:
        cases.wallet_card(program.ctx, program.users["nurse"], "doc-p2", NOW)
    assert (raised.value.field, raised.value.value) == ("patient", "doc-p2")
    with program.storage.secure_uow() as uow:
        last = list(uow.security.iter_audit())[-1]
    assert (last.record_type, last.patient_id, last.outcome) == ("wallet-card", "doc-p2", "invalid")
    summary = cases.after_visit(program.ctx, program.users["nurse"], "doc-p2", NOW)
    assert (summary.doses_today, summary.blocked_through, summary.next_injection_due) == ((), None, None)


def test_the_card_prints_the_clinics_phone_on_record_unless_another_is_given(program: Program) -> None:
    with program.storage.uow() as uow:
        uow.clinics.update(replace(make_clinic(), phone="(212) 555-0142"))
        uow.commit()
    nurse = program.users["nurse"]
    on_record = text_of(pdf.render_wallet_card(cases.wallet_card(program.ctx, nurse, PATIENT, NOW)))
    assert "Clinic phone: (212) 555-0142" in on_record
    assert "Call the clinic: Test Street Clinic, (212) 555-0142" in on_record
    given = text_of(pdf.render_wallet_card(cases.wallet_card(program.ctx, nurse, PATIENT, NOW, "(212) 555-0199")))
    assert "(212) 555-0199" in given and "(212) 555-0142" not in given
