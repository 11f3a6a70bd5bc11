"""Retention: the first continuous run of treatment, its boundaries, and the curves against lifelines."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from tests.unit.analytics.course_factory import day, treated_course

from naltrack.analytics.definitions import DEFAULT_DEFINITIONS
from naltrack.analytics.retention import cohort_label, first_run, measure_retention, retention_time

AS_OF = day(400)


@pytest.mark.parametrize(("second_start", "expected"), [
    (38, (99, True)),   # days 31..37 untreated: 7 days, the allowed gap, bridge the runs
    (39, (30, True)),   # days 31..38 untreated: 8 days end the first run on day 30
])
def test_a_gap_of_the_allowed_days_bridges_and_one_more_ends_the_run(second_start: int,
                                                                    expected: tuple[int, bool]) -> None:
    course = treated_course("p", 0, (0, 30), (second_start, 99))
    assert retention_time(course, AS_OF) == expected


def test_the_allowed_gap_is_a_definition() -> None:
    course = treated_course("p", 0, (0, 30), (39, 99))
    assert retention_time(course, AS_OF, replace(DEFAULT_DEFINITIONS, retention_allowed_gap_days=8)) == (99, True)


@pytest.mark.parametrize(("as_of", "expected"), [
    (30, (30, False)),  # on the last treated day: in treatment
    (35, (30, False)),  # inside the gap: not yet discontinued, follow-up to the last treated day
    (37, (30, False)),  # 7 untreated days through as_of: still the allowed gap
    (38, (30, True)),   # 8 untreated days: the run ended on day 30
])
def test_as_of_inside_the_gap_is_censored_until_the_gap_is_too_long(as_of: int, expected: tuple[int, bool]) -> None:
    course = treated_course("p", 0, (0, 30))
    assert retention_time(course, day(as_of)) == expected


def test_treatment_known_after_as_of_is_not_read() -> None:
    # blocked through day 60, but read on day 20: in treatment, followed up to day 20
    course = treated_course("p", 0, (0, 60))
    assert retention_time(course, day(20)) == (20, False)
    # a second run starting after as_of does not bridge the gap
    course = treated_course("p", 0, (0, 10), (19, 40))
    assert retention_time(course, day(17)) == (10, False)


def test_a_closed_episode_discontinues_unless_its_reason_censors() -> None:
    left = treated_course("p", 0, (0, 60), discharged_on=day(45), discharge_reason="lost-to-follow-up")
    moved = treated_course("q", 0, (0, 60), discharged_on=day(45), discharge_reason="transferred")
    assert retention_time(left, AS_OF) == (45, True)
    assert retention_time(moved, AS_OF) == (45, False)
    assert first_run(moved, AS_OF).state == "censored-discharge"  # type: ignore[union-attr]


def test_a_gap_before_a_censoring_discharge_is_still_a_discontinuation() -> None:
    course = treated_course("p", 0, (0, 30), (60, 90), discharged_on=day(100), discharge_reason="transferred")
    assert retention_time(course, AS_OF) == (30, True)


def test_a_discharge_after_as_of_is_not_known_yet() -> None:
    course = treated_course("p", 0, (0, 100), discharged_on=day(80), discharge_reason="completed")
    assert retention_time(course, day(70)) == (70, False)


def test_no_first_dose_by_as_of_has_no_retention_time() -> None:
    assert retention_time(treated_course("p", 50, (50, 80)), day(49)) is None
    assert retention_time(treated_course("p", 0), AS_OF) == (0, True)  # a dose without treated days


def test_cohort_is_the_quarter_of_the_first_dose() -> None:
    assert [cohort_label(day(n)) for n in (0, 89, 90, 364)] == ["2026 Q1", "2026 Q1", "2026 Q2", "2026 Q4"]


#: (patient, first dose, treated spans, form, discharge reason) built so that the times are known by hand.
PROGRAM = [
    ("a", 0, [(0, 20)], "xr-ntx", None),                 # 20, ended
    ("b", 0, [(0, 20)], "xr-ntx", None),                 # 20, ended (tie)
    ("c", 0, [(0, 30), (36, 120)], "xr-ntx", None),      # 120, ended (bridged 5-day gap)
    ("d", 10, [(10, 200)], "oral", None),                # 190, ended
    ("e", 100, [(100, 398)], "oral", None),              # 298, censored (in treatment)
    ("f", 100, [(100, 130)], "oral", "transferred"),     # 30, censored (transferred)
    ("g", 200, [(200, 230)], "implant", None),           # 30, ended (tie with a censored 30)
    ("h", 380, [(380, 420)], "xr-ntx", None),            # 20, censored (blockade beyond as_of)
]
EXPECTED_TIMES = {"a": (20, True), "b": (20, True), "c": (120, True), "d": (190, True), "e": (298, False),
                  "f": (30, False), "g": (30, True), "h": (20, False)}


def _program() -> list:
    return [treated_course(pid, first, *spans, form=form, discharged_on=day(first + 30) if reason else None,
                           discharge_reason=reason) for pid, first, spans, form, reason in PROGRAM]


def test_hand_built_program_times() -> None:
    assert {c.patient_id: retention_time(c, AS_OF) for c in _program()} == EXPECTED_TIMES


@pytest.mark.parametrize("horizon", [30, 90, 180])
def test_program_retention_equals_lifelines_at_30_90_180(horizon: int) -> None:
    retention = measure_retention(_program(), AS_OF)
    km = KaplanMeierFitter().fit([t for t, _ in EXPECTED_TIMES.values()], [e for _, e in EXPECTED_TIMES.values()])
    estimate = retention.overall.at(horizon)
    assert estimate is not None
    ci = km.confidence_interval_[km.confidence_interval_.index <= horizon].iloc[-1]
    assert estimate.value == pytest.approx(float(km.predict(horizon)), abs=1e-9)
    assert estimate.low == pytest.approx(float(ci.iloc[0]), abs=1e-9)
    assert estimate.high == pytest.approx(float(ci.iloc[1]), abs=1e-9)


def test_program_retention_by_hand_and_by_form_and_cohort() -> None:
    retention = measure_retention(_program(), AS_OF)
    # day 20: 8 at risk, 2 events -> 6/8; day 30: 5 at risk (h left at 20), 1 event -> 0.6;
    # day 120: 3 at risk, 1 event -> 0.4
    assert retention.overall.at(30).value == pytest.approx(0.6)  # type: ignore[union-attr]
    assert retention.overall.at(180).value == pytest.approx(0.4)  # type: ignore[union-attr]
    assert [(c.label, c.n, c.events) for c in retention.by_form] == [
        ("oral", 3, 1), ("xr-ntx", 4, 3), ("implant", 1, 1)]
    assert [(c.label, c.n) for c in retention.by_cohort] == [("2026 Q1", 4), ("2026 Q2", 2), ("2026 Q3", 1),
                                                             ("2027 Q1", 1)]
    assert (retention.overall.n, retention.overall.events) == (8, 5)


_SPANS = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 60)), max_size=6)


@settings(max_examples=200, deadline=None)
@given(_SPANS, st.integers(0, 20), st.integers(0, 400))
def test_a_longer_allowed_gap_never_shortens_the_run(spans: list[tuple[int, int]], gap: int, as_of: int) -> None:
    course = treated_course("p", 0, *((a, a + n) for a, n in spans))
    strict = retention_time(course, day(as_of), replace(DEFAULT_DEFINITIONS, retention_allowed_gap_days=gap))
    lenient = retention_time(course, day(as_of), replace(DEFAULT_DEFINITIONS, retention_allowed_gap_days=gap + 1))
    assert strict is not None and lenient is not None
    assert 0 <= strict[0] <= lenient[0] <= as_of
