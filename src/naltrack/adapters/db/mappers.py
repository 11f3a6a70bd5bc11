"""Rows to frozen domain records and back.

The domain classes know nothing of SQLAlchemy: a row is a plain mapping whose keys are
the columns of :mod:`naltrack.adapters.db.tables`. Most columns carry the field of the
same name; the few nested value objects are encoded here, one small function each.
Building a record from a row runs its validating constructor again, so a row that
breaks a rule fails loudly instead of reaching a clinician.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from naltrack.adapters.db import tables as t
from naltrack.domain import observations as obs
from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.care import (
    AdverseEvent,
    Appointment,
    CareDocument,
    CounselingSession,
    InjectionSiteDetails,
    NoteSection,
    PlannedProcedure,
    SupportGroupAttendance,
)
from naltrack.domain.dose_decisions import DoseDecision
from naltrack.domain.episodes import Diagnosis, Episode
from naltrack.domain.patients import Clinic, Contact, Patient, ReproductiveStatus
from naltrack.domain.person_data import Address, CodeDisplay, ContactPoint, HumanName, Identifier, RaceEthnicity
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import Regimen, ScheduledDose
from naltrack.domain.safety import SafetyAssessment

Row = dict[str, Any]
Codec = Callable[[Row], None]


@dataclass(frozen=True)
class RecordMapping:
    """How one record class maps to its table."""

    cls: type[ClinicalRecord]
    table: sa.Table
    field_names: tuple[str, ...]
    encode: Codec | None = None
    decode: Codec | None = None
    aware_fields: tuple[str, ...] = ()

    def to_row(self, record: ClinicalRecord) -> Row:
        row = {name: getattr(record, name) for name in self.field_names}
        for name in self.aware_fields:
            row[t.offset_column(name)] = _offset_seconds(row[name])
        if self.encode is not None:
            self.encode(row)
        return row

    def from_row(self, row: Mapping[Any, Any]) -> ClinicalRecord:
        values = dict(row)
        for name in self.aware_fields:
            values[name] = _at_offset(values[name], values.pop(t.offset_column(name)))
        if self.decode is not None:
            self.decode(values)
        return self.cls(**values)


def _offset_seconds(value: datetime | None) -> int | None:
    offset = None if value is None else value.utcoffset()
    return None if offset is None else int(offset.total_seconds())


def _at_offset(value: datetime | None, offset_s: int | None) -> datetime | None:
    """The stored UTC instant at the local offset it was recorded with (same instant, same local date)."""
    if value is None or offset_s is None:
        return value
    return value.astimezone(timezone(timedelta(seconds=offset_s)))


# --- nested value objects ---------------------------------------------------------------

def _encode_regimen(row: Row) -> None:
    row["schedule"] = [[d.weekday, d.dose_mg] for d in row["schedule"]]


def _decode_regimen(row: Row) -> None:
    row["schedule"] = tuple(ScheduledDose(w, float(d)) for w, d in row["schedule"])


def _encode_screen(row: Row) -> None:
    row["results"] = [[r.analyte, r.result, r.loinc] for r in row["results"]]


def _decode_screen(row: Row) -> None:
    row["results"] = tuple(obs.AnalyteResult(a, r, code) for a, r, code in row["results"])


def _encode_lists(*names: str) -> Codec:
    def encode(row: Row) -> None:
        for name in names:
            row[name] = list(row[name])
    return encode


def _decode_tuples(*names: str) -> Codec:
    def decode(row: Row) -> None:
        for name in names:
            row[name] = tuple(row[name])
    return decode


_SITE_COLUMNS = ("site_side", "site_induration_cm", "site_necrosis", "site_surgical_referral")


def _encode_adverse_event(row: Row) -> None:
    site: InjectionSiteDetails | None = row.pop("site")
    if site is None:
        row.update(dict.fromkeys(_SITE_COLUMNS))
    else:
        row.update(site_side=site.side, site_induration_cm=site.induration_cm,
                   site_necrosis=site.necrosis, site_surgical_referral=site.surgical_referral)


def _decode_adverse_event(row: Row) -> None:
    side, induration, necrosis, referral = (row.pop(c) for c in _SITE_COLUMNS)
    row["site"] = None if side is None else InjectionSiteDetails(
        side=side, induration_cm=induration, necrosis=bool(necrosis), surgical_referral=bool(referral))


def _encode_note(row: Row) -> None:
    row["note_sections"] = [[s.section, s.text] for s in row["note_sections"]]


def _decode_note(row: Row) -> None:
    row["note_sections"] = tuple(NoteSection(section, text) for section, text in row["note_sections"])


def _mapping(cls: type[ClinicalRecord], table: sa.Table, encode: Codec | None = None,
             decode: Codec | None = None) -> RecordMapping:
    aware = tuple(c.name for c in table.columns if isinstance(c.type, t.UtcDateTime))
    return RecordMapping(cls, table, tuple(f.name for f in fields(cls)), encode, decode, aware)


#: The mapping of every record class, in insertion order (parents before children).
MAPPINGS: dict[type[ClinicalRecord], RecordMapping] = {
    m.cls: m for m in (
        _mapping(Episode, t.episodes),
        _mapping(Diagnosis, t.diagnoses),
        _mapping(Regimen, t.regimens, _encode_regimen, _decode_regimen),
        _mapping(OralDose, t.oral_doses),
        _mapping(Injection, t.injections),
        _mapping(ImplantInsertion, t.implant_insertions),
        _mapping(ImplantRemoval, t.implant_removals),
        _mapping(obs.MedicationUse, t.medication_uses),
        _mapping(obs.SubstanceUseReport, t.substance_use_reports),
        _mapping(obs.DrinkingDay, t.drinking_days),
        _mapping(obs.LabResult, t.lab_results),
        _mapping(obs.UrineDrugScreen, t.urine_drug_screens, _encode_screen, _decode_screen),
        _mapping(obs.NaloxoneChallenge, t.naloxone_challenges, _encode_lists("signs"), _decode_tuples("signs")),
        _mapping(obs.QuestionnaireResponse, t.questionnaire_responses,
                 _encode_lists("answers", "flags"), _decode_tuples("answers", "flags")),
        _mapping(obs.Allergy, t.allergies),
        _mapping(AdverseEvent, t.adverse_events, _encode_adverse_event, _decode_adverse_event),
        _mapping(CounselingSession, t.counseling_sessions, _encode_note, _decode_note),
        _mapping(SupportGroupAttendance, t.support_group_attendance),
        _mapping(Appointment, t.appointments),
        _mapping(PlannedProcedure, t.planned_procedures),
        _mapping(CareDocument, t.care_documents),
        _mapping(SafetyAssessment, t.safety_assessments, _encode_lists("actions"), _decode_tuples("actions")),
        _mapping(DoseDecision, t.dose_decisions, _encode_lists("confirmed", "overridden"),
                 _decode_tuples("confirmed", "overridden")),
    )
}


def mapping_for(cls: type[ClinicalRecord]) -> RecordMapping:
    """The mapping of a record class; ``KeyError`` names a class with no table."""
    return MAPPINGS[cls]


# --- clinics and patients ---------------------------------------------------------------

def clinic_to_row(clinic: Clinic) -> Row:
    return {"id": clinic.id, "name": clinic.name, "timezone": clinic.timezone, "phone": clinic.phone}


def clinic_from_row(row: Mapping[Any, Any]) -> Clinic:
    return Clinic(id=row["id"], name=row["name"], timezone=row["timezone"], phone=row["phone"])


def patient_to_row(patient: Patient) -> Row:
    repro = patient.reproductive
    return {
        "id": patient.id, "clinic_id": patient.clinic_id, "given_name": patient.given_name,
        "family_name": patient.family_name, "birth_date": patient.birth_date,
        "sex_at_birth": patient.sex_at_birth, "gender": patient.gender, "mrn": patient.mrn,
        "pregnant": repro.pregnant if repro else None,
        "breastfeeding": repro.breastfeeding if repro else None,
        "reproductive_as_of": repro.as_of if repro else None,
        "contacts": [[c.kind, c.value, c.name] for c in patient.contacts],
        "telecom": [[c.system, c.value, c.use] for c in patient.telecom],
        "address": [asdict(a) for a in patient.address],
        "race": _race_ethnicity_to_json(patient.race),
        "ethnicity": _race_ethnicity_to_json(patient.ethnicity),
        "names": [asdict(n) for n in patient.names],
        "version": patient.version,
    }


def _race_ethnicity_to_json(value: RaceEthnicity | None) -> dict[str, Any] | None:
    return None if value is None else asdict(value)


def _race_ethnicity_from_json(value: Mapping[str, Any] | None) -> RaceEthnicity | None:
    if value is None:
        return None
    return RaceEthnicity(kind=value["kind"], text=value["text"],
                         categories=tuple(CodeDisplay(**c) for c in value["categories"]),
                         detailed=tuple(CodeDisplay(**c) for c in value["detailed"]))


def identifier_rows(patient: Patient) -> list[Row]:
    """The rows of ``patient_identifiers``: every identifier but the clinic's MRN, in order."""
    return [{"patient_id": patient.id, "position": n, "system": i.system, "value": i.value, "type_code": i.type_code}
            for n, i in enumerate(patient.identifiers)]


def identifier_from_row(row: Mapping[Any, Any]) -> Identifier:
    return Identifier(row["system"], row["value"], row["type_code"])


def patient_from_row(row: Mapping[Any, Any], identifiers: tuple[Identifier, ...] = ()) -> Patient:
    """The patient of a ``patients`` row, with its identifiers (rows of ``patient_identifiers``)."""
    as_of = row["reproductive_as_of"]
    return Patient(
        id=row["id"], clinic_id=row["clinic_id"], given_name=row["given_name"],
        family_name=row["family_name"], birth_date=row["birth_date"], sex_at_birth=row["sex_at_birth"],
        gender=row["gender"], mrn=(row["mrn"] or "").strip() or None,  # a blank MRN stored earlier is none
        reproductive=None if as_of is None else ReproductiveStatus(row["pregnant"], row["breastfeeding"], as_of),
        contacts=tuple(Contact(kind, value, name) for kind, value, name in row["contacts"]),
        identifiers=identifiers,
        telecom=tuple(ContactPoint(system, value, use) for system, value, use in row["telecom"] or ()),
        address=tuple(Address(**{**a, "line": tuple(a["line"])}) for a in row["address"] or ()),
        race=_race_ethnicity_from_json(row["race"]),
        ethnicity=_race_ethnicity_from_json(row["ethnicity"]),
        names=tuple(HumanName(n["use"], n["family"], tuple(n["given"])) for n in row["names"] or ()),
        version=row["version"],
    )
