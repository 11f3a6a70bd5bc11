"""The program's outcome and quality measures: one audited read of every clinic's courses, then the analytics.

The program manager (role ``manager``) and the prescriber read them (category ``program-measures``):
aggregate figures with small cells suppressed (:mod:`naltrack.analytics.report`), and the patient-level
lists of POD and IET, where each patient is a keyed pseudonym (HMAC-SHA256 of the patient id), never an
id, MRN or name. The scope is the whole program: every clinic, each read up to its own local day of
``now``. Each call is one audit entry naming no patient.

The filters: ``clinic_id``, ``form`` (of the first dose) and ``indication`` select patients for every
measure; the period ``start`` .. ``end`` selects the patients who started in it (the first episode's
start, or the first dose) for the outcomes, retention and the cascade, and is the intake period of POD
and the index period of IET.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal, get_args

from naltrack.analytics.courses import CourseForm, PatientCourse
from naltrack.analytics.definitions import MeasureDefinitions
from naltrack.analytics.dispensing import DispensingRow, dispensing_rows
from naltrack.analytics.iet import measure_iet
from naltrack.analytics.outcomes import CourseFilter, ProgramOutcomes, filter_courses, measure_program
from naltrack.analytics.pod import measure_pod_rows, pod_reason
from naltrack.analytics.report import ReportRow, quality_rows, report_rows
from naltrack.domain.episodes import INDICATIONS
from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.context import AppContext
from naltrack.services.read_models import ProgramClinic
from naltrack.services.security_ports import SecureUnitOfWork

CATEGORY = "program-measures"
MeasureName = Literal["retention", "cascade", "pod", "iet", "dispensing"]
MEASURES: tuple[MeasureName, ...] = get_args(MeasureName)
FORMS: tuple[CourseForm, ...] = get_args(CourseForm)


@dataclass(frozen=True)
class OutcomeQuery:
    """Which patients the measures read (see the module docstring); ``None`` leaves a filter off."""

    clinic_id: str | None = None
    form: str | None = None
    indication: str | None = None
    start: date | None = None
    end: date | None = None
    as_of: date | None = None
    """The day the figures are read on (a past month's report); each clinic's own day of ``now`` when later."""


@dataclass(frozen=True)
class ProgramReport:
    """Every outcome of the program, its report rows (small cells suppressed) and what it was read for."""

    outcomes: ProgramOutcomes
    rows: list[ReportRow]
    clinics: tuple[tuple[str, str], ...]
    """Every clinic of the program, ``(id, name)``, for a filter to offer."""
    query: OutcomeQuery
    as_of: date
    definitions: MeasureDefinitions


@dataclass(frozen=True)
class PatientReason:
    """One patient of POD or IET under a pseudonym: the group, the day the measure starts from, whether the patient
    is in the numerator (POD; IET: engaged) and why."""

    pseudonym: str
    group: str
    on: date
    numerator: bool
    reason: str


@dataclass(frozen=True)
class MeasureResult:
    """One measure as a face renders it: aggregate rows, and the pseudonymous patient lines or dispensing rows."""

    measure: MeasureName
    as_of: date
    query: OutcomeQuery
    rows: tuple[ReportRow, ...] = ()
    patients: tuple[PatientReason, ...] = ()
    dispensing: tuple[DispensingRow, ...] = ()


@dataclass(frozen=True)
class _Read:
    courses: list[PatientCourse]
    clinics: tuple[tuple[str, str], ...]
    as_of: date


def program_outcomes(ctx: AppContext, actor: Actor, query: OutcomeQuery, now: datetime) -> ProgramReport:
    """Every outcome of the program's patients that ``query`` selects, as known at ``now``.

    Raises
    ------
    AccessDenied
        For a role that may not read the program's measures.
    InvalidInput
        For an unknown clinic, form or indication, or an end before the start (naming the filter).
    """
    read = _audited_read(ctx, actor, query, now, "program outcomes")
    courses = filter_courses(read.courses, _course_filter(query))
    outcomes = measure_program(courses, read.as_of, ctx.definitions, ctx.thresholds)
    return ProgramReport(outcomes, report_rows(outcomes, ctx.definitions), read.clinics, query, read.as_of,
                         ctx.definitions)


def program_measure(ctx: AppContext, actor: Actor, name: MeasureName, query: OutcomeQuery,
                    now: datetime) -> MeasureResult:
    """The measure ``name`` of the program's patients that ``query`` selects, as known at ``now``.

    ``retention`` and ``cascade`` are their report rows; ``pod`` and ``iet`` their rows and each patient's
    reason under a pseudonym; ``dispensing`` the program's doses as the dispensing rows POD reads, under the
    same pseudonyms (so ``measure_pod`` over them gives what ``pod`` gives).

    Raises
    ------
    AccessDenied, InvalidInput
        As :func:`program_outcomes`; InvalidInput also for an unknown measure, or a patient-level list without
        the pseudonym key.
    """
    if name not in MEASURES:
        raise InvalidInput("measure", name, f"must be one of {', '.join(MEASURES)}")
    key = ctx.pseudonym_key
    if key is None and name in ("pod", "iet", "dispensing"):
        raise InvalidInput("pseudonym_key", None, "is not set: patient-level lists need the audit secret")
    read = _audited_read(ctx, actor, query, now, f"measure {name}")
    d = ctx.definitions
    if name in ("retention", "cascade"):
        outcomes = measure_program(filter_courses(read.courses, _course_filter(query)), read.as_of, d, ctx.thresholds)
        return MeasureResult(name, read.as_of, query, tuple(r for r in report_rows(outcomes, d) if r.section == name))
    assert key is not None
    courses = filter_courses(read.courses, _course_filter(replace(query, start=None, end=None)))
    alias = {course.patient_id: pseudonym(key, course.patient_id) for course in courses}
    if name == "iet":
        iet = measure_iet(courses, query.start, query.end, d)
        return MeasureResult(name, read.as_of, query, tuple(quality_rows(None, iet, d)), tuple(
            PatientReason(alias[p.patient_id], p.cohort, p.index_on, p.engaged, p.reason) for p in iet.patients))
    rows = dispensing_rows(courses, ctx.thresholds)
    if name == "dispensing":
        return MeasureResult(name, read.as_of, query, dispensing=tuple(
            DispensingRow(alias[r.patient_id], r.date, r.rxnorm, r.days_supply) for r in rows))
    # POD over the ids, then each episode under its pseudonym, in the order POD gives a pseudonymous CSV's
    pod = measure_pod_rows(rows, start=query.start, end=query.end)
    return MeasureResult(name, read.as_of, query, tuple(quality_rows(pod, None, d)), tuple(sorted(
        (PatientReason(alias[e.patient_id], "pod", e.start, e.numerator, pod_reason(e)) for e in pod.episodes),
        key=lambda reason: (reason.pseudonym, reason.on))))


def program_quality(ctx: AppContext, actor: Actor, query: OutcomeQuery, now: datetime) -> tuple[ReportRow, ...]:
    """HEDIS POD's and IET's aggregate rows (small cells suppressed) of the patients ``query`` selects, from one
    audited read: the rows :func:`program_measure` gives for ``pod`` and ``iet``, without their patient lists.

    Raises
    ------
    AccessDenied, InvalidInput
        As :func:`program_outcomes`.
    """
    read = _audited_read(ctx, actor, query, now, "quality measures")
    courses = filter_courses(read.courses, _course_filter(replace(query, start=None, end=None)))
    pod = measure_pod_rows(dispensing_rows(courses, ctx.thresholds), start=query.start, end=query.end)
    iet = measure_iet(courses, query.start, query.end, ctx.definitions)
    return (*quality_rows(pod, None, ctx.definitions), *quality_rows(None, iet, ctx.definitions))


def pseudonym(key: bytes, patient_id: str) -> str:
    """The patient's pseudonym: HMAC-SHA256 of the id under ``key``, its first 16 hex digits.

    Examples
    --------
    >>> pseudonym(b"k" * 32, "p1"), pseudonym(b"k" * 32, "p1") == pseudonym(b"j" * 32, "p1")
    ('cf87ee94b05e6261', False)
    """
    return hmac.new(key, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _audited_read(ctx: AppContext, actor: Actor, query: OutcomeQuery, now: datetime, what: str) -> _Read:
    """Every clinic's courses up to its local day of ``now``, in one audited read that names no patient."""
    access = Access(actor=actor, action="read", category=CATEGORY, now=now, record_type="program-measures",
                    purpose="health-care-operations", detail=f"{what}{_described(query)}")

    def body(uow: SecureUnitOfWork, access: Access) -> _Read:
        authorize(uow, access)
        clinics = sorted(uow.clinics.list(), key=lambda c: c.id)
        _check(query, {c.id for c in clinics})
        # Every clinic, whatever the filter: the read models keep the program's courses between reads.
        read = [ProgramClinic(c.id, min(now.astimezone(c.zone).date(), query.as_of or date.max), c.zone)
                for c in clinics]
        courses = uow.read_models.program_courses(read)
        as_of = max((c.as_of for c in read if query.clinic_id in (None, c.clinic_id)), default=now.date())
        return _Read(courses, tuple((c.id, c.name) for c in clinics), as_of)

    return run_audited(ctx.uow, access, body)


def _check(query: OutcomeQuery, clinic_ids: set[str]) -> None:
    if query.clinic_id is not None and query.clinic_id not in clinic_ids:
        known = ", ".join(sorted(clinic_ids))
        raise InvalidInput("clinic", query.clinic_id, f"is not a clinic of the program ({known})")
    if query.form is not None and query.form not in FORMS:
        raise InvalidInput("form", query.form, f"must be one of {', '.join(FORMS)}")
    if query.indication is not None and query.indication not in INDICATIONS:
        raise InvalidInput("indication", query.indication, f"must be one of {', '.join(INDICATIONS)}")
    if query.start is not None and query.end is not None and query.end < query.start:
        raise InvalidInput("end", query.end.isoformat(), f"is before the start {query.start.isoformat()}")


def _course_filter(query: OutcomeQuery) -> CourseFilter:
    return CourseFilter(query.clinic_id, query.form, query.indication, query.start, query.end)


def _described(query: OutcomeQuery) -> str:
    """The filters set, for the audit entry (no patient is named)."""
    parts = [f"{name} {value}" for name, value in (("clinic", query.clinic_id), ("form", query.form),
                                                    ("indication", query.indication), ("start", query.start),
                                                    ("end", query.end), ("as of", query.as_of)) if value is not None]
    return f" ({', '.join(parts)})" if parts else ""
