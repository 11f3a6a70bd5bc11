"""Population engine: streamed statistics against exact ones, scenarios, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from naltrack.pk.bands import BandThresholds
from naltrack.pk.kernels import N_BINS, bin_lower_edges, series_on_grid
from naltrack.pk.models import DoseEvent, build_components
from naltrack.pk.params import InvalidPkInput
from naltrack.pk.population import (
    Scenario,
    dosing_times,
    histogram_percentile,
    parse_regimen,
    sample_subjects,
    simulate_population,
)


def _exact_xr(n: int, days: int, seed: int) -> np.ndarray:
    """The same subjects as the engine's first chunk, evaluated exactly per subject."""
    rng = np.random.default_rng(seed)
    subjects = sample_subjects(n, rng)
    spec = parse_regimen("xr-ntx-380-q4w")
    times = dosing_times(spec, Scenario(), n, days, rng)[0]
    doses = [DoseEvent("xr-ntx", float(t), 380.0) for t in times if np.isfinite(t)]
    rates, comp_times, amps = build_components(doses, subjects)
    return series_on_grid(rates, comp_times, amps, 0.0, 1.0, 24 * days + 1)


def test_streamed_percentiles_match_exact_percentiles() -> None:
    result = simulate_population("xr-ntx-380-q4w", 2000, 60, seed=5)
    exact = _exact_xr(2000, 60, seed=5)
    for q in (5, 50, 95):
        hours = slice(6, None)  # skip the first hours, where levels are near zero
        np.testing.assert_allclose(result.percentiles_ng_ml[q][hours], np.percentile(exact, q, axis=0)[hours],
                                   rtol=0.04)


def test_probability_protected_matches_exact_daily_means() -> None:
    result = simulate_population("xr-ntx-380-q4w", 2000, 60, seed=5)
    daily = _exact_xr(2000, 60, seed=5)[:, :-1].reshape(2000, 60, 24).mean(axis=2)
    np.testing.assert_allclose(result.probability_protected_by_day, (daily >= 2.0).mean(axis=0), atol=0.002)


def test_same_seed_same_result_and_chunking_does_not_matter() -> None:
    a = simulate_population("oral-50-daily", 300, 10, seed=3, chunk_size=300)
    b = simulate_population("oral-50-daily", 300, 10, seed=3, chunk_size=300)
    np.testing.assert_array_equal(a.percentiles_ng_ml[50], b.percentiles_ng_ml[50])
    c = simulate_population("implant-1700", 300, 10, seed=3, chunk_size=64)
    assert c.subjects == 300 and c.hours.shape == (241,)


def test_lapse_counts_add_up_to_the_population() -> None:
    r = simulate_population("xr-ntx-380-q4w", 500, 40, seed=2, scenario=Scenario(missed_injection=2))
    assert r.lapse_day_counts.sum() + r.never_lapsed + r.never_protected == 500
    # Without the second injection almost everyone has lapsed by day 40.
    assert r.never_lapsed < 0.05 * 500
    assert 18 <= r.time_to_lapse_quantiles()[0.5] <= 30  # type: ignore[operator]


def test_late_injections_lower_protection_before_the_late_dose() -> None:
    on_time = simulate_population("xr-ntx-380-q4w", 2000, 60, seed=4)
    late = simulate_population("xr-ntx-380-q4w", 2000, 60, seed=4, scenario=Scenario(late_days=7))
    assert late.probability_protected_by_day[30] < on_time.probability_protected_by_day[30]
    np.testing.assert_allclose(late.probability_protected_by_day[:28], on_time.probability_protected_by_day[:28],
                               atol=0.03)


def test_oral_adherence_and_dropout_lower_protection() -> None:
    full = simulate_population("oral-50-daily", 2000, 30, seed=1)
    half = simulate_population("oral-50-daily", 2000, 30, seed=1, scenario=Scenario(oral_adherence=0.5))
    drop = simulate_population("oral-50-daily", 2000, 30, seed=1, scenario=Scenario(dropout_per_day=0.1))
    assert half.probability_protected_by_day.mean() < 0.7 * full.probability_protected_by_day.mean()
    assert drop.probability_protected_by_day[-1] < 0.2 < full.probability_protected_by_day[-1]


def test_thresholds_are_configurable() -> None:
    strict = simulate_population("xr-ntx-380-q4w", 500, 30, seed=1, thresholds=BandThresholds(4.0, 2.0, 1.0))
    usual = simulate_population("xr-ntx-380-q4w", 500, 30, seed=1)
    assert strict.probability_protected_by_day.sum() < usual.probability_protected_by_day.sum()


def test_histogram_percentile_interpolates_within_a_bin() -> None:
    edges = bin_lower_edges()
    hist = np.zeros((1, N_BINS), dtype=np.int64)
    hist[0, 100] = 10
    assert histogram_percentile(hist, 0.0)[0] == pytest.approx(edges[100])
    assert edges[100] < histogram_percentile(hist, 0.5)[0] < edges[101]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("oral-75-daily", 10, 10), {}, "regimen: 'oral-75-daily' must be oral-50-daily"),
        (("implant-9000", 10, 10), {}, "regimen: 'implant-9000'"),
        (("xr-ntx-380-q4w", 0, 10), {}, "subjects: 0 must be a whole number from 1"),
        (("xr-ntx-380-q4w", 10, -3), {}, "days: -3 must be a whole number from 1 to 730"),
        (("oral-50-daily", 10, 10), {"scenario": Scenario(late_days=3)}, "late_days: 3 applies to xr-ntx"),
        (("xr-ntx-380-q4w", 10, 10), {"scenario": Scenario(missed_injection=1)}, "missed_injection: 1 must be 2"),
        (("oral-50-daily", 10, 10), {"scenario": Scenario(oral_adherence=0.0)}, "oral_adherence: 0.0 must be"),
        (("oral-50-daily", 10, 10), {"scenario": Scenario(dropout_per_day=1.0)}, "dropout_per_day: 1.0 must be"),
    ],
)
def test_rejects_bad_population_input(args: tuple[str, int, int], kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidPkInput, match=match):
        simulate_population(*args, **kwargs)  # type: ignore[arg-type]
