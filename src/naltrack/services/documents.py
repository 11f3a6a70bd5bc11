"""The printed patient documents: what each one holds, gathered in one audited read.

Each use case is ``(ctx, actor, patient_id, ..., now)`` and returns plain frozen data that a renderer
(:mod:`naltrack.web.documents_pdf`) turns into a PDF; no renderer computes a clinical date. The dates come
from their one home: the blocked-through day from :func:`naltrack.domain.protection.protection_end`, the next
injection from :func:`naltrack.domain.due_dates.next_injection_due`, both on the clinic's day in its zone.

Who may print what (the role matrix, :mod:`naltrack.domain.security.roles`, decides; nothing here widens it):

* wallet card, after-visit summary: ``clinical-views`` read (prescriber, nurse; a patient in the portal for
  their own record);
* injection record: ``administrations`` read (prescriber, nurse; the patient's own);
* consent form, blank or from a recorded consent: ``consents`` read (prescriber, nurse, counselor, auditor).
  The front desk has no consent access in the matrix, so it prints none;
* referral packet: a disclosure, through :func:`naltrack.services.consents.disclose` (``disclosures``
  disclose: prescriber), decided by consent, recorded and audited as every disclosure is.

Every read is one :func:`~naltrack.services.access.run_audited` access whose audit entry names the document
(``record_type``), so the log says who printed which document of which patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from naltrack.domain.care import Appointment
from naltrack.domain.chart import PatientChart, local_day
from naltrack.domain.due_dates import next_injection_due
from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.protection import naltrexone_given_days, protection_end
from naltrack.domain.records import current
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.consent import Consent
from naltrack.domain.security.consent_form import CONSENT_ELEMENTS, ConsentElement
from naltrack.services.access import Access, authorize, in_clinic, patient_in_clinic, run_audited
from naltrack.services.consents import disclose
from naltrack.services.context import AppContext
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import chart_in

#: How many upcoming appointments the after-visit summary lists.
NEXT_APPOINTMENTS = 5


@dataclass(frozen=True)
class DocumentHeader:
    """Who and where: the patient, the clinic, and the clinic's day the document was made on."""

    patient_name: str
    birth_date: date
    clinic_name: str
    made_on: date
    contact: str | None = None
    """How to reach the clinic (a phone number), as the face configures it; ``None`` leaves a line to write it on."""


@dataclass(frozen=True)
class WalletCard:
    """The emergency wallet card: on naltrexone, its form, the last dose and the blocked-through day."""

    header: DocumentHeader
    form: str
    """``oral``, ``xr-ntx`` or ``implant``: the form of the last naltrexone given."""
    last_dose_on: date
    blocked_through: date | None
    """:func:`~naltrack.domain.protection.protection_end` on the day made; ``None`` when no day is blocked."""


@dataclass(frozen=True)
class DoseGiven:
    """A dose given on the visit day, in words, with its form."""

    form: str
    text: str


@dataclass(frozen=True)
class UpcomingVisit:
    starts_at: datetime
    """Clinic-local time."""
    kind: str


@dataclass(frozen=True)
class AfterVisitSummary:
    header: DocumentHeader
    doses_today: tuple[DoseGiven, ...]
    next_injection_due: date | None
    next_visits: tuple[UpcomingVisit, ...]
    blocked_through: date | None


@dataclass(frozen=True)
class InjectionLine:
    given_on: date
    side: str
    lot: str
    given_by: str
    dose_mg: float


@dataclass(frozen=True)
class InjectionRecord:
    header: DocumentHeader
    injections: tuple[InjectionLine, ...]
    """Every active XR-NTX injection, oldest first."""
    next_injection_due: date | None


@dataclass(frozen=True)
class ConsentFormContent:
    """A Part 2 consent form: blank (``consent`` is ``None``) or filled from a recorded consent."""

    header: DocumentHeader
    discloser: str
    consent: Consent | None
    elements: tuple[ConsentElement, ...]


@dataclass(frozen=True)
class PacketSection:
    """The records of one kind that a disclosure carries, each as (field, value) pairs."""

    kind: str
    records: tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class ReferralPacket:
    """A disclosure as printed: the recipient, purpose and categories consented, the records, the 2.32 notice."""

    program: str
    disclosed_at: datetime
    disclosure_id: str
    recipient: str
    purpose: str
    categories: tuple[str, ...]
    notice: str
    sections: tuple[PacketSection, ...]


def _header(patient: Patient, clinic: Clinic, today: date, contact: str | None = None) -> DocumentHeader:
    """The patient, the clinic and its phone (``contact`` given for this print, else the clinic's own)."""
    return DocumentHeader(patient.display_name, patient.birth_date, clinic.name, today,
                          contact if contact is not None else clinic.phone)


def _read(ctx: AppContext, actor: Actor, patient_id: str, document: str, category: str,
          now: datetime) -> tuple[PatientChart, Clinic, date]:
    """The chart, the clinic and its day: one audited read named after ``document``."""
    access = Access(actor=actor, action="read", category=category, now=now, record_type=document)

    def body(uow: SecureUnitOfWork, access: Access) -> tuple[PatientChart, Clinic, date]:
        patient = patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        clinic = uow.clinics.get(patient.clinic_id)
        today = now.astimezone(clinic.zone).date()
        chart = chart_in(uow, patient)
        if document == "wallet-card" and not naltrexone_given_days(chart, today, clinic.zone):
            raise InvalidInput("patient", patient_id, "has no naltrexone dose on record: a wallet card needs one")
        return chart, clinic, today

    return run_audited(ctx.uow, access, body)


def wallet_card(ctx: AppContext, actor: Actor, patient_id: str, now: datetime,
                contact: str | None = None) -> WalletCard:
    """The emergency wallet card's content (the function the staff pages, the CLI and the portal call)."""
    chart, clinic, today = _read(ctx, actor, patient_id, "wallet-card", "clinical-views", now)
    last_on, form = max(naltrexone_given_days(chart, today, clinic.zone))
    return WalletCard(_header(chart.patient, clinic, today, contact), form, last_on,
                      protection_end(chart, today, clinic.zone, ctx.thresholds))


def after_visit(ctx: AppContext, actor: Actor, patient_id: str, now: datetime,
                contact: str | None = None) -> AfterVisitSummary:
    """Today's doses, the next injection due, the next visits and the blocked-through day."""
    chart, clinic, today = _read(ctx, actor, patient_id, "after-visit-summary", "clinical-views", now)
    tz = clinic.zone
    doses = [(i.given_at, DoseGiven("xr-ntx", f"Naltrexone injection {i.dose_mg:g} mg, {i.side} buttock"))
             for i in current(chart.injections) if local_day(i.given_at, tz) == today]
    doses += [(d.taken_at, DoseGiven("oral", f"Naltrexone tablet {d.dose_mg:g} mg taken at the clinic"))
              for d in current(chart.oral_doses) if d.was_taken and local_day(d.taken_at, tz) == today]
    doses += [(m.inserted_at, DoseGiven("implant", f"Naltrexone implant {m.dose_mg:g} mg placed ({m.site})"))
              for m in current(chart.implants) if local_day(m.inserted_at, tz) == today]
    visits = sorted((a for a in current(chart.appointments) if _upcoming(a, now)), key=lambda a: a.starts_at)
    return AfterVisitSummary(
        _header(chart.patient, clinic, today, contact), tuple(d for _, d in sorted(doses, key=lambda pair: pair[0])),
        next_injection_due(chart, today, tz, ctx.thresholds),
        tuple(UpcomingVisit(a.starts_at.astimezone(tz), a.kind) for a in visits[:NEXT_APPOINTMENTS]),
        protection_end(chart, today, tz, ctx.thresholds))


def _upcoming(appointment: Appointment, now: datetime) -> bool:
    return appointment.appointment_status == "booked" and appointment.starts_at >= now


def injection_record(ctx: AppContext, actor: Actor, patient_id: str, now: datetime,
                     contact: str | None = None) -> InjectionRecord:
    """Every XR-NTX injection (date, side, lot, given by) and the next due date."""
    chart, clinic, today = _read(ctx, actor, patient_id, "injection-record", "administrations", now)
    tz = clinic.zone
    shots = sorted(current(chart.injections), key=lambda i: i.given_at)
    lines = tuple(InjectionLine(local_day(i.given_at, tz), i.side, i.lot, i.given_by, i.dose_mg) for i in shots)
    return InjectionRecord(_header(chart.patient, clinic, today, contact), lines,
                           next_injection_due(chart, today, tz, ctx.thresholds))


def consent_form(ctx: AppContext, actor: Actor, patient_id: str, program: str, now: datetime,
                 consent_id: str | None = None) -> ConsentFormContent:
    """A consent form for signature: blank, or filled from the recorded consent ``consent_id`` of this patient."""
    access = Access(actor=actor, action="read", category="consents", now=now, record_type="consent-form")

    def body(uow: SecureUnitOfWork, access: Access) -> ConsentFormContent:
        consent: Consent | None = None
        if consent_id is not None:
            consent, patient = in_clinic(uow, access, "consent", consent_id, uow.security.find_consent(consent_id))
            if patient.id != patient_id:
                raise InvalidInput("consent", consent_id, f"is not a consent of patient {patient_id}")
        else:
            patient = patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        clinic = uow.clinics.get(patient.clinic_id)
        return ConsentFormContent(_header(patient, clinic, now.astimezone(clinic.zone).date()),
                                  f"{program}, {clinic.name}", consent, CONSENT_ELEMENTS)

    return run_audited(ctx.uow, access, body)


#: Fields of a disclosed record that say nothing to its reader (storage bookkeeping).
_BOOKKEEPING = frozenset({"id", "patient_id", "status", "supersedes", "recorded_at", "recorded_by", "version",
                          "regimen_id", "clinic_id"})


def referral_packet(ctx: AppContext, actor: Actor, patient_id: str, recipient: str, purpose: str,
                    categories: tuple[str, ...], program: str, now: datetime) -> ReferralPacket:
    """A disclosure to ``recipient`` (:func:`~naltrack.services.consents.disclose`: consent decided, recorded,
    audited; ``DisclosureRefused`` without one), laid out for print: the consented categories' records only."""
    package = disclose(ctx, actor, patient_id, recipient, purpose, categories, now)
    sections = tuple(PacketSection(kind, tuple(_fields(row) for row in rows))
                     for kind, rows in sorted(package.records.items()) if rows)
    d = package.disclosure
    return ReferralPacket(program, d.disclosed_at, d.id, d.recipient, d.purpose, tuple(d.categories), package.notice,
                          sections)


def _fields(row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((name.replace("_", " "), _text(value)) for name, value in row.items()
                 if name not in _BOOKKEEPING and value not in (None, "", (), [], {}))


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items() if v not in (None, "", (), []))
    if isinstance(value, (list, tuple)):
        return "; ".join(_text(v) for v in value)
    return str(value)
