"""HEDIS IET over OMOP tables (DuckDB): the program's courses written as OMOP give the program's own IET, member by
member; the windows' boundaries; visits counted only under an episode or an OUD/AUD diagnosis; bad input named."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naltrack.analytics.courses import CourseForm, Dose, PatientCourse
from naltrack.analytics.dispensing import dispensing_rows
from naltrack.analytics.engines import EngineChoice
from naltrack.analytics.iet import IetResult, measure_iet
from naltrack.analytics.omop import Condition, omop_tables, write_omop_tables
from naltrack.analytics.population import measure_iet_input
from naltrack.domain.errors import InvalidInput

D0 = date(2026, 1, 1)
CODES: dict[CourseForm, str] = {"oral": "1483744", "xr-ntx": "637213", "implant": "NTX-IMPLANT"}
#: Diagnosis codes as the export writes them: ICD-10-CM with and without the dot, SNOMED CT, and one of neither.
DIAGNOSES = {"oud": ("F11.20", "F1120", "1081000119105"), "aud": ("F10.20", "10741871000119101"), None: ("I10",)}
_KINDS = {frozenset({"oud"}): "OUD", frozenset({"aud"}): "AUD", frozenset({"oud", "aud"}): "OUD+AUD"}


def day(n: int) -> date:
    return D0 + timedelta(days=n)


@dataclass(frozen=True)
class Member:
    """A generated patient: the course the program measures, and the diagnoses written beside it."""

    course: PatientCourse
    conditions: tuple[Condition, ...]


@st.composite
def members(draw: st.DrawFn, pid: str) -> Member:
    """A patient with or without an episode, diagnoses of every kind, naltrexone doses of each form and contacts,
    on days around the windows' edges (the index, +13/+14, +34/+35 after the initiation, 194 days before)."""
    episode = draw(st.one_of(st.none(), st.tuples(st.integers(200, 320),
                                                   st.sampled_from(["OUD", "AUD", "OUD+AUD", "stimulant"]))))
    diagnosed = draw(st.lists(st.tuples(st.integers(150, 360), st.sampled_from(["oud", "aud", None]),
                                        st.integers(0, 2)), max_size=3))
    conditions = tuple(Condition(pid, DIAGNOSES[kind][n % len(DIAGNOSES[kind])], day(d)) for d, kind, n in diagnosed)
    sud = [(d, kind) for d, kind, _ in diagnosed if kind]
    # doses and contacts on days around the edges of the windows of a likely index (the episode's start, else the
    # first diagnosis): the index day, 13/14 days after it, 34/35 after an initiation, 194/195 days before it
    base = episode[0] if episode else min((d for d, _ in sud), default=250)
    offsets = st.one_of(st.sampled_from([-195, -194, -1, 0, 1, 2, 13, 14, 15, 34, 35, 36, 47, 48, 49]),
                        st.integers(-200, 120))
    doses = tuple(sorted((Dose(day(base + d), form, CODES[form], supply if form == "oral" else None)
                          for d, form, supply in draw(st.lists(
                              st.tuples(offsets, st.sampled_from(["oral", "xr-ntx", "implant"]),
                                        st.sampled_from([None, 1, 30])), max_size=5))),
                         key=lambda dose: (dose.on, dose.form)))
    # the program's own contacts are under an episode; a dose day is a contact as the read model records it
    contacts = [base + n for n in draw(st.lists(offsets, max_size=6))] if episode else []
    indication = episode[1] if episode else _KINDS.get(frozenset(kind for _, kind in sud))
    course = PatientCourse(
        patient_id=pid, clinic_id="c1", sex_at_birth="female", birth_date=date(1990, 1, 1), indication=indication,
        assessed_on=day(episode[0]) if episode else None, doses=doses,
        treatment_contacts=tuple(sorted({day(n) for n in contacts} | {dose.on for dose in doses})),
        diagnosed_on=min((day(d) for d, _ in sud), default=None))
    return Member(course, conditions)


def write(folder: Path, group: list[Member]) -> dict[str, int]:
    """The members as OMOP tables in ``folder``, as ``export omop`` writes them; person ids by patient."""
    courses = [m.course for m in group]
    person_ids = {c.patient_id: n for n, c in enumerate(courses, start=1)}
    tables = omop_tables(dispensing_rows(courses), courses, [c for m in group for c in m.conditions], person_ids)
    folder.mkdir(parents=True, exist_ok=True)
    write_omop_tables(tables, folder)
    return person_ids


def summary(result: IetResult, names: dict[str, str] | None = None) -> tuple[object, ...]:
    rename = names or {}
    return (result.cohorts,
            sorted((rename.get(p.patient_id, p.patient_id), p.cohort, p.index_on, p.initiated_on, p.engaged, p.reason)
                   for p in result.patients))


_GROUPS = st.integers(1, 12).flatmap(lambda n: st.tuples(*(members(f"p{i}") for i in range(n))))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_GROUPS, st.one_of(st.none(), st.integers(150, 330)), st.integers(0, 200))
def test_iet_over_the_exported_omop_equals_the_programs_iet(group: tuple[Member, ...], start: int | None,
                                                              length: int) -> None:
    first = None if start is None else day(start)
    last = None if start is None else day(start + length)
    expected = measure_iet([m.course for m in group], first, last)
    with tempfile.TemporaryDirectory() as tmp:
        person_ids = write(Path(tmp) / "omop", list(group))
        found = measure_iet_input(Path(tmp) / "omop", start=first, end=last)
    names = {str(n): pid for pid, n in person_ids.items()}
    assert summary(found, names) == summary(expected)


def _episode(pid: str = "p1", contacts: tuple[int, ...] = (), doses: tuple[Dose, ...] = (),
             indication: str = "OUD") -> Member:
    course = PatientCourse(patient_id=pid, clinic_id="c1", sex_at_birth="male", birth_date=date(1990, 1, 1),
                           indication=indication, assessed_on=day(200), doses=doses,
                           treatment_contacts=tuple(sorted({day(200 + n) for n in contacts} | {d.on for d in doses})))
    return Member(course, ())


def _one(tmp: Path, member: Member) -> tuple[str, date | None, bool, str]:
    write(tmp / "omop", [member])
    (patient,) = measure_iet_input(tmp / "omop").patients
    return patient.cohort, patient.initiated_on, patient.engaged, patient.reason


@pytest.mark.parametrize(("contact", "initiated"), [(13, True), (14, False)])
def test_initiation_window_is_the_index_day_and_13_more(tmp_path: Path, contact: int, initiated: bool) -> None:
    cohort, on, _, reason = _one(tmp_path, _episode(contacts=(contact,)))
    assert (cohort, on) == ("opioid", day(200 + contact) if initiated else None)
    assert reason.startswith("initiated" if initiated else "not initiated: no treatment contact or dose within 14")


@pytest.mark.parametrize(("second", "engaged"), [(34, True), (35, False)])
def test_engagement_is_two_more_contact_days_within_34_days(tmp_path: Path, second: int, engaged: bool) -> None:
    cohort, on, is_engaged, _ = _one(tmp_path, _episode(contacts=(2, 10, 2 + second), indication="AUD"))
    assert (cohort, on, is_engaged) == ("alcohol", day(202), engaged)


@pytest.mark.parametrize(("shot", "engaged"), [(34, True), (35, False)])
def test_one_long_acting_dose_within_34_days_engages(tmp_path: Path, shot: int, engaged: bool) -> None:
    member = _episode(contacts=(0,), doses=(Dose(day(200 + shot), "xr-ntx", CODES["xr-ntx"]),))
    _, _, is_engaged, reason = _one(tmp_path, member)
    assert is_engaged is engaged
    assert ("long-acting dose on" in reason) is engaged


@pytest.mark.parametrize(("before", "excluded"), [(194, True), (195, False)])
def test_a_naltrexone_dose_in_the_194_days_before_excludes(tmp_path: Path, before: int, excluded: bool) -> None:
    member = _episode(contacts=(0,), doses=(Dose(day(200 - before), "oral", CODES["oral"], 1),))
    cohort, _, _, reason = _one(tmp_path, member)
    assert (cohort == "excluded") is excluded
    assert reason.startswith("no negative history") is excluded


def payer_omop(folder: Path, linked: bool) -> Path:
    """A payer's OMOP member without an episode: an OUD diagnosis on day 200, then two visits and no drug; the
    second visit carries the diagnosis when ``linked``."""
    folder.mkdir()
    with duckdb.connect() as con:
        for sql in (
            "CREATE TABLE person AS SELECT 7 AS person_id",
            f"""CREATE TABLE observation_period AS SELECT 7 AS person_id,
                DATE '{day(0)}' AS observation_period_start_date, DATE '{day(400)}' AS observation_period_end_date""",
            """CREATE TABLE drug_exposure (person_id BIGINT, drug_exposure_start_date DATE,
                                           drug_source_value VARCHAR, days_supply INTEGER)""",
            f"""CREATE TABLE visit_occurrence AS SELECT * FROM (VALUES (7, 70, DATE '{day(200)}'),
                (7, 71, DATE '{day(205)}')) AS t(person_id, visit_occurrence_id, visit_start_date)""",
            f"""CREATE TABLE condition_occurrence AS SELECT 7 AS person_id, DATE '{day(200)}' AS condition_start_date,
                'F11.20' AS condition_source_value, {71 if linked else 'NULL'} AS visit_occurrence_id""",
        ):
            con.execute(sql)
        for table in ("person", "observation_period", "drug_exposure", "visit_occurrence", "condition_occurrence"):
            con.execute(f"COPY {table} TO '{folder / (table + '.parquet')}' (FORMAT PARQUET)")
    return folder


@pytest.mark.parametrize("linked", [True, False])
def test_a_visit_without_an_episode_counts_only_with_an_oud_or_aud_diagnosis(tmp_path: Path, linked: bool) -> None:
    result = measure_iet_input(payer_omop(tmp_path / "omop", linked))
    (patient,) = result.patients
    assert (patient.patient_id, patient.cohort, patient.index_on) == ("7", "opioid", day(200))
    assert patient.initiated_on == (day(205) if linked else None)
    assert [(c.name, c.denominator, c.initiation) for c in result.cohorts] == [
        ("alcohol", 0, 0), ("opioid", 1, int(linked)), ("total", 1, int(linked))]


def test_claims_are_refused_for_iet(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        measure_iet_input(tmp_path, "claims-csv")
    assert (caught.value.field, caught.value.value) == ("format", "claims-csv")
    assert "OMOP" in caught.value.rule


def test_a_missing_visit_table_is_named(tmp_path: Path) -> None:
    folder = payer_omop(tmp_path / "omop", linked=True)
    (folder / "visit_occurrence.parquet").unlink()
    with pytest.raises(InvalidInput) as caught:
        measure_iet_input(folder)
    assert caught.value.field == "visit_occurrence"


def test_a_period_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        measure_iet_input(payer_omop(tmp_path / "omop", linked=True), start=day(10), end=day(9))
    assert caught.value.field == "end"


def test_engine_choice_is_passed_through(tmp_path: Path) -> None:
    result = measure_iet_input(payer_omop(tmp_path / "omop", linked=True), choice=EngineChoice("duckdb", threads=1))
    assert [c.denominator for c in result.cohorts] == [0, 1, 1]
