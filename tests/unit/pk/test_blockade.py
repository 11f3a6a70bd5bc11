"""Opioid blockade: the label and challenge-study targets (docs/pk.md "Blockade"), one test each, and invariants."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.pk.blockade import (
    blockade_calendar,
    blocked_days,
    blocked_through,
    effect_modes,
    last_blocked_days,
    runs_through,
    simulate_blockade,
)
from naltrack.pk.blockade_kernels import population_blocked_chunk
from naltrack.pk.effect import blocked_level_ng_ml, ec50_ng_ml, occupancy
from naltrack.pk.models import DoseEvent, InvalidDosing, typical_subject
from naltrack.pk.params import IMPLANT_PRODUCTS, BlockadeParams, InvalidPkInput, PkParameters
from naltrack.pk.population import sample_subjects, simulate_population
from naltrack.pk.protection import Dosing

PARAMS = PkParameters()
DAYS = np.arange(0, 24 * 401, 24, dtype=np.int64)
#: Doses at 09:00, injections and implants at 10:00 of day 0 (day edges at midnight).
DAILY_50 = [DoseEvent("oral", 24.0 * d + 9, 50.0) for d in range(56)]
MON_WED_FRI = [DoseEvent("oral", 24.0 * (7 * w + day) + 9, mg)
               for w in range(8) for day, mg in ((0, 100.0), (2, 100.0), (4, 150.0))]


def _blocked_hours(doses: list[DoseEvent], hours: float) -> float:
    """Hours from the dose the typical subject stays blocked without a break (0.05 h grid)."""
    t = np.arange(0.0, hours, 0.05)
    blocked = simulate_blockade(doses, None, t).blocked[0]
    first = int(np.argmax(blocked))
    gaps = np.nonzero(~blocked[first:])[0]
    return float(t[first + gaps[0]]) if gaps.size else math.inf


def _last_blocked(doses: list[DoseEvent]) -> int:
    return int(last_blocked_days(Dosing.of([(doses, None)]), DAYS)[0])


@pytest.mark.parametrize(("dose_mg", "hours"), [(50.0, 24.0), (100.0, 48.0), (150.0, 72.0)])
def test_oral_single_doses_block_for_the_labelled_hours(dose_mg: float, hours: float) -> None:
    """50 mg blocks 25 mg IV heroin 24 h, 100 mg 48 h, 150 mg 72 h (label, pk.md §1.2, clinical.md §1.1)."""
    lasts = _blocked_hours([DoseEvent("oral", 0.0, dose_mg)], 200.0)
    assert lasts >= hours
    assert lasts <= hours + 36.0  # 52, 72 and 84 h: blockade ends within days, as the label describes


def test_oral_50_mg_occupancy_follows_the_pet_studies() -> None:
    """Trøstheim 2022: 90% within 8 h of 50 mg; Lee 1988: occupancy half-time 72–108 h (pk.md §4.3)."""
    t = np.arange(0.0, 240.0, 1.0)
    occ = simulate_blockade([DoseEvent("oral", 0.0, 50.0)], None, t).occupancy[0]
    assert occ[8] == pytest.approx(50.0 / (50.0 + 5.592841), abs=1e-3)
    peak = int(np.argmax(occ))
    half_time = int(np.argmax(occ[peak:] < occ[peak] / 2.0))
    assert 72 <= peak + half_time <= 108  # 98 h from the dose


def test_oral_50_mg_daily_occupancy_matches_weerts() -> None:
    """Weerts 2008: mu inhibition 94.9 ± 4.9% on 50 mg/day (pk.md §4.3); lowest hour of a steady-state week."""
    occ = simulate_blockade(DAILY_50, None, np.arange(24.0 * 21, 24.0 * 28)).occupancy[0]
    assert 0.90 <= occ.min() <= 0.999


@pytest.mark.parametrize("schedule", [DAILY_50, MON_WED_FRI], ids=["50 mg daily", "100/100/150 Mon/Wed/Fri"])
def test_adherent_typical_patient_is_blocked_every_day(schedule: list[DoseEvent]) -> None:
    """Label schedules (clinical.md §1.1): blocked every day from the day after the first dose to the last dose."""
    blocked = blockade_calendar(schedule, DAYS).blocked
    last_dose_day = int(schedule[-1].time_h // 24)
    assert not blocked[0]  # the first dose day is blocked only from the dose on
    assert blocked[1:last_dose_day + 1].all()


@pytest.mark.parametrize(("schedule", "lowest"), [(DAILY_50, 1.0), (MON_WED_FRI, 0.98)],
                         ids=["50 mg daily", "100/100/150 Mon/Wed/Fri"])
def test_adherent_virtual_patients_are_blocked_at_steady_state(schedule: list[DoseEvent], lowest: float) -> None:
    """>= 95% of 4,000 adherent virtual subjects blocked on each day of weeks 5–8.

    Measured: 100% every day on 50 mg daily; Mon/Wed/Fri 98.7% on Mondays (72 h after 150 mg), 100% otherwise.
    """
    n = 4000
    rng = np.random.default_rng(7)
    subjects = sample_subjects(n, rng, PARAMS)
    multiplier = np.exp(PARAMS.blockade.omega_metabolite * rng.standard_normal(n))
    rates, times, amps = effect_modes(schedule, subjects, PARAMS, metabolite_multiplier=multiplier)
    counts = np.zeros(56, dtype=np.int64)
    population_blocked_chunk(rates, np.broadcast_to(times, (n, times.shape[0])).copy(), amps, 56,
                             blocked_level_ng_ml(PARAMS), counts)
    fraction = counts[28:] / n
    assert fraction.min() >= max(0.95, lowest - 0.01)


def test_a_missed_oral_week_ends_blockade_within_three_days() -> None:
    """Stopping 50 mg daily (last tablet day 27, 09:00): blockade lapses within 3 days (Lee 1988 decay, pk.md §4.3)."""
    last = _last_blocked([d for d in DAILY_50 if d.time_h < 24 * 28])
    assert 28 <= last <= 30  # blocked through day 29; day 35 (a week on) is long unblocked


def test_xr_ntx_blocks_through_day_28_and_ends_by_day_35() -> None:
    """Label: blockade about a month; Bigelow 2012: 300 mg to day 28; Comer 2002: 384 mg about 5 weeks (pk.md §4.2)."""
    blocked = blockade_calendar([DoseEvent("xr-ntx", 10.0, 380.0)], DAYS).blocked
    assert blocked[1:29].all()
    last = int(np.nonzero(blocked)[0].max())
    assert 28 <= last <= 34  # day 32


def test_on_time_injections_keep_blockade_without_a_gap() -> None:
    shots = [DoseEvent("xr-ntx", 24.0 * 28 * k + 10, 380.0) for k in range(6)]
    blocked = blockade_calendar(shots, DAYS).blocked
    assert blocked[1:28 * 5 + 29].all()


@pytest.mark.parametrize("product", IMPLANT_PRODUCTS, ids=lambda p: f"{p.dose_mg:g} mg")
def test_implant_blockade_by_dose_lies_between_the_2_and_1_ng_ml_durations(product: object) -> None:
    """No recorded duration: by dose. Castillo 2024 (>= 2 ng/mL blocks) and Comer/Kunøe (> 1 ng/mL), pk.md §3, §4.1.

    Where the >= 1 ng/mL duration is not published (1.1, 2.2, 3.3 g) the 30-day tail is assumed: at most 30 days more.
    """
    dose_mg = product.dose_mg  # type: ignore[attr-defined]
    above_2, above_1 = product.above_2_days, product.above_1_days  # type: ignore[attr-defined]
    last = _last_blocked([DoseEvent("implant", 10.0, dose_mg)])
    assert above_2 <= last <= (above_1 if above_1 is not None else above_2 + 30)


@pytest.mark.parametrize(("dose_mg", "days"), [(1000.0, 60), (1000.0, 14), (1700.0, 90), (2200.0, 120),
                                               (3400.0, 180), (3400.0, 30), (1100.0, 365)])
def test_implant_blockade_lasts_the_recorded_duration(dose_mg: float, days: int) -> None:
    """A recorded duration (e.g. Prodetoxon 1 g ~2 months, pk.md §3) is honoured: blocked to that day."""
    implant = DoseEvent("implant", 10.0, dose_mg, expected_duration_h=24.0 * days)
    blocked = blockade_calendar([implant], DAYS).blocked
    assert int(np.nonzero(blocked)[0].max()) == days - 1  # blockade lapses at 10:00 on day `days`
    assert blocked[2:days].all()


def test_an_implant_too_small_to_block_cannot_honour_its_duration() -> None:
    implant = DoseEvent("implant", 10.0, 200.0, expected_duration_h=24.0 * 60)
    assert _last_blocked([implant]) == -1


def test_a_removed_implant_ends_blockade_within_days() -> None:
    kept = DoseEvent("implant", 10.0, 1700.0, expected_duration_h=24.0 * 90)
    removed = replace(kept, end_h=24.0 * 40 + 10)
    assert _last_blocked([removed]) in (39, 40, 41)
    assert _last_blocked([kept]) == 89


doses = st.one_of(
    st.builds(lambda t, mg: DoseEvent("oral", t, mg), st.floats(0.0, 24.0 * 60), st.sampled_from([25.0, 50.0, 150.0])),
    st.builds(lambda t: DoseEvent("xr-ntx", t, 380.0), st.floats(0.0, 24.0 * 60)),
    st.builds(lambda t, mg: DoseEvent("implant", t, mg), st.floats(0.0, 24.0 * 60), st.sampled_from([1100.0, 3400.0])),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(doses, min_size=1, max_size=6), st.floats(0.0, 24.0 * 30))
def test_blockade_never_starts_before_the_first_dose(history: list[DoseEvent], shift: float) -> None:
    history = [replace(d, time_h=d.time_h + shift) for d in history]
    first = min(d.time_h for d in history)
    t = np.arange(0.0, first + 1e-9, 0.5)
    assert not simulate_blockade(history, None, t).blocked.any()
    blocked = blockade_calendar(history, DAYS).blocked
    assert not blocked[: int(first // 24) + 1].any()


@settings(max_examples=40, deadline=None)
@given(st.lists(doses, min_size=1, max_size=6), doses, st.integers(0, 5), st.floats(1.0, 4.0))
def test_more_dose_never_shortens_blockade(history: list[DoseEvent], extra: DoseEvent, which: int,
                                           factor: float) -> None:
    """Adding a dose, or raising an oral or XR-NTX dose, never unblocks a day (so never ends blockade earlier)."""
    base = blockade_calendar(history, DAYS).blocked
    i = which % len(history)
    raised = list(history)
    if raised[i].form != "implant":
        raised[i] = replace(raised[i], amount_mg=raised[i].amount_mg * factor)
    for more in (history + [extra], raised):
        blocked = blockade_calendar(more, DAYS).blocked
        assert np.all(blocked >= base)


def test_batch_equals_one_history_at_a_time() -> None:
    histories = [(DAILY_50[:10], 60.0), ([DoseEvent("xr-ntx", 10.0, 380.0)], 120.0), ([], None),
                 ([DoseEvent("implant", 5.0, 1000.0, expected_duration_h=24.0 * 60), DoseEvent("oral", 30.0, 50.0)],
                  None)]
    batch = blocked_days(Dosing.of(histories), DAYS)
    through = blocked_through(Dosing.of(histories), DAYS)
    for p, (history, weight) in enumerate(histories):
        one = blockade_calendar(history, DAYS, weight)
        np.testing.assert_array_equal(batch[p], one.blocked)
        np.testing.assert_array_equal(through[p], one.blocked_through)
    assert not batch[2].any()


@settings(max_examples=30, deadline=None)
@given(st.lists(doses, min_size=1, max_size=5), st.one_of(st.none(), st.floats(45.0, 140.0)))
def test_blocked_days_match_the_hourly_closed_form(history: list[DoseEvent], weight: float | None) -> None:
    """The day scan (closed-form bounds, early stop) equals every hour evaluated, day by day."""
    edges = np.arange(0, 24 * 201, 24, dtype=np.int64)
    found = blockade_calendar(history, edges, weight).blocked
    hours = np.arange(0.0, 24.0 * 200)
    effect = simulate_blockade(history, None, hours, subjects=typical_subject(None, weight)).effect_ng_ml[0]
    level = blocked_level_ng_ml(PARAMS)
    expected = (effect.reshape(200, 24) >= level).all(axis=1)
    near = np.abs(effect.reshape(200, 24) - level).min(axis=1) < 1e-9 * max(level, 1.0)
    assert np.all((found == expected) | near)


def test_blocked_through_is_the_end_of_each_run() -> None:
    blocked = np.array([[False, True, True, False, True, True, True], [True] * 7])
    assert runs_through(blocked).tolist() == [[-1, 2, 2, -1, 6, 6, 6], [6] * 7]
    xr = Dosing.of([([DoseEvent("xr-ntx", 10.0, 380.0)], None)])
    through = blocked_through(xr, DAYS)[0]
    assert through[1] == through[28] == int(last_blocked_days(xr, DAYS)[0]) == 32
    assert through[0] == through[33] == -1


def test_heavier_patients_are_blocked_for_less_time() -> None:
    shot = [DoseEvent("xr-ntx", 10.0, 380.0)]
    light, heavy = last_blocked_days(Dosing.of([(shot, 50.0), (shot, 140.0)]), DAYS)
    assert light > heavy


def test_blocked_level_is_configurable() -> None:
    strict = PkParameters(blockade=BlockadeParams(blocked_occupancy=0.9))
    shot = Dosing.of([([DoseEvent("xr-ntx", 10.0, 380.0)], None)])
    assert last_blocked_days(shot, DAYS, strict)[0] < last_blocked_days(shot, DAYS)[0]
    assert blocked_level_ng_ml(strict) == pytest.approx(9.0 * ec50_ng_ml(strict))
    assert occupancy([blocked_level_ng_ml(PARAMS)])[0] == pytest.approx(PARAMS.blockade.blocked_occupancy)


def test_population_counts_blocked_subjects_when_asked() -> None:
    result = simulate_population("xr-ntx-380-q4w", 2000, 40, seed=3, blockade=True)
    assert result.probability_blocked_by_day[5] >= 0.99
    assert result.probability_blocked_by_day[29] >= 0.99  # the second injection on day 28
    assert simulate_population("xr-ntx-380-q4w", 50, 5, seed=3).probability_blocked_by_day.shape == (0,)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"blocked_occupancy": 1.0}, "blocked_occupancy: 1.0 must be above 0 and below 1"),
    ({"effect_half_life_h": 0.0}, "effect_half_life_h: 0.0 must be greater than 0 h"),
])
def test_rejects_bad_blockade_parameters(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(InvalidPkInput, match=match):
        BlockadeParams(**kwargs)


def test_rejects_bad_day_edges_and_expected_durations() -> None:
    with pytest.raises(InvalidDosing, match="day_edges"):
        blocked_days(Dosing.of([([], None)]), np.array([24, 0]))
    with pytest.raises(InvalidDosing, match="applies to implants only"):
        DoseEvent("oral", 0.0, 50.0, expected_duration_h=24.0)
    with pytest.raises(InvalidDosing, match="must be greater than 0 h"):
        DoseEvent("implant", 0.0, 1000.0, expected_duration_h=-1.0)


@pytest.mark.parametrize("doses", [[DoseEvent("xr-ntx", 24.0 * 28 * k, 380.0) for k in range(3)],
                                   [DoseEvent("implant", 0.0, 1700.0)], DAILY_50[:20]],
                         ids=["xr-ntx", "implant", "oral"])
def test_population_kernel_counts_what_every_hour_shows(doses: list[DoseEvent]) -> None:
    """Dose-free weeks and days decided in closed form give the counts of every hour evaluated."""
    n, days = 300, 150
    rng = np.random.default_rng(11)
    subjects = sample_subjects(n, rng, PARAMS)
    multiplier = np.exp(PARAMS.blockade.omega_metabolite * rng.standard_normal(n))
    shifted = [replace(d, time_h=float(np.ceil(d.time_h))) for d in doses]
    rates, times, amps = effect_modes(shifted, subjects, PARAMS, metabolite_multiplier=multiplier)
    counts = np.zeros(days, dtype=np.int64)
    population_blocked_chunk(rates, np.broadcast_to(times, (n, times.shape[0])).copy(), amps, days,
                             blocked_level_ng_ml(PARAMS), counts)
    effect = simulate_blockade(shifted, None, np.arange(24.0 * days), subjects=subjects,
                               metabolite_multiplier=multiplier).effect_ng_ml
    exact = (effect.reshape(n, days, 24) >= blocked_level_ng_ml(PARAMS)).all(axis=2).sum(axis=0)
    assert np.abs(counts - exact).max() <= 1  # a subject exactly on the threshold at round-off
