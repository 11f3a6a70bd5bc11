"""Report rows: counts and rates from fewer than 11 patients are suppressed; the CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from tests.unit.analytics.course_factory import day, injections, make_course, runs

from naltrack.analytics.definitions import DEFAULT_DEFINITIONS
from naltrack.analytics.iet import IetCohort, IetResult
from naltrack.analytics.monthly import MonthRow
from naltrack.analytics.outcomes import measure_program
from naltrack.analytics.pod import PodResult
from naltrack.analytics.report import ReportRow, make_row, quality_rows, report_rows, write_csv


@pytest.mark.parametrize(("count", "shown"), [(10, None), (11, 11), (0, None)])
def test_a_count_below_11_is_suppressed(count: int, shown: int | None) -> None:
    row = make_row("program", "Patients", "all", count, None, None, min_cell=11)
    assert row.numerator == shown
    assert row.note == ("" if shown else "fewer than 11")


def test_a_rate_whose_denominator_is_10_is_suppressed() -> None:
    assert make_row("cascade", "x", "all", 11, 10, 1.1, min_cell=11) == ReportRow(
        "cascade", "x", "all", 11, None, None, "fewer than 11")
    assert make_row("cascade", "x", "all", 11, 11, 1.0, min_cell=11) == ReportRow(
        "cascade", "x", "all", 11, 11, 1.0, "")


def test_a_rate_whose_numerator_is_10_is_suppressed_but_its_denominator_shown() -> None:
    assert make_row("cascade", "x", "all", 10, 50, 0.2, min_cell=11) == ReportRow(
        "cascade", "x", "all", None, 50, None, "fewer than 11")


@pytest.mark.parametrize(("numerator", "denominator", "shown"), [
    (39, 50, True), (40, 40, True),                     # 11 left out is not small; none left out is 0
    (40, 50, False), (49, 50, False)])                  # 10 or 1 left out could be worked out by subtraction
def test_a_rate_that_leaves_out_1_to_10_patients_is_suppressed(numerator: int, denominator: int,
                                                                  shown: bool) -> None:
    row = make_row("cascade", "Found ready", "all", numerator, denominator, numerator / denominator, min_cell=11)
    expected = ((numerator, denominator, numerator / denominator, "") if shown
                else (None, denominator, None, "all but fewer than 11"))
    assert (row.numerator, row.denominator, row.value, row.note) == expected


def test_a_retention_estimate_that_gives_away_a_small_count_is_suppressed() -> None:
    stayed = [make_course(f"s{i:02}", first_dose_on=day(0), first_form="xr-ntx", treated=runs((0, 150)))
              for i in range(8)]
    left = [make_course(f"l{i:02}", first_dose_on=day(0), first_form="xr-ntx", treated=runs((0, 40)))
            for i in range(16)]
    rows = {r.measure: r for r in report_rows(measure_program(stayed + left, day(200)))
            if r.section == "retention" and r.group == "all"}
    assert rows["Retained 30 days"].value == pytest.approx(1.0)          # 24 of 24: none stopped
    assert rows["Retained 90 days"].value is None                        # 8 of 24 still in: a count of 8
    assert rows["Retained 90 days"].note == "fewer than 11"
    many = report_rows(measure_program(stayed * 2 + left[:3], day(200)))
    retained = next(r for r in many if r.measure == "Retained 90 days" and r.group == "all")
    assert (retained.value, retained.note) == (None, "all but fewer than 11")   # 3 of 19 stopped


def _program(n: int) -> list:  # type: ignore[type-arg]
    return [make_course(f"p{i:02}", first_dose_on=day(0), first_form="xr-ntx", assessed_on=day(0),
                        doses=injections(0, 28), treated=runs((0, 60)), protected=runs((0, 55)))
            for i in range(n)]


def test_report_rows_of_a_program_of_11_show_and_of_10_suppress() -> None:
    for n, shown in ((11, True), (10, False)):
        rows = report_rows(measure_program(_program(n), day(200)))
        by_key = {(r.section, r.measure, r.group): r for r in rows}
        patients = by_key[("program", "Patients", "all")]
        retained = by_key[("retention", "Retained 30 days", "all")]
        first_dose = by_key[("cascade", "First dose", "all")]
        assert patients.numerator == (n if shown else None)
        assert retained.value == (pytest.approx(1.0) if shown else None)
        assert retained.note.startswith("95% CI" if shown else "fewer than 11")
        assert (first_dose.numerator, first_dose.denominator) == ((n, n) if shown else (None, None))
        assert by_key[("retention", "Retained 90 days", "all")].value == (0.0 if shown else None)


def test_a_share_of_screens_is_suppressed_by_its_counts_and_by_the_months_patients() -> None:
    screens = (MonthRow(1, 20, 40, 5 / 30, 0.9, (5, 30), (18, 20)), MonthRow(2, 10, 40, 0.5, None, (20, 40), (0, 0)))
    outcomes = replace(measure_program([], day(200)), screens=screens)
    rows = [r for r in report_rows(outcomes) if r.section == "screens"]
    assert [(r.measure, r.group, r.numerator, r.denominator, r.value) for r in rows] == [
        ("Opioid-negative share", "month 1", None, 30, None),     # 5 negative: fewer than 11
        ("Fentanyl-negative share", "month 1", None, 20, None),   # 2 not negative: all but fewer than 11
        ("Opioid-negative share", "month 2", None, None, None),   # 10 patients in the month
    ]


def test_small_cells_follow_the_definition() -> None:
    rows = report_rows(measure_program(_program(5), day(200)), replace(DEFAULT_DEFINITIONS, min_cell=5))
    assert next(r for r in rows if r.measure == "Patients").numerator == 5


def test_quality_rows_suppress_small_cohorts() -> None:
    pod = PodResult(None, None, 40, 12, ())
    iet = IetResult((IetCohort("alcohol", 40, 20, 8), IetCohort("opioid", 9, 9, 9)), ())
    rows = quality_rows(pod, iet)
    assert rows[0] == ReportRow("quality", "HEDIS POD", "all", 12, 40, 0.3, "")
    assert [(r.group, r.numerator, r.denominator) for r in rows[1:]] == [
        ("alcohol", 20, 40), ("alcohol", None, 40), ("opioid", None, None), ("opioid", None, None)]


def test_write_csv_writes_a_header_and_empty_cells_for_none() -> None:
    handle = io.StringIO()
    write_csv([ReportRow("a", "b", "c", None, 20, 0.5, "fewer than 11")], handle)
    assert list(csv.reader(io.StringIO(handle.getvalue()))) == [
        ["section", "measure", "group", "numerator", "denominator", "value", "note"],
        ["a", "b", "c", "", "20", "0.5", "fewer than 11"]]
