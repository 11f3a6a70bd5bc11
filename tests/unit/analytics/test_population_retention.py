"""Retention over claims (analytics.population) follows the program's retention rule (retention.first_run), day
for day, on every input format; boundaries of the allowed gap and of as_of; bad input named."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.analytics.test_omop import (
    BUP_FILM,
    CONTRAVE,
    D0,
    ORAL_NTX,
    XR_NTX,
    Row,
    write_claims_csv,
    write_claims_parquet,
    write_omop,
)

from naltrack.analytics.courses import Interval, PatientCourse
from naltrack.analytics.definitions import MeasureDefinitions
from naltrack.analytics.pod_rules import pod_code_rules
from naltrack.analytics.population import MemberRun, measure_retention_input
from naltrack.analytics.retention import retention_time
from naltrack.domain.errors import InvalidInput


def reference_course(pid: int, rows: list[Row], as_of: date) -> PatientCourse | None:
    """The member's covered days by POD's supply rules, computed plainly, as a course for retention.first_run."""
    rules = pod_code_rules()
    by_group: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for member, day, code, supply in rows:
        rule = rules[code]
        if member != pid or rule.group is None or day > as_of:
            continue
        days = rule.fixed_days or supply or rule.default_days
        assert days is not None
        by_group[rule.group].append((day, days))
    intervals = []
    for fills in by_group.values():
        end: date | None = None
        for day, days in sorted(fills):  # a refill starts when the previous supply ends
            start = day if end is None or day > end else end + timedelta(days=1)
            end = start + timedelta(days=days - 1)
            intervals.append(Interval(start, end))
    if not intervals:
        return None
    first = min(i.start for i in intervals)
    return PatientCourse(patient_id=str(pid), clinic_id="c", sex_at_birth="female", birth_date=date(1990, 1, 1),
                         first_dose_on=first, treated=tuple(intervals))


_FILLS = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 300),
              st.sampled_from([(ORAL_NTX, 30), (ORAL_NTX, 7), (ORAL_NTX, 1), (XR_NTX, None), (BUP_FILM, None),
                               (BUP_FILM, 14), (CONTRAVE, 30)])),
    min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_FILLS, st.integers(0, 330), st.integers(0, 14))
def test_each_members_run_is_the_programs_retention_rule(fills: list[tuple[int, int, tuple[str, int | None]]],
                                                         as_of_day: int, gap: int) -> None:
    rows: list[Row] = [(pid, D0 + timedelta(days=day), code, days) for pid, day, (code, days) in fills]
    as_of = D0 + timedelta(days=as_of_day)
    definitions = MeasureDefinitions(retention_allowed_gap_days=gap)
    expected = {}
    for pid in sorted({r[0] for r in rows}):
        course = reference_course(pid, rows, as_of)
        if course is not None:
            expected[str(pid)] = retention_time(course, as_of, definitions)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_claims_csv(Path(tmp) / "claims.csv", rows)
        if not expected:
            with pytest.raises(InvalidInput):
                measure_retention_input(path, as_of=as_of, definitions=definitions)
            return
        result = measure_retention_input(path, as_of=as_of, definitions=definitions)
    assert {run.patient_id: (run.days, run.discontinued) for run in result.runs} == expected
    assert result.members == len(expected)
    assert result.discontinued == sum(1 for _, stopped in expected.values() if stopped)
    assert result.curve.n == len(expected) and result.curve.events == result.discontinued


@pytest.mark.parametrize(("second_fill_day", "discontinued", "days"), [
    (37, False, 36 + 30),  # days 30..36 uncovered: 7 days, bridged
    (38, True, 29),        # days 30..37 uncovered: 8 days, the first run ends on day 29
])
def test_the_allowed_gap_is_seven_uncovered_days(tmp_path: Path, second_fill_day: int, discontinued: bool,
                                                 days: int) -> None:
    rows: list[Row] = [(1, D0, ORAL_NTX, 30), (1, D0 + timedelta(days=second_fill_day), ORAL_NTX, 30)]
    as_of = D0 + timedelta(days=second_fill_day + 29)  # the last covered day of the second fill
    result = measure_retention_input(write_claims_csv(tmp_path / "c.csv", rows), as_of=as_of)
    assert result.runs == (MemberRun("1", D0, D0 + timedelta(days=days), days, discontinued),)


@pytest.mark.parametrize(("as_of_day", "discontinued"), [(36, False), (37, True)])
def test_discontinued_once_more_than_seven_days_pass_after_the_last_covered_day(
        tmp_path: Path, as_of_day: int, discontinued: bool) -> None:
    # Covered days 0..29: on day 37 eight days (30..37) have passed uncovered, on day 36 seven.
    result = measure_retention_input(write_claims_csv(tmp_path / "c.csv", [(1, D0, ORAL_NTX, 30)]),
                                     as_of=D0 + timedelta(days=as_of_day))
    assert (result.runs[0].days, result.runs[0].discontinued) == (29, discontinued)
    assert result.discontinued == int(discontinued)


def test_in_treatment_follow_up_stops_at_as_of_and_default_as_of_is_the_last_dispensing(tmp_path: Path) -> None:
    rows: list[Row] = [(1, D0, XR_NTX, None), (2, D0 + timedelta(days=10), XR_NTX, None)]
    result = measure_retention_input(write_claims_csv(tmp_path / "c.csv", rows))
    assert result.as_of == D0 + timedelta(days=10)
    assert [(r.patient_id, r.days, r.discontinued) for r in result.runs] == [("1", 10, False), ("2", 0, False)]


def test_parquet_and_omop_give_the_csvs_retention(tmp_path: Path) -> None:
    rows: list[Row] = [(1, D0, ORAL_NTX, 30), (1, D0 + timedelta(days=45), ORAL_NTX, 30), (2, D0, XR_NTX, None),
                       (2, D0 + timedelta(days=31), XR_NTX, None), (3, D0 + timedelta(days=5), BUP_FILM, None)]
    as_of = D0 + timedelta(days=120)
    csv_result = measure_retention_input(write_claims_csv(tmp_path / "c.csv", rows), as_of=as_of)
    parquet = measure_retention_input(write_claims_parquet(tmp_path / "claims", rows), "claims-parquet", as_of=as_of)
    omop = measure_retention_input(write_omop(tmp_path / "omop", rows), "omop", as_of=as_of)
    assert parquet.runs == csv_result.runs == omop.runs
    assert [(r.patient_id, r.days, r.discontinued) for r in csv_result.runs] == [
        ("1", 29, True), ("2", 61, True), ("3", 6, True)]
    assert csv_result.curve.at(30) is not None and csv_result.curve.at(30).value == pytest.approx(1 / 3)  # type: ignore[union-attr]


def test_input_with_only_ignored_codes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        measure_retention_input(write_claims_csv(tmp_path / "c.csv", [(1, D0, CONTRAVE, 30)]))
    assert caught.value.field == "INPUT"


def test_as_of_before_every_dispensing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        measure_retention_input(write_claims_csv(tmp_path / "c.csv", [(1, D0, XR_NTX, None)]),
                                as_of=D0 - timedelta(days=1))
    assert (caught.value.field, caught.value.value) == ("as_of", (D0 - timedelta(days=1)).isoformat())


def test_spark_without_pyspark_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from naltrack.analytics import engines

    monkeypatch.setattr(engines, "_SESSIONS", {})
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(InvalidInput) as caught:
        measure_retention_input(write_claims_csv(tmp_path / "c.csv", [(1, D0, XR_NTX, None)]),
                                choice=engines.EngineChoice("spark"))
    assert (caught.value.field, caught.value.value) == ("engine", "spark")
    assert "pip install 'naltrack[spark]'" in caught.value.rule


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "polars"}, "engine"), ({"threads": 0}, "threads"), ({"master": "spark://h:7077"}, "spark master"),
])
def test_engine_choice_limits_are_named(kwargs: dict[str, object], field: str) -> None:
    from naltrack.analytics.engines import EngineChoice

    with pytest.raises(InvalidInput) as caught:
        EngineChoice(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
