"""Kaplan–Meier curves against lifelines' KaplanMeierFitter, and the curve's safety invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from naltrack.analytics.survival import Estimate, SurvivalCurve, kaplan_meier
from naltrack.domain.errors import InvalidInput

#: Hand-built cohorts (durations, observed) whose curves are known by hand below.
COHORTS = {
    "ties": ([10, 10, 10, 20, 20, 40, 60, 60], [True, True, False, True, True, False, True, False]),
    "censored with events": ([30, 30, 30, 90, 90, 180, 200], [True, False, False, True, False, True, False]),
    "all censored": ([5, 40, 100, 200], [False, False, False, False]),
    "single patient": ([45], [True]),
    "event at day 0": ([0, 0, 35, 95, 181, 181], [True, False, True, True, False, True]),
}


def _lifelines(durations: list[int], observed: list[bool], alpha: float = 0.05) -> KaplanMeierFitter:
    return KaplanMeierFitter(alpha=alpha).fit(durations, observed)


@pytest.mark.parametrize("name", list(COHORTS))
def test_curve_equals_lifelines_at_every_time(name: str) -> None:
    durations, observed = COHORTS[name]
    curve = kaplan_meier(durations, observed, label=name)
    km = _lifelines(durations, observed)
    np.testing.assert_allclose(curve.times, km.survival_function_.index.to_numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(curve.survival, km.survival_function_.iloc[:, 0].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(curve.low, km.confidence_interval_.iloc[:, 0].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(curve.high, km.confidence_interval_.iloc[:, 1].to_numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", list(COHORTS))
@pytest.mark.parametrize("horizon", [30, 90, 180])
def test_estimate_at_the_horizons_equals_lifelines(name: str, horizon: int) -> None:
    durations, observed = COHORTS[name]
    curve = kaplan_meier(durations, observed, label=name)
    estimate = curve.at(horizon)
    km = _lifelines(durations, observed)
    if horizon > max(durations) and curve.survival[-1] > 0:
        assert estimate is None  # beyond the longest follow-up
        return
    assert estimate is not None
    assert estimate.value == pytest.approx(float(km.predict(horizon)), abs=1e-9)
    ci = km.confidence_interval_
    row = ci[ci.index <= horizon].iloc[-1]
    assert (estimate.low, estimate.high) == (pytest.approx(row.iloc[0], abs=1e-9), pytest.approx(row.iloc[1], abs=1e-9))


def test_known_curve_with_ties_and_censoring_at_an_event_time() -> None:
    # day 10: 8 at risk, 2 events (the censored one at day 10 is still at risk): 6/8
    # day 20: 5 at risk, 2 events: 6/8 * 3/5 = 0.45; day 60: 2 at risk, 1 event: 0.225
    curve = kaplan_meier(*COHORTS["ties"], label="ties")
    assert curve.times == (0.0, 10.0, 20.0, 40.0, 60.0)
    assert curve.survival == pytest.approx((1.0, 0.75, 0.45, 0.45, 0.225), abs=1e-12)
    assert (curve.n, curve.events, curve.label) == (8, 5, "ties")


def test_all_censored_stays_at_one_with_a_degenerate_interval() -> None:
    curve = kaplan_meier(*COHORTS["all censored"], label="none left")
    assert curve.survival == (1.0,) * 5
    assert curve.at(150) == Estimate(1.0, 1.0, 1.0)
    assert curve.events == 0


def test_a_single_patient_drops_to_zero_at_the_event() -> None:
    curve = kaplan_meier([45], [True], label="one")
    assert curve.at(44) == Estimate(1.0, 1.0, 1.0)
    assert curve.at(45) == Estimate(0.0, 0.0, 0.0)
    assert curve.at(46) == Estimate(0.0, 0.0, 0.0)  # nobody left: 0 from then on


def test_the_estimate_is_a_step_held_until_the_next_time() -> None:
    curve = kaplan_meier([1, 2, 2, 3], [True, True, False, True], label="steps")
    assert [curve.at(t).value for t in (0, 0.99, 1, 1.5, 2, 2.99)] == [1.0, 1.0, 0.75, 0.75, 0.5, 0.5]  # type: ignore[union-attr]
    assert curve.at(-1) is None and curve.at(3.01) == curve.at(3)


def test_beyond_the_longest_follow_up_of_a_censored_subject_there_is_no_estimate() -> None:
    curve = kaplan_meier([10, 20], [True, False], label="censored last")
    assert curve.at(20) == curve.at(19) and curve.at(20.5) is None


def test_an_empty_cohort_has_no_curve() -> None:
    curve = kaplan_meier([], [], label="empty")
    assert curve == SurvivalCurve("empty", 0, 0, (), (), (), ())
    assert curve.at(0) is None


def test_a_wider_confidence_level_widens_the_interval() -> None:
    durations, observed = COHORTS["censored with events"]
    narrow = kaplan_meier(durations, observed, label="90%", alpha=0.10).at(90)
    wide = kaplan_meier(durations, observed, label="99%", alpha=0.01).at(90)
    assert narrow is not None and wide is not None
    assert wide.low < narrow.low <= narrow.value <= narrow.high < wide.high
    km = _lifelines(durations, observed, alpha=0.01)
    assert wide.low == pytest.approx(km.confidence_interval_.loc[90.0].iloc[0], abs=1e-9)


@pytest.mark.parametrize(("durations", "observed", "alpha", "match"), [
    ([1, 2], [True], 0.05, "observed"),
    ([-1, 2], [True, False], 0.05, "durations"),
    ([float("nan")], [True], 0.05, "durations"),
    ([1], [True], 1.0, "alpha"),
])
def test_rejects_bad_input_naming_the_field(durations: list[float], observed: list[bool], alpha: float,
                                            match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        kaplan_meier(durations, observed, label="bad", alpha=alpha)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.booleans()), min_size=1, max_size=60))
def test_survival_is_non_increasing_within_bounds_and_inside_its_interval(subjects: list[tuple[int, bool]]) -> None:
    curve = kaplan_meier([t for t, _ in subjects], [e for _, e in subjects], label="any")
    s, low, high = (np.asarray(x) for x in (curve.survival, curve.low, curve.high))
    assert np.all(np.diff(s) <= 1e-15)
    assert np.all((s >= 0) & (s <= 1)) and np.all((low >= 0) & (high <= 1))
    assert np.all(low <= s + 1e-12) and np.all(s <= high + 1e-12)
    assert curve.n == len(subjects) and curve.events == sum(e for _, e in subjects)
