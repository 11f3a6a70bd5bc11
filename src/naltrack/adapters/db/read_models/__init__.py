"""The set-based read models (:class:`~naltrack.services.read_models.ReadModels`) on SQLAlchemy Core.

:class:`SqlReadModels` reads on the unit of work's connection, inside its transaction. The
dashboard reads its treatment half (due injections, protection) on a second connection of
the same engine in a second thread, so that two cores serve one page; not on an in-memory
SQLite database, whose one shared connection must not serve two threads at once. The program's
courses are kept between reads per engine and brought up to date from the audit log
(:mod:`.course_cache`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from naltrack.adapters.db.read_models import acknowledgements as acks
from naltrack.adapters.db.read_models.alerts import find_in_care
from naltrack.adapters.db.read_models.course_cache import course_cache
from naltrack.adapters.db.read_models.dashboard import DashboardQuery, find_inductions
from naltrack.adapters.db.read_models.outcomes import program_courses
from naltrack.adapters.db.read_models.schedule import find_appointments
from naltrack.analytics.courses import PatientCourse
from naltrack.domain.rules.thresholds import Thresholds
from naltrack.services.read_models import (
    INDUCTION_LIST_LIMIT,
    Acknowledgement,
    Dashboard,
    InductionInProgress,
    PatientRef,
    ProgramClinic,
    ReadModels,
    ScheduledVisit,
)


class SqlReadModels(ReadModels):
    """The read models on ``connection`` (a unit of work's); ``engine`` opens the dashboard's second one."""

    def __init__(self, connection: Connection, engine: Engine | None = None) -> None:
        self._c = connection
        self._engine = engine

    def dashboard(self, clinic_id: str, today: date, tz: ZoneInfo, thresholds: Thresholds, *,
                  sections: Mapping[str, bool] | None = None,
                  acknowledged: Iterable[tuple[str, str]] = ()) -> Dashboard:
        engine = self._engine
        connect = engine.connect if engine is not None and not isinstance(engine.pool, StaticPool) else None
        return DashboardQuery(self._c, clinic_id, today, tz, thresholds, connect).run(sections, acknowledged)

    def inductions(self, clinic_id: str, today: date,
                   limit: int = INDUCTION_LIST_LIMIT) -> tuple[list[InductionInProgress], int]:
        return find_inductions(self._c, find_in_care(self._c, clinic_id, today), limit)

    def in_care(self, clinic_id: str, today: date) -> list[PatientRef]:
        refs = find_in_care(self._c, clinic_id, today).refs.values()
        return sorted(refs, key=lambda ref: (ref.name, ref.patient_id))

    def appointments(self, clinic_id: str, day: date, tz: ZoneInfo) -> list[ScheduledVisit]:
        return find_appointments(self._c, clinic_id, day, tz)

    def acknowledgements(self, patient_id: str) -> dict[tuple[str, str], Acknowledgement]:
        return acks.find_for_patient(self._c, patient_id)

    def acknowledged_since(self, clinic_id: str, since: datetime) -> set[tuple[str, str]]:
        return acks.find_since(self._c, clinic_id, since)

    def acknowledge(self, clinic_id: str, acknowledgement: Acknowledgement, note: str | None = None) -> None:
        acks.add_acknowledgement(self._c, clinic_id, acknowledgement, note)

    def program_courses(self, clinics: Sequence[ProgramClinic]) -> list[PatientCourse]:
        if self._engine is None:
            return program_courses(self._c, clinics)
        return course_cache(self._engine).courses(self._c, clinics)
