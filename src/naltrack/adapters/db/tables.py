"""The relational schema: one table per record type of :mod:`naltrack.domain`.

Every clinical table shares the columns of :class:`~naltrack.domain.records.ClinicalRecord`
(id, patient_id, status, supersedes, recorded_at, recorded_by, version); superseded
versions stay in the same table with status ``entered-in-error``. Nested value objects
are flattened into columns where the rules query them (an adverse event's injection
site, a patient's pregnancy status) and kept as JSON where they are read whole (a
weekly schedule, a screen's analyte results, questionnaire answers).

Times are stored in UTC (:class:`UtcDateTime`): ``timestamptz`` on PostgreSQL, naive
UTC text on SQLite, and come back timezone-aware on both. Beside each one, a
``<name>_utc_offset_s`` column keeps the UTC offset it was recorded with, so that a time
comes back at the same local wall-clock time and, above all, on the same local date: the
rules compare ``given_at.date()`` with kit expiry dates and due days, and 20:00 in New
York is already tomorrow in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

from naltrack.domain.person_data import TEXT_LIMITS

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored: clinical times are aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JsonType = sa.JSON().with_variant(JSONB(), "postgresql")


clinics = sa.Table(
    "clinics", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("phone", sa.String(40)),
)

patients = sa.Table(
    "patients", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("clinic_id", sa.String(64), sa.ForeignKey("clinics.id"), nullable=False, index=True),
    sa.Column("given_name", sa.String(100), nullable=False),
    sa.Column("family_name", sa.String(100), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("sex_at_birth", sa.String(16), nullable=False),
    sa.Column("gender", sa.String(64)),
    sa.Column("mrn", sa.String(64)),
    sa.Column("pregnant", sa.Boolean),
    sa.Column("breastfeeding", sa.Boolean),
    sa.Column("reproductive_as_of", sa.Date),
    sa.Column("contacts", JsonType, nullable=False),
    sa.Column("telecom", JsonType),
    sa.Column("address", JsonType),
    sa.Column("race", JsonType),
    sa.Column("ethnicity", JsonType),
    sa.Column("names", JsonType),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("clinic_id", "mrn"),
    sa.Index(None, "clinic_id", "family_name", "given_name"),
)

#: A patient's identifiers other than the clinic's MRN (kept in ``patients.mrn``), looked up by system and value.
patient_identifiers = sa.Table(
    "patient_identifiers", metadata,
    sa.Column("patient_id", sa.String(64), sa.ForeignKey("patients.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("system", sa.String(TEXT_LIMITS[("Identifier", "system")]), nullable=False),
    sa.Column("value", sa.String(TEXT_LIMITS[("Identifier", "value")]), nullable=False),
    sa.Column("type_code", sa.String(TEXT_LIMITS[("Identifier", "type_code")])),
    sa.UniqueConstraint("patient_id", "system", "value"),
    sa.Index(None, "system", "value"),
)


def offset_column(name: str) -> str:
    """The column that keeps the UTC offset of the time column ``name``."""
    return f"{name}_utc_offset_s"


def _aware(name: str, nullable: bool = False) -> tuple[sa.Column[Any], sa.Column[Any]]:
    """An aware time: the instant in UTC, and the offset it was recorded with (seconds)."""
    return (sa.Column(name, UtcDateTime, nullable=nullable),
            sa.Column(offset_column(name), sa.Integer, nullable=True))


def _record_table(name: str, *columns: sa.Column[Any] | sa.Index) -> sa.Table:
    """A clinical table: the shared record columns, then the type's own."""
    return sa.Table(
        name, metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("patient_id", sa.String(64), sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("supersedes", sa.String(64), sa.ForeignKey(f"{name}.id")),
        *_aware("recorded_at", nullable=True),
        sa.Column("recorded_by", sa.String(100)),
        sa.Column("version", sa.Integer, nullable=False),
        *columns,
    )


def _col(name: str, type_: Any, nullable: bool = True, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable, **kw)


def _ref(name: str, table: str, nullable: bool = True) -> sa.Column[Any]:
    """A reference to another record of the same patient."""
    return sa.Column(name, sa.String(64), sa.ForeignKey(f"{table}.id"), nullable=nullable)


S = sa.String
episodes = _record_table(
    "episodes",
    _col("indication", S(16), False), _col("level_of_care", S(16), False),
    _col("start", sa.Date, False), _col("end", sa.Date), _col("discharge_reason", S(32)),
    _col("referral_source", S(200)),
    sa.Index(None, "patient_id", "start"),
)
diagnoses = _record_table(
    "diagnoses",
    _col("system", S(16), False), _col("code", S(32), False), _col("display", S(200), False),
    _col("onset", sa.Date), _col("clinical_status", S(16), False),
)
regimens = _record_table(
    "regimens",
    _col("kind", S(32), False), _col("start", sa.Date, False), _col("end", sa.Date),
    _col("dose_mg", sa.Float, False), _col("schedule", JsonType, False), _col("interval_days", sa.Integer),
    _col("expected_duration_days", sa.Integer), _col("implant_product", S(200)),
    _col("induction_test_dose", sa.Boolean, False), _col("prescriber", S(100)), _col("rxnorm", S(32)),
    _col("days_supply", sa.Integer), _col("note", sa.Text), _col("indication", S(16)),
    sa.Index(None, "patient_id", "start"),
)
oral_doses = _record_table(
    "oral_doses",
    *_aware("taken_at"), _col("dose_mg", sa.Float, False), _col("dose_status", S(16), False),
    _ref("regimen_id", "regimens"), _col("observed_by", S(100)),
    sa.Index(None, "patient_id", "taken_at"),
)
injections = _record_table(
    "injections",
    *_aware("given_at"), _col("side", S(8), False), _col("lot", S(40), False),
    _col("expiry", sa.Date, False), _col("needle_length_in", sa.Float, False), _col("given_by", S(100), False),
    _col("dose_mg", sa.Float, False), _ref("regimen_id", "regimens"),
    _col("rxnorm", S(32), False),
    sa.Index(None, "patient_id", "given_at"),
    sa.Index(None, "given_at"),
)
implant_insertions = _record_table(
    "implant_insertions",
    *_aware("inserted_at"), _col("dose_mg", sa.Float, False), _col("product", S(200), False),
    _col("inserted_by", S(100), False), _col("expected_duration_days", sa.Integer), _col("site", S(100), False),
    _col("lot", S(40)), _ref("regimen_id", "regimens"),
    sa.Index(None, "patient_id", "inserted_at"),
)
implant_removals = _record_table(
    "implant_removals",
    _ref("implant_id", "implant_insertions", nullable=False), *_aware("removed_at"),
    _col("reason", S(200), False),
    _col("removed_by", S(100), False),
)
medication_uses = _record_table(
    "medication_uses",
    _col("rxnorm", S(32), False), _col("start", sa.Date, False), _col("end", sa.Date), _col("last_dose", sa.Date),
    _col("source", S(16), False), _col("days_supply", sa.Integer),
    _col("daily_dose_mg", sa.Float),  # migration 0007
)
substance_use_reports = _record_table(
    "substance_use_reports",
    _col("substance", S(32), False), _col("last_use", sa.Date, False), _col("reported_on", sa.Date, False),
    _col("route", S(64)),
)
drinking_days = _record_table(
    "drinking_days",
    _col("day", sa.Date, False), _col("standard_drinks", sa.Float, False),
    _col("craving", sa.Integer),  # migration 0017: the patient's 0-10 rating in the portal diary
    sa.Index(None, "patient_id", "day"),
)
lab_results = _record_table(
    "lab_results",
    _col("loinc", S(16), False), _col("name", S(200), False), _col("value", sa.Float, False),
    _col("unit", S(32), False), *_aware("collected_at"),
    _col("reference_low", sa.Float), _col("reference_high", sa.Float),
    sa.Index(None, "patient_id", "loinc", "collected_at"),
)
urine_drug_screens = _record_table(
    "urine_drug_screens",
    *_aware("collected_at"), _col("results", JsonType, False),
    _col("point_of_care", sa.Boolean, False),
    sa.Index(None, "patient_id", "collected_at"),
)
naloxone_challenges = _record_table(
    "naloxone_challenges",
    *_aware("performed_at"), _col("route", S(8), False), _col("passed", sa.Boolean, False),
    _col("signs", JsonType, False), _col("equivocal", sa.Boolean, False, server_default=sa.false()),
)
questionnaire_responses = _record_table(
    "questionnaire_responses",
    _col("instrument", S(40), False), _col("answers", JsonType, False), *_aware("completed_at"),
    _col("total", sa.Float, False), _col("band", S(64), False), _col("flags", JsonType, False),
    sa.Index(None, "patient_id", "instrument", "completed_at"),
    sa.Index(None, "completed_at"),
)
allergies = _record_table(
    "allergies",
    _col("substance", S(40), False), _col("reaction", S(200)), _col("criticality", S(20), False),
    _col("verified", sa.Boolean, False),
)
adverse_events = _record_table(
    "adverse_events",
    _col("kind", S(40), False), _col("onset", sa.Date, False), _col("ctcae_grade", sa.Integer, False),
    _col("outcome", S(32), False), _col("description", sa.Text),
    _ref("injection_id", "injections"),
    _col("site_side", S(8)), _col("site_induration_cm", sa.Float), _col("site_necrosis", sa.Boolean),
    _col("site_surgical_referral", sa.Boolean), _col("resolved_on", sa.Date),
    sa.Index(None, "patient_id", "onset"),
)
counseling_sessions = _record_table(
    "counseling_sessions",
    _col("kind", S(16), False), _col("held_on", sa.Date, False), _col("duration_min", sa.Integer, False),
    _col("counselor", S(100), False), _col("attended", sa.Boolean, False), _col("group_id", S(64)),
    _col("note", sa.Text),
    _col("note_format", S(8), False, server_default="free"),
    _col("note_sections", JsonType, False, server_default="[]"),
    sa.Index(None, "patient_id", "held_on"),
)
support_group_attendance = _record_table(
    "support_group_attendance",
    _col("fellowship", S(16), False), _col("attended_on", sa.Date, False),
)
appointments = _record_table(
    "appointments",
    _col("kind", S(16), False), *_aware("starts_at"), _col("duration_min", sa.Integer, False),
    _col("appointment_status", S(16), False), _col("clinician", S(100)),
    sa.Index(None, "starts_at"),
    sa.Index(None, "patient_id", "starts_at"),
)
planned_procedures = _record_table(
    "planned_procedures",
    _col("planned_on", sa.Date, False), _col("description", S(200), False),
)
care_documents = _record_table(
    "care_documents",
    _col("kind", S(40), False), _col("issued_on", sa.Date, False),
)
# Suicide-risk safety assessments answering a PHQ-9 with item 9 above 0 (migration 0006).
safety_assessments = _record_table(
    "safety_assessments",
    *_aware("assessed_at"), _col("risk_level", S(16), False), _col("actions", JsonType, False),
    _col("assessed_by", S(100), False), _col("assessor_role", S(16), False),
    _ref("response_id", "questionnaire_responses"), _col("follow_up_on", sa.Date), _col("note", sa.Text),
    sa.Index(None, "patient_id", "assessed_at"),
)

# The pre-dose decision on each naltrexone dose given, held or refused (domain/dose_decisions.py). ``dose_id``
# names an injection, implant or oral dose by its id (the table follows ``form``), so it has no foreign key.
dose_decisions = _record_table(
    "dose_decisions",
    _col("form", S(16), False), *_aware("decided_at"), _col("outcome", S(16), False),
    _col("dose_class", S(16), False), _col("decided_by", S(100), False), _col("dose_id", S(64)),
    _col("confirmed", JsonType, False), _col("overridden", JsonType, False),
    _col("override_reason", S(500)), _col("reason", S(500)),
    sa.Index(None, "patient_id", "decided_at"),
)

# Who saw which monitoring alert (rule and the record it is about) and when (migration 0004).
alert_acknowledgements = sa.Table(
    "alert_acknowledgements", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("clinic_id", sa.String(64), sa.ForeignKey("clinics.id"), nullable=False),
    sa.Column("patient_id", sa.String(64), sa.ForeignKey("patients.id"), nullable=False),
    sa.Column("rule", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("acknowledged_by", sa.String(100), nullable=False),
    sa.Column("acknowledged_at", UtcDateTime, nullable=False),
    sa.Column("note", sa.String(500)),
    sa.UniqueConstraint("patient_id", "rule", "subject", name="uq_alert_acknowledgements_alert"),
    sa.Index("ix_alert_acknowledgements_clinic_id_acknowledged_at", "clinic_id", "acknowledged_at"),
)
