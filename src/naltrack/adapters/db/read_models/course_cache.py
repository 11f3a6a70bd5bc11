"""The program's courses kept between reads and brought up to date from the audit log.

Reading every course of a program (:func:`.outcomes.program_courses`) costs seconds at 10,000
patients, yet between two reads of the program's measures only the patients written since have
changed. Every write of a record is audited in its own transaction, and the entry names the
patient written (:func:`naltrack.services.access.run_audited`); audit sequence numbers commit in
order (the head row stays locked until the commit). So the entries after the sequence number a read
started from name every patient written since, and a read:

1. takes the last committed sequence number first (a write that commits while the courses are read
   is then read again next time, never missed);
2. where courses are kept for the same clinics on the same days: re-reads the courses of the patients
   that the allowed entries after the kept number name, unless an entry that may have written records
   names no patient (anything but a read, a sign-in, the accounts' and the audit's own entries), or more
   than :data:`MOST_PATIENTS` patients were written: then, as for new clinics or a new day, it reads
   every course again.

Writes without an audit entry (the synthetic program's loader, a migration, an operator's SQL) are not
seen until the next day's read, or a restart: no use case writes without one. The kept courses are the
process's (each server process keeps its own), at most :data:`KEPT` sets (today's and a report's day).

A full read leaves some hundreds of thousands of small objects alive for the day; every pass of the cyclic
garbage collector over the oldest generation would walk them all (a pause of a few hundred milliseconds in
whichever request triggers it). So after a full read the collector runs once over everything (what was
frozen before included) and then freezes what is alive (:func:`gc.freeze`): frozen objects are still freed
by reference counting when the courses are replaced (courses hold no cycles), they are only left out of the
collector's passes until the next full read.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from naltrack.adapters.db.read_models.outcomes import program_courses
from naltrack.adapters.db.security_tables import audit_log
from naltrack.analytics.courses import PatientCourse
from naltrack.services.read_models import ProgramClinic

#: Audit actions that write no record: reads and their kin, sign-in and sign-out.
READ_ACTIONS = ("read", "verify", "export", "disclose", "feedback", "sign-in", "sign-out")
#: Categories whose entries without a patient write no patient's record (accounts, the audit log itself,
#: refused requests, the program's measures).
PATIENTLESS_CATEGORIES = ("users", "audit", "request", "program-measures")
#: Above this many patients written since the last read, reading every course is as quick.
MOST_PATIENTS = 500
#: How many sets of courses (clinics and days) a process keeps.
KEPT = 2

Key = tuple[ProgramClinic, ...]


@dataclass
class _Kept:
    seq: int
    courses: dict[str, PatientCourse]
    ordered: list[PatientCourse]


class CourseCache:
    """The courses of the program kept for one database (one engine), per set of clinics and days."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[Key, _Kept] = {}
        self.reads = {"all": 0, "patients": 0, "kept": 0}
        """How each read was answered: every course read, some patients re-read, the kept courses as they were."""

    def clear(self) -> None:
        """Drop the kept courses: the next read reads every course, as a new process does."""
        with self._lock:
            self._kept.clear()

    def courses(self, connection: Connection, clinics: Sequence[ProgramClinic]) -> list[PatientCourse]:
        """The courses of every patient of ``clinics`` (:meth:`ReadModels.program_courses`), as of the last
        committed write."""
        key = tuple(clinics)
        with self._lock:
            head = last_sequence(connection)
            kept = self._kept.get(key)
            written = None if kept is None else written_since(connection, kept.seq, head)
            if kept is None or written is None:
                self.reads["all"] += 1
                ordered = program_courses(connection, clinics)
                kept = _Kept(head, {course.patient_id: course for course in ordered}, ordered)
                _freeze_survivors()
            elif written:
                self.reads["patients"] += 1
                fresh = {c.patient_id: c for c in program_courses(connection, clinics, sorted(written))}
                courses = {pid: course for pid, course in kept.courses.items() if pid not in written}
                courses.update(fresh)
                kept = _Kept(head, courses, [courses[pid] for pid in sorted(courses)])
            else:
                self.reads["kept"] += 1
                kept.seq = head
            self._kept.pop(key, None)
            self._kept[key] = kept
            while len(self._kept) > KEPT:
                del self._kept[next(iter(self._kept))]
            return list(kept.ordered)


def _freeze_survivors() -> None:
    """Leave what is alive now out of the collector's passes: what was frozen before goes back first, so that
    whatever of it became cyclic garbage since is collected now rather than kept for good."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def last_sequence(connection: Connection) -> int:
    """The sequence number of the last committed audit entry (0 for an empty log)."""
    return int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(audit_log.c.seq), 0))).scalar_one())


def written_since(connection: Connection, seq: int, head: int) -> set[str] | None:
    """The patients whose records the entries after ``seq`` up to ``head`` may have written; ``None`` where an
    entry may have written records of patients it does not name, or more than :data:`MOST_PATIENTS` were."""
    a = audit_log.c
    rows = connection.execute(
        sa.select(a.patient_id, a.category).distinct()
        .where(a.seq > seq, a.seq <= head, a.outcome == "allowed", a.action.not_in(READ_ACTIONS))).all()
    patients: set[str] = set()
    for patient_id, category in rows:
        if patient_id is not None:
            patients.add(patient_id)
        elif category not in PATIENTLESS_CATEGORIES:
            return None
    return patients if len(patients) <= MOST_PATIENTS else None


_CACHES: weakref.WeakKeyDictionary[Engine, CourseCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def course_cache(engine: Engine) -> CourseCache:
    """The kept courses of the database of ``engine`` (one per engine, for the life of the engine)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            cache = _CACHES[engine] = CourseCache()
        return cache
