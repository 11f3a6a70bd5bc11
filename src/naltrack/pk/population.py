"""Virtual populations: variability, adherence scenarios, and streamed statistics.

``simulate_population`` draws N virtual subjects (log-normal random effects and body
weight, pk.md §7), gives each a dosing history under a :class:`Scenario` (on time, k days
late, a missed injection, oral adherence p, dropout), and runs them in chunks through the
compiled kernel. Memory is bounded by the chunk size, not by N: the kernel only adds to a
per-hour histogram of log-binned concentrations (percentiles), a per-day count of
protected subjects and a histogram of the day protection first lapsed.

A day counts as protected when its mean concentration is at or above the protected
threshold (see ``docs/pk.md``: a once-daily tablet swings through every band within a day).
With ``blockade=True`` each subject's effect-site level (:mod:`naltrack.pk.blockade`) is
stepped too and the subjects *blocked* on each day are counted (6β-naltrexol exposure then
varies between subjects by ``omega_metabolite``, drawn from a stream of its own so the
other draws stay those of the same seed without blockade).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from naltrack.pk.bands import DEFAULT_THRESHOLDS, BandThresholds
from naltrack.pk.blockade import effect_modes
from naltrack.pk.blockade_kernels import population_blocked_chunk
from naltrack.pk.effect import blocked_level_ng_ml
from naltrack.pk.kernels import BINS_PER_OCTAVE, N_BINS, bin_lower_edges, population_chunk
from naltrack.pk.models import DoseEvent, Form, Subjects, build_modes
from naltrack.pk.params import InvalidPkInput, PkParameters

FloatArray = npt.NDArray[np.float64]
ProgressCallback = Callable[[int, int], None]
#: Largest problem accepted at once (CLI and API guard against runaway requests).
MAX_SUBJECTS = 10_000_000
MAX_DAYS = 730
IMPLANT_DOSE_RANGE_MG = (100, 3400)


@dataclass(frozen=True)
class RegimenSpec:
    """A standard regimen by name: ``oral-50-daily``, ``xr-ntx-380-q4w`` or ``implant-MG``."""

    name: str
    form: Form
    dose_mg: float
    interval_days: int | None


def parse_regimen(name: str) -> RegimenSpec:
    """The regimen a name stands for.

    Examples
    --------
    >>> parse_regimen("implant-1700")
    RegimenSpec(name='implant-1700', form='implant', dose_mg=1700.0, interval_days=None)
    >>> parse_regimen("oral-75-daily")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    naltrack.pk.params.InvalidPkInput: regimen: 'oral-75-daily' must be oral-50-daily, xr-ntx-380-q4w or ...
    """
    if name == "oral-50-daily":
        return RegimenSpec(name, "oral", 50.0, 1)
    if name == "xr-ntx-380-q4w":
        return RegimenSpec(name, "xr-ntx", 380.0, 28)
    match = re.fullmatch(r"implant-(\d{1,5})", name or "")
    if match and IMPLANT_DOSE_RANGE_MG[0] <= int(match.group(1)) <= IMPLANT_DOSE_RANGE_MG[1]:
        return RegimenSpec(name, "implant", float(match.group(1)), None)
    raise InvalidPkInput("regimen", name, "must be oral-50-daily, xr-ntx-380-q4w or implant-MG (MG 100 to 3400)")


@dataclass(frozen=True)
class Scenario:
    """How virtual subjects take the regimen.

    ``late_days``: every injection after the first comes that many days after it was due.
    ``missed_injection``: the n-th injection (1-based, not the first) is skipped.
    ``oral_adherence``: probability each tablet is taken. ``dropout_per_day``: daily hazard
    of stopping treatment for good (no dose after the dropout day).
    """

    late_days: int = 0
    missed_injection: int | None = None
    oral_adherence: float = 1.0
    dropout_per_day: float = 0.0

    def check(self, spec: RegimenSpec) -> None:
        """Reject a scenario that does not apply to the regimen."""
        if not 0 <= self.late_days <= 60:
            raise InvalidPkInput("late_days", self.late_days, "must be between 0 and 60 days")
        if self.late_days and spec.form != "xr-ntx":
            raise InvalidPkInput("late_days", self.late_days, f"applies to xr-ntx-380-q4w only, not {spec.name}")
        if self.missed_injection is not None and (spec.form != "xr-ntx" or self.missed_injection < 2):
            raise InvalidPkInput("missed_injection", self.missed_injection,
                                 "must be 2 or more, for xr-ntx-380-q4w only")
        if not 0.0 < self.oral_adherence <= 1.0:
            raise InvalidPkInput("oral_adherence", self.oral_adherence, "must be above 0 and at most 1")
        if self.oral_adherence < 1.0 and spec.form != "oral":
            raise InvalidPkInput("oral_adherence", self.oral_adherence, f"applies to oral regimens, not {spec.name}")
        if not 0.0 <= self.dropout_per_day < 1.0:
            raise InvalidPkInput("dropout_per_day", self.dropout_per_day, "must be at least 0 and below 1")


def sample_subjects(n: int, rng: np.random.Generator, params: PkParameters | None = None,
                    weights_kg: FloatArray | None = None) -> Subjects:
    """Draw ``n`` subjects: log-normal random effects and weight on CL (pk.md §7.2).

    Rates are kept apart from the elimination rate (within 5%) so the Bateman sums stay
    well conditioned; this touches draws beyond about 4 SD only.
    """
    params = params or PkParameters()
    d, v = params.disposition, params.variability
    if weights_kg is None:
        weights_kg = v.weight_median_kg * np.exp(v.omega_weight * rng.standard_normal(n))
    weights_kg = np.clip(weights_kg, 30.0, 250.0)
    cl_typical = d.cl_l_per_h + d.cl_per_kg_l_per_h * (weights_kg - d.reference_weight_kg)
    cl = cl_typical * np.exp(v.omega_cl * rng.standard_normal(n))
    ke = cl / d.v_l
    ka = np.maximum(params.oral.ka_per_h * np.exp(v.omega_ka_oral * rng.standard_normal(n)), 1.05 * ke)
    f_oral = np.minimum(params.oral.bioavailability * np.exp(v.omega_f_oral * rng.standard_normal(n)), 1.0)
    xr_mult = np.minimum(np.exp(v.omega_release_xr * rng.standard_normal(n)),
                         0.95 * ke / params.xr_ntx.second_rate_per_h)
    implant_mult = np.exp(v.omega_release_implant * rng.standard_normal(n))
    return Subjects(cl, ke, ka, f_oral, xr_mult, implant_mult)


def dosing_times(spec: RegimenSpec, scenario: Scenario, n: int, days: int,
                 rng: np.random.Generator) -> FloatArray:
    """Hours of each subject's doses, shape ``(n, k)``; ``inf`` where a dose is not taken."""
    if spec.form == "implant":
        return np.zeros((n, 1))
    if spec.form == "oral":
        times = np.arange(days, dtype=np.float64) * 24.0
    else:
        # Late days widen every interval after the first injection.
        times = np.arange(0, days, 28 + scenario.late_days, dtype=np.float64) * 24.0
    out = np.broadcast_to(times, (n, times.shape[0])).copy()
    if scenario.missed_injection is not None and scenario.missed_injection <= out.shape[1]:
        out[:, scenario.missed_injection - 1] = np.inf
    if scenario.oral_adherence < 1.0:
        out[rng.random(out.shape) >= scenario.oral_adherence] = np.inf
    if scenario.dropout_per_day > 0.0:
        dropout_h = rng.geometric(scenario.dropout_per_day, size=n) * 24.0
        out[out >= dropout_h[:, None]] = np.inf
    out.sort(axis=1)
    return out


@dataclass(frozen=True)
class PopulationResult:
    """Streamed statistics of a virtual population."""

    regimen: str
    subjects: int
    days: int
    hours: npt.NDArray[np.int64]
    percentiles_ng_ml: dict[int, FloatArray]
    probability_protected_by_day: FloatArray
    lapse_day_counts: npt.NDArray[np.int64]
    never_lapsed: int
    never_protected: int
    thresholds: BandThresholds = field(default=DEFAULT_THRESHOLDS)
    #: Fraction of subjects blocked on each day (empty unless run with ``blockade=True``).
    probability_blocked_by_day: FloatArray = field(default_factory=lambda: np.zeros(0))

    def time_to_lapse_quantiles(self, qs: tuple[float, ...] = (0.05, 0.5, 0.95)) -> dict[float, int | None]:
        """Day by which a fraction q of subjects had lapsed (``None``: fewer ever did)."""
        cumulative = np.cumsum(self.lapse_day_counts)
        out: dict[float, int | None] = {}
        for q in qs:
            reached = np.nonzero(cumulative >= q * self.subjects)[0]
            out[q] = int(reached[0]) if reached.size else None
        return out


def simulate_population(regimen: str | RegimenSpec, subjects: int, days: int, *, seed: int = 0,
                        scenario: Scenario | None = None, params: PkParameters | None = None,
                        thresholds: BandThresholds = DEFAULT_THRESHOLDS, percentiles: tuple[int, ...] = (5, 50, 95),
                        chunk_size: int = 20_000, progress: ProgressCallback | None = None,
                        blockade: bool = False) -> PopulationResult:
    """Simulate ``subjects`` virtual patients for ``days`` days on a regimen.

    Parameters
    ----------
    regimen : str or RegimenSpec
        ``oral-50-daily``, ``xr-ntx-380-q4w`` or ``implant-MG``.
    subjects : int
        Number of virtual subjects, 1 to 10,000,000.
    days : int
        Length of the simulation in days (1 to 730); output is hourly, ``24·days + 1`` points.
    seed : int
        Seed of ``np.random.default_rng``; the same seed gives the same result.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk.
    blockade : bool
        Also count the subjects blocked on each day (``probability_blocked_by_day``).

    Raises
    ------
    InvalidPkInput
        Unknown regimen, subjects or days out of range, a scenario that does not apply.

    Examples
    --------
    >>> r = simulate_population("xr-ntx-380-q4w", 200, 28, seed=1)
    >>> bool(r.probability_protected_by_day[7] > 0.9)
    True
    """
    spec = regimen if isinstance(regimen, RegimenSpec) else parse_regimen(regimen)
    scenario = scenario or Scenario()
    _check_size(subjects, days, chunk_size)
    scenario.check(spec)
    params = params or PkParameters()
    rng = np.random.default_rng(seed)
    n_hours = 24 * days + 1
    hist = np.zeros((n_hours, N_BINS), dtype=np.int64)
    day_protected = np.zeros(days, dtype=np.int64)
    lapse = np.zeros(days + 2, dtype=np.int64)
    day_blocked = np.zeros(days if blockade else 0, dtype=np.int64)
    metabolite_rng = np.random.default_rng([seed, 1])
    for start in range(0, subjects, chunk_size):
        n = min(chunk_size, subjects - start)
        subj = sample_subjects(n, rng, params)
        times = dosing_times(spec, scenario, n, days, rng)
        rates, comp_times, amps = _kernel_inputs(spec, subj, times, params)
        population_chunk(rates, comp_times, amps, n_hours, thresholds.protected_ng_ml, hist, day_protected, lapse)
        if blockade:
            mult = np.exp(params.blockade.omega_metabolite * metabolite_rng.standard_normal(n))
            e_rates, e_times, e_amps = _kernel_inputs(spec, subj, times, params, mult)
            population_blocked_chunk(e_rates, e_times, e_amps, days, blocked_level_ng_ml(params), day_blocked)
        if progress is not None:
            progress(start + n, subjects)
    return PopulationResult(
        spec.name, subjects, days, np.arange(n_hours), {q: histogram_percentile(hist, q / 100.0) for q in percentiles},
        day_protected / subjects, lapse[:days], int(lapse[days]), int(lapse[days + 1]), thresholds,
        day_blocked / subjects,
    )


def _check_size(subjects: int, days: int, chunk_size: int) -> None:
    if isinstance(subjects, bool) or not isinstance(subjects, int) or not 1 <= subjects <= MAX_SUBJECTS:
        raise InvalidPkInput("subjects", subjects, f"must be a whole number from 1 to {MAX_SUBJECTS:,}")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidPkInput("days", days, f"must be a whole number from 1 to {MAX_DAYS}")
    if chunk_size < 1:
        raise InvalidPkInput("chunk_size", chunk_size, "must be at least 1")


def _kernel_inputs(spec: RegimenSpec, subj: Subjects, times: FloatArray, params: PkParameters,
                   metabolite_multiplier: FloatArray | None = None) -> tuple[npt.NDArray[Any], FloatArray,
                                                                             npt.NDArray[Any]]:
    """Modes and components of one chunk as the kernels take them: plasma (float32), or the
    effect site (float64) when ``metabolite_multiplier`` is given."""
    n = subj.n
    dose = DoseEvent(spec.form, 0.0, spec.dose_mg)
    rates: npt.NDArray[Any]
    unit_amps: npt.NDArray[Any]
    if metabolite_multiplier is None:
        unit = build_modes([dose], subj, params)
        rates, unit_times, unit_amps = unit.rates.astype(np.float32), unit.times_h, unit.amplitudes.astype(np.float32)
    else:
        rates, unit_times, unit_amps = effect_modes([dose], subj, params, metabolite_multiplier=metabolite_multiplier)
    if spec.form == "implant":
        return rates, np.broadcast_to(unit_times, (n, unit_times.shape[0])).copy(), unit_amps
    # Oral and XR doses are the same unit response, shifted: amplitude is per dose.
    taken = np.isfinite(times)
    amps = unit_amps.sum(axis=1, keepdims=True) * taken[:, :, None]
    return rates, times, amps.astype(unit_amps.dtype)


def histogram_percentile(hist: npt.NDArray[np.int64], q: float) -> FloatArray:
    """The q-quantile of each row of a log-binned histogram, interpolated within its bin."""
    edges = bin_lower_edges()
    total = hist.sum(axis=1)
    cumulative = np.cumsum(hist, axis=1)
    target = np.maximum(q * total, 1e-9)  # q = 0 means the first non-empty bin
    index = np.argmax(cumulative >= target[:, None], axis=1)
    below = np.where(index > 0, cumulative[np.arange(hist.shape[0]), index - 1], 0)
    in_bin = hist[np.arange(hist.shape[0]), index]
    fraction = np.clip((target - below) / np.maximum(in_bin, 1), 0.0, 1.0)
    values = edges[index] * np.exp2(fraction / BINS_PER_OCTAVE)
    return np.where(index == 0, 0.0, values)

