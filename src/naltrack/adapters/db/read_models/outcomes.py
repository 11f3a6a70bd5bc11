"""The program's courses of treatment (:class:`~naltrack.analytics.courses.PatientCourse`), read set-based.

One query per kind of record over every patient of the clinics asked for (no chart is loaded,
no query is per patient), active records only; :mod:`.course_facts` gathers the rows per
patient. Stored instants become clinic-local days in NumPy (:class:`LocalDays`), and the days
blocked come from the blockade estimate over the whole history
(:func:`~naltrack.domain.coverage.estimate_blocked_runs`), one batch per clinic.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.adapters.db import tables as t
from naltrack.adapters.db.read_models.course_facts import CourseFacts, DoseColumns, Doses
from naltrack.adapters.db.read_models.protection import _joined, _time_text
from naltrack.adapters.db.read_models.sql import as_day, raw_time
from naltrack.analytics.courses import CourseForm, PatientCourse
from naltrack.domain.catalog import FORM_CODE, all_medications, is_rescue_naloxone
from naltrack.domain.coverage import BODY_WEIGHT_LOINC, estimate_blocked_runs
from naltrack.domain.regimens import FORM_OF_KIND
from naltrack.instruments import get_instrument
from naltrack.pk.protection import Dosing
from naltrack.services.read_models import ProgramClinic

IntArray = npt.NDArray[np.int64]
Instants = npt.NDArray[np.datetime64]
#: Joins the values of one patient's rows (a character no stored text or JSON holds unescaped).
SEPARATOR = "\x1f"
#: Care documents that teach the use of rescue naloxone.
NALOXONE_DOCUMENTS = ("naloxone-education",)


class LocalDays:
    """Clinic-local days of stored instants, for the clinics of a program on one grid of days.

    Day ``i`` is ``first_day + i`` in every clinic, through the last clinic's ``as_of`` and one more;
    ``starts[clinic, i]`` is its first instant in the clinic's zone, in UTC. An instant falls on the
    day whose start is the last at or before it.
    """

    def __init__(self, clinics: Sequence[ProgramClinic], first_day: date) -> None:
        self.first_day = first_day
        n_days = (max(c.as_of for c in clinics) - first_day).days + 2
        self.dates = [first_day + timedelta(days=i) for i in range(n_days)]
        self.starts = np.array([[_utc(datetime.combine(day, time(0), tzinfo=c.zone)) for day in self.dates]
                                for c in clinics], dtype="datetime64[us]")

    @classmethod
    def covering(cls, clinics: Sequence[ProgramClinic], moments: Instants) -> LocalDays:
        """Days from two days before the earliest of ``moments`` (its UTC day, in any zone) or of the ``as_of``."""
        earliest = min(c.as_of for c in clinics)
        if moments.shape[0]:
            earliest = min(earliest, moments.min().astype("datetime64[D]").item())
        return cls(clinics, earliest - timedelta(days=2))

    def index(self, clinic: IntArray, moments: Instants) -> IntArray:
        """The day index of each instant in the zone of its ``clinic`` (an index into the clinics)."""
        out = np.zeros(moments.shape[0], dtype=np.int64)
        for code in range(self.starts.shape[0]):
            rows = clinic == code
            out[rows] = np.searchsorted(self.starts[code], moments[rows], side="right") - 1
        return out

    def days(self, clinic: IntArray, moments: Instants) -> list[date]:
        return [self.dates[i] for i in self.index(clinic, moments).tolist()]

    def hours(self, clinic: IntArray, moments: Instants) -> npt.NDArray[np.float64]:
        """Hours from the start of ``first_day`` in the zone of each instant's clinic."""
        since: npt.NDArray[np.float64] = (moments - self.starts[clinic, 0]).astype(np.float64)
        return since / 3.6e9


def _utc(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def program_courses(connection: Connection, clinics: Sequence[ProgramClinic],
                    patient_ids: Sequence[str] | None = None) -> list[PatientCourse]:
    """The courses of every patient of ``clinics``, in patient id order (:meth:`ReadModels.program_courses`);
    only of those of ``patient_ids`` where given (a kept program's patients written since, :mod:`.course_cache`).

    One thread on one connection: the read is mostly the interpreter's (a second connection in a second
    thread, as the dashboard reads, measured slower here: the halves wait on each other for the interpreter).
    """
    if not clinics:
        return []
    with collections_paused():
        reader = _Reader(connection, clinics, patient_ids)
        facts = CourseFacts(reader.patients)
        reader.read_episodes(facts)
        reader.read_doses(facts)
        reader.read_contacts(facts)
        reader.read_observations(facts)
        return facts.courses()


@contextmanager
def collections_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: a program's courses are some hundreds of thousands of small objects
    without cycles, and each pass of the collector over them while they are built would cost more than the build."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Reader:
    """The queries of one program read, on one connection."""

    def __init__(self, connection: Connection, clinics: Sequence[ProgramClinic],
                 patient_ids: Sequence[str] | None = None) -> None:
        self.c = connection
        self.clinics = list(clinics)
        code = {c.clinic_id: n for n, c in enumerate(self.clinics)}
        p = t.patients.c
        every = connection.execute(sa.select(sa.func.count()).select_from(t.clinics)).scalar_one() == len(code)
        # Every clinic: every row (a scan, not a probe per patient); else the rows of the clinics' patients;
        # some patients: their rows (probes by patient).
        self.of_clinics: sa.Select[Any] | list[str] | None = (
            list(patient_ids) if patient_ids is not None
            else None if every else sa.select(p.id).where(p.clinic_id.in_(list(code))))
        chosen = [] if patient_ids is None else [p.id.in_(list(patient_ids))]
        rows = connection.execute(sa.select(p.id, p.clinic_id, p.sex_at_birth, raw_time(p.birth_date))
                                  .where(p.clinic_id.in_(list(code)), *chosen).order_by(p.id)).all()
        self.patients = [(pid, clinic, sex, as_day(born), self.clinics[code[clinic]].as_of)
                         for pid, clinic, sex, born in rows]
        self.index = {row[0]: n for n, row in enumerate(self.patients)}
        self.clinic_of = np.array([code[row[1]] for row in self.patients], dtype=np.int64)
        self._days: LocalDays | None = None

    def active(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        """The active rows of ``table`` of the program's patients."""
        c = table.c
        return [c.status == "active"] + ([] if self.of_clinics is None else [c.patient_id.in_(self.of_clinics)])

    def rows(self, table: sa.Table, *columns: sa.ColumnElement[Any],
             where: Sequence[sa.ColumnElement[bool]] = ()) -> list[Any]:
        """``(patient index, *columns)`` of the active rows of ``table`` of the program's patients."""
        c = table.c
        query = sa.select(c.patient_id, *columns).where(*self.active(table), *where)
        index = self.index
        return [(index[row[0]], *row[1:]) for row in self.c.execute(query)]

    def grouped(self, table: sa.Table, *columns: sa.ColumnElement[Any],
                where: Sequence[sa.ColumnElement[bool]] = ()) -> tuple[IntArray, list[list[str]]]:
        """The active rows of :meth:`rows` as text, one row per patient with each column's values joined (the
        long tables: thousands of rows instead of a hundred thousand); the patient of each value, and the columns.
        ``columns`` are never NULL."""
        c = table.c
        query = (sa.select(c.patient_id, *(_joined(self.c, sa.cast(col, sa.Text), SEPARATOR) for col in columns))
                 .where(*self.active(table), *where).group_by(c.patient_id))
        patients: list[int] = []
        counts: list[int] = []
        parts: list[list[str]] = [[] for _ in columns]
        for pid, *texts in self.c.execute(query):
            patients.append(self.index[pid])
            counts.append(texts[0].count(SEPARATOR) + 1)
            for part, text in zip(parts, texts, strict=True):
                part.append(text)
        values = [SEPARATOR.join(part).split(SEPARATOR) if part else [] for part in parts]
        return np.repeat(np.array(patients, dtype=np.int64), counts), values

    def timed(self, table: sa.Table, when: str, *columns: sa.ColumnElement[Any],
              where: Sequence[sa.ColumnElement[bool]] = ()) -> tuple[IntArray, Instants, list[list[str]]]:
        """:meth:`grouped` with ``when`` first, as UTC instants: the patients, the instants, the other columns."""
        patients, values = self.grouped(table, _time_text(self.c, table.c[when]), *columns, where=where)
        return patients, np.array(values[0], dtype="datetime64[us]"), values[1:]

    def calendar(self, moments: Instants) -> LocalDays:
        """The program's local days, from before the earliest of ``moments`` and of those read before."""
        days = self._days
        if days is None or (moments.shape[0] and moments.min() < days.starts[:, 0].min()):
            days = self._days = LocalDays.covering(self.clinics, moments)
        return days

    def local_days(self, patients: IntArray, moments: Instants) -> list[date]:
        return self.calendar(moments).days(self.clinic_of[patients], moments)

    def read_episodes(self, facts: CourseFacts) -> None:
        """The first episode of care, and the OUD and AUD diagnoses on the clinic-local day each was recorded (the
        encounter that made it: IET's diagnosis event, :attr:`PatientCourse.diagnosed_on`)."""
        e, d = t.episodes.c, t.diagnoses.c
        for p, start, end, indication, reason in self.rows(
                t.episodes, raw_time(e.start), raw_time(e.end), e.indication, e.discharge_reason):
            facts.episode(p, as_day(start), None if end is None else as_day(end), indication, reason)
        patients, moments, (systems, codes, names) = self.timed(
            t.diagnoses, "recorded_at", d.system, d.code, d.display, where=(d.recorded_at.is_not(None),))
        for p, recorded, system, code, display in zip(
                patients.tolist(), self.local_days(patients, moments), systems, codes, names, strict=True):
            facts.diagnosis(p, system, code, display, recorded)

    def read_observations(self, facts: CourseFacts) -> None:
        """Urine screens, drinking diary days, Brief Addiction Monitor responses and the offers of rescue naloxone."""
        s, dd, m, doc = t.urine_drug_screens.c, t.drinking_days.c, t.medication_uses.c, t.care_documents.c
        q = t.questionnaire_responses.c
        patients, moments, (results,) = self.timed(t.urine_drug_screens, "collected_at", s.results)
        facts.screens(patients, self.local_days(patients, moments), results)
        patients, (days, drinks) = self.grouped(t.drinking_days, dd.day, dd.standard_drinks)
        facts.drinking(patients, [local_date(day) for day in days], np.array(drinks, dtype=np.float64).tolist())
        bam = get_instrument("bam")
        patients, moments, (answers,) = self.timed(t.questionnaire_responses, "completed_at", q.answers,
                                                   where=(q.instrument.in_([bam.id, *bam.aliases]),))
        facts.bam(patients, self.local_days(patients, moments), answers)
        rescue = sorted(med.code for med in all_medications() if is_rescue_naloxone(med))
        for p, day in self.rows(t.medication_uses, raw_time(m.start), where=(m.rxnorm.in_(rescue),)):
            facts.naloxone(p, as_day(day))
        for p, day in self.rows(t.care_documents, raw_time(doc.issued_on),
                                where=(doc.kind.in_(NALOXONE_DOCUMENTS),)):
            facts.naloxone(p, as_day(day))

    def read_contacts(self, facts: CourseFacts) -> None:
        """Counseling sessions attended (individual and the program's groups) and visits seen."""
        cs, a = t.counseling_sessions.c, t.appointments.c
        patients, (days,) = self.grouped(t.counseling_sessions, cs.held_on, where=(cs.attended.is_(True),))
        facts.contacts(patients, [local_date(day) for day in days])
        patients, moments, _ = self.timed(t.appointments, "starts_at", where=(a.appointment_status == "fulfilled",))
        facts.contacts(patients, self.local_days(patients, moments))

    def read_doses(self, facts: CourseFacts) -> None:
        """The administrations given, the oral prescriptions' supplies, the first-dose checks, the blockade."""
        r, i, o, m, dd = t.regimens.c, t.injections.c, t.oral_doses.c, t.implant_insertions.c, t.dose_decisions.c
        regimens = {rid: (p, kind, start, end, code, supply) for p, rid, kind, start, end, code, supply in self.rows(
            t.regimens, r.id, r.kind, raw_time(r.start), raw_time(r.end), r.rxnorm, r.days_supply)}
        doses = Doses()
        for p, kind, start, end, code, supply in regimens.values():
            if FORM_OF_KIND[kind] == "oral" and supply is not None:
                doses.supply(p, as_day(start), None if end is None else as_day(end), code or FORM_CODE["oral"], supply)
        patients, moments, (amounts, codes) = self.timed(t.injections, "given_at", i.dose_mg, i.rxnorm)
        doses.add(patients, moments, "xr-ntx", amounts, codes)
        patients, moments, (amounts, orders) = self.timed(
            t.oral_doses, "taken_at", o.dose_mg, sa.func.coalesce(o.regimen_id, ""), where=(o.dose_status != "missed",))
        doses.add(patients, moments, "oral", amounts, [_code(regimens, order, "oral") for order in orders],
                  own_day=[order not in regimens or regimens[order][5] is None for order in orders])
        rm = t.implant_removals.c
        removed = (sa.select(sa.func.min(_time_text(self.c, rm.removed_at)))
                   .where(rm.patient_id == m.patient_id, rm.implant_id == m.id, rm.status == "active")
                   .scalar_subquery())
        patients, moments, (amounts, orders, expected, until) = self.timed(
            t.implant_insertions, "inserted_at", m.dose_mg, sa.func.coalesce(m.regimen_id, ""),
            sa.func.coalesce(sa.cast(m.expected_duration_days, sa.Text), "nan"), sa.func.coalesce(removed, "NaT"))
        doses.add(patients, moments, "implant", amounts, [_code(regimens, order, "implant") for order in orders],
                  expected_days=expected, removed=until)
        patients, moments, (overridden,) = self.timed(t.dose_decisions, "decided_at", dd.overridden,
                                                      where=(dd.outcome == "given", dd.dose_class == "first"))
        facts.first_dose_checks(patients, self.local_days(patients, moments), overridden)
        columns = doses.columns()
        days = self.calendar(columns.moments)
        facts.doses(columns, days.days(self.clinic_of[columns.patients], columns.moments), doses.supplies)
        self.blockade(columns, days, facts)

    def blockade(self, doses: DoseColumns, days: LocalDays, facts: CourseFacts) -> None:
        """The runs of blocked days of each clinic's patients from the doses given by the end of its ``as_of``."""
        clinic = self.clinic_of[doses.patients]
        hours = days.hours(clinic, doses.moments)
        removed = np.where(np.isnat(doses.removed), np.inf, days.hours(clinic, doses.removed))
        weights = self.weights()
        for code, program_clinic in enumerate(self.clinics):
            end = days.starts[code, (program_clinic.as_of - days.first_day).days + 1]
            rows = np.nonzero((clinic == code) & (doses.moments < end))[0]
            members, local = np.unique(doses.patients[rows], return_inverse=True)
            dosing = Dosing(local.astype(np.int64), doses.forms[rows], hours[rows], doses.amounts[rows],
                            np.where(removed[rows] > hours[rows], removed[rows], np.inf), weights[members],
                            doses.expected_hours[rows])
            runs = estimate_blocked_runs(dosing, days.first_day, program_clinic.as_of, program_clinic.zone)
            for patient, patient_runs in zip(members.tolist(), runs, strict=True):
                facts.blocked(patient, patient_runs)

    def weights(self) -> npt.NDArray[np.float64]:
        """Each patient's latest body weight in kg (NaN when none), the blockade estimate's covariate."""
        lab = t.lab_results.c
        weights = np.full(len(self.patients), np.nan)
        for p, _, value in sorted(self.rows(t.lab_results, _time_text(self.c, lab.collected_at), lab.value,
                                            where=(lab.loinc == BODY_WEIGHT_LOINC, lab.unit == "kg"))):
            weights[p] = value
        return weights


def _code(regimens: dict[str, tuple[Any, ...]], regimen_id: str, form: CourseForm) -> str:
    """The product of a dose: its order's code, else its form's catalog code."""
    order = regimens.get(regimen_id)
    return (order[4] if order is not None else None) or FORM_CODE[form]


@lru_cache(maxsize=8192)
def local_date(text: str) -> date:
    """A stored date (ISO text); a program's days repeat, so each is parsed once."""
    return date.fromisoformat(text[:10])
