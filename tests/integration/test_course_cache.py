"""The program's courses kept between reads (adapters/db/read_models/course_cache.py), on SQLite and PostgreSQL:
after every audited write the kept courses equal a fresh read of every course, and only the patients written are
read again."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest
from tests.factories import EVERY_FINDING_CLEARED, make_drinking_day, make_injection
from tests.integration.test_program_courses import CLINICS, NEW_YORK, NOW, at, courses, program, screen

from naltrack.adapters.db.read_models.course_cache import CourseCache, course_cache
from naltrack.adapters.db.security_repository import SqlSecureUnitOfWork
from naltrack.bootstrap import Storage
from naltrack.domain.administrations import Injection
from naltrack.domain.care import CounselingSession
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.audit import AuditEvent
from naltrack.services import records as cases
from naltrack.services.context import AppContext
from naltrack.services.read_models import ProgramClinic
from naltrack.services.security import add_user

__all__ = ["program"]  # the fixture, from the courses' own tests


@pytest.fixture()
def writer(program) -> tuple[AppContext, Actor]:
    ctx = AppContext(uow=program.secure_uow)
    user = add_user(ctx.uow, "dr.cache", "synthetic-password-42", "prescriber", "c1", NOW)
    return ctx, Actor(user, "test")


def kept(store, cache: CourseCache, clinics=CLINICS):
    with SqlSecureUnitOfWork(store.engine) as uow:
        return {course.patient_id: course for course in cache.courses(uow._connection, clinics)}


def test_a_second_read_without_writes_returns_the_kept_courses(program) -> None:
    cache = CourseCache()
    first = kept(program, cache)
    assert first == courses(program)
    assert kept(program, cache) == first
    assert cache.reads == {"all": 1, "patients": 0, "kept": 1}


def test_a_write_through_a_use_case_rereads_only_its_patient(program, writer) -> None:
    ctx, actor = writer
    cache = CourseCache()
    before = kept(program, cache)
    cases.create_records(ctx, actor, [screen("p2", date(2026, 2, 20), opiates="positive")], NOW)
    after = kept(program, cache)
    assert cache.reads == {"all": 1, "patients": 1, "kept": 0}
    assert after == courses(program)
    assert after["p2"].screens[-1].opioids_negative is False and after["p2"] != before["p2"]
    assert all(after[pid] is before[pid] for pid in ("p1", "p3", "p4"))


def test_a_correction_and_a_retraction_are_read_again(program, writer) -> None:
    ctx, actor = writer
    cache = CourseCache()
    kept(program, cache)
    old = cases.get_record(ctx, actor, "injections", "p1-i1", NOW)
    cases.correct_record(ctx, actor, "injections", old.id, old.version,
                         lambda new: replace(old, id=new.id, given_at=at(date(2026, 1, 14))), NOW)
    assert kept(program, cache) == courses(program)
    assert kept(program, cache)["p1"].first_dose_on == date(2026, 1, 14)
    corrected = cases.list_records(ctx, actor, "injections", "p1", cases.RecordFilter(), 10, 0, NOW).items[0]
    cases.retract_record(ctx, actor, "injections", corrected.id, corrected.version, NOW)
    assert kept(program, cache) == courses(program)
    assert kept(program, cache)["p1"].first_dose_on is None
    assert cache.reads["all"] == 1


def test_reads_of_a_chart_leave_the_kept_courses(program, writer) -> None:
    ctx, actor = writer
    cache = CourseCache()
    kept(program, cache)
    cases.load_chart(ctx, actor, "p1", NOW)
    kept(program, cache)
    assert cache.reads == {"all": 1, "patients": 0, "kept": 1}


def test_a_write_that_names_no_patient_reads_every_course_again(program) -> None:
    cache = CourseCache()
    kept(program, cache)
    with SqlSecureUnitOfWork(program.engine) as uow:
        uow.security.append_audit(AuditEvent(at=NOW, actor="u-admin", clinic_id="c1", action="update",
                                             category="schedule", purpose="operations", outcome="allowed"))
        uow.commit()
    assert kept(program, cache) == courses(program)
    assert cache.reads["all"] == 2


def test_sign_ins_and_refusals_name_no_patient_and_leave_the_kept_courses(program) -> None:
    cache = CourseCache()
    kept(program, cache)
    with SqlSecureUnitOfWork(program.engine) as uow:
        uow.security.append_audit(AuditEvent(at=NOW, actor="u1", clinic_id="c1", action="sign-in", category="users",
                                             purpose="operations", outcome="allowed"))
        uow.security.append_audit(AuditEvent(at=NOW, actor="u1", clinic_id="c1", action="create",
                                             category="administrations", purpose="treatment", outcome="denied"))
        uow.commit()
    kept(program, cache)
    assert cache.reads == {"all": 1, "patients": 0, "kept": 1}


def test_another_day_or_other_clinics_read_every_course(program) -> None:
    cache = CourseCache()
    kept(program, cache)
    next_day = tuple(replace(c, as_of=c.as_of + timedelta(days=1)) for c in CLINICS)
    assert kept(program, cache, next_day) == courses(program, next_day)
    one = (ProgramClinic("c1", date(2026, 3, 2), NEW_YORK),)
    assert kept(program, cache, one) == courses(program, one)
    assert cache.reads["all"] == 3
    kept(program, cache, one)
    kept(program, cache, next_day)
    assert cache.reads == {"all": 3, "patients": 0, "kept": 2}


def test_after_a_run_of_mixed_writes_the_kept_courses_equal_a_fresh_read(program, writer) -> None:
    ctx, actor = writer
    cache = CourseCache()
    rng = random.Random(15)
    kept(program, cache)
    for n in range(12):
        pid = rng.choice(["p1", "p2", "p4"])
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(60))
        shot_on = day + timedelta(days=12) if day < date(2026, 2, 15) else day  # within the order, not after NOW
        record = rng.choice([
            screen(pid, day, opiates=rng.choice(["positive", "negative"])),
            replace(make_drinking_day(day, float(rng.randrange(9))), id=f"{pid}-w{n}", patient_id=pid),
            CounselingSession(id=f"{pid}-s{n}", patient_id=pid, kind="individual", held_on=day, duration_min=45,
                              counselor="C. Lee"),
            make_injection(id=f"p1-x{n}", patient_id="p1", given_at=at(shot_on), regimen_id="p1-r"),
        ])
        if isinstance(record, Injection):
            cases.create_records(ctx, actor, [record], NOW, EVERY_FINDING_CLEARED)
        else:
            cases.create_records(ctx, actor, [replace(record, id=f"{record.id}-{n}")], NOW)
        assert kept(program, cache) == courses(program), f"after write {n} ({type(record).__name__})"
    assert cache.reads["all"] == 1


def test_one_cache_per_database(program) -> None:
    other = Storage("sqlite://")
    try:
        assert course_cache(program.engine) is course_cache(program.engine)
        assert course_cache(program.engine) is not course_cache(other.engine)
    finally:
        other.close()
