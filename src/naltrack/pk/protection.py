"""The end of protection of many patients at once: the typical subject's daily means, in closed form.

The end of protection is the last clinic-local day whose mean plasma naltrexone of the
*typical subject* (all random effects zero, at the patient's body weight) is at or above
the protected threshold (docs/pk.md, "End of protection"). The typical subject is one
curve per patient, so thousands of patients cost what 99 virtual subjects of one chart
would: the dashboard asks for the whole clinic at once.

Every dose is a sum of exponential modes (:mod:`naltrack.pk.models`). Rates do not depend
on body weight (only clearance and volume do, together, pk.md §2.3), so the modes are
shared by every patient and a dose's amplitudes are its unit response scaled by the amount
and by ``CL_ref / CL(weight)``. A day's mean of the hourly values of a mode is a geometric
series, so :func:`last_protected_days` steps day by day, not hour by hour, and stops once
no later hour can reach the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numba import njit

from naltrack.pk.blockade_kernels import add_due, first_day, spent
from naltrack.pk.models import DoseEvent, Form, build_modes, typical_subject
from naltrack.pk.params import PkParameters

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Codes of the forms in :class:`Dosing` ``form``.
FORM_CODES: dict[Form, int] = {"oral": 0, "xr-ntx": 1, "implant": 2}


@dataclass(frozen=True)
class Dosing:
    """The doses of ``n_patients`` patients as columns (one row per dose, any order)."""

    patient: IntArray
    """The patient of each dose, 0 .. n_patients-1."""
    form: IntArray
    """The form of each dose, a :data:`FORM_CODES` code."""
    time_h: FloatArray
    """Hours from the shared origin to each dose."""
    amount_mg: FloatArray
    end_h: FloatArray
    """Hours from the shared origin to an implant's removal; ``inf`` while it is in place."""
    weight_kg: FloatArray
    """Body weight, one value a patient (not a dose), NaN when unknown."""
    expected_duration_h: FloatArray | None = None
    """An implant's recorded duration of action, one value a dose, NaN when unknown; ``None`` when
    every one is unknown."""

    @property
    def n_patients(self) -> int:
        return int(self.weight_kg.shape[0])

    def expected_at(self, i: int) -> float | None:
        """The recorded duration (h) of dose ``i``, ``None`` when unknown."""
        if self.expected_duration_h is None or math.isnan(self.expected_duration_h[i]):
            return None
        return float(self.expected_duration_h[i])

    @classmethod
    def of(cls, histories: list[tuple[list[DoseEvent], float | None]]) -> Dosing:
        """From ``(doses, weight_kg)`` pairs, one per patient (tests and the single chart)."""
        rows = [(p, FORM_CODES[d.form], d.time_h, d.amount_mg, d.end_h,
                 math.nan if d.expected_duration_h is None else d.expected_duration_h)
                for p, (doses, _) in enumerate(histories) for d in doses]
        cols = list(zip(*rows, strict=True)) if rows else [(), (), (), (), (), ()]
        weights = [math.nan if w is None else w for _, w in histories]
        return cls(np.asarray(cols[0], dtype=np.int64), np.asarray(cols[1], dtype=np.int64),
                   np.asarray(cols[2], dtype=np.float64), np.asarray(cols[3], dtype=np.float64),
                   np.asarray(cols[4], dtype=np.float64), np.asarray(weights, dtype=np.float64),
                   np.asarray(cols[5], dtype=np.float64))


class _Modes:
    """Mode keys and rates shared by all patients, grown as dose shapes are met."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, float], int] = {}
        self.rates: list[float] = []

    def columns(self, keys: list[tuple[str, float]], rates: list[float]) -> list[int]:
        for key, rate in zip(keys, rates, strict=True):
            if key not in self.index:
                self.index[key] = len(self.rates)
                self.rates.append(rate)
        return [self.index[k] for k in keys]


#: Mode keys, rates, component offsets (h), amplitudes ``(k, m)``, and whether it scales with CL(weight).
Response = tuple[tuple[tuple[str, float], ...], tuple[float, ...], FloatArray, FloatArray, bool]
#: ``(form, amount_mg, duration_h, expected_duration_h, params)`` -> the parts of one dose's response.
ResponseFunction = Callable[[Form, float, float, float | None, PkParameters], tuple[Response, ...]]


@lru_cache(maxsize=16384)
def _unit_response(form: Form, amount_mg: float, duration_h: float, expected_h: float | None,
                   params: PkParameters) -> tuple[Response, ...]:
    """Plasma response of one dose, typical subject at the reference weight."""
    table = build_modes([DoseEvent(form, 0.0, amount_mg, duration_h, expected_h)], typical_subject(params), params)
    rates = tuple(float(col[0]) for col in table.rate_columns)
    return ((tuple(table.keys), rates, table.times_h, table.amplitudes[0], True),)


def dose_components(dosing: Dosing, params: PkParameters, response: ResponseFunction = _unit_response
                    ) -> tuple[FloatArray, IntArray, FloatArray, FloatArray]:
    """``(rates (m,), starts (n+1,), times (k,), amplitudes (k, m))``: components sorted by patient, then time.

    ``response`` gives a dose's unit response (plasma here; the effect site for blockade).
    """
    modes = _Modes()
    d = params.disposition
    weight = np.where(np.isnan(dosing.weight_kg), d.reference_weight_kg, dosing.weight_kg)
    scale = d.cl_l_per_h / (d.cl_l_per_h + d.cl_per_kg_l_per_h * (weight - d.reference_weight_kg))
    patients: list[IntArray] = []
    times: list[FloatArray] = []
    blocks: list[tuple[FloatArray, list[int]]] = []
    linear: tuple[tuple[Form, int], ...] = (("oral", 0), ("xr-ntx", 1))
    for form, code in linear:
        chosen = dosing.form == code
        for keys, rates, _, amps, scaled in (response(form, 1.0, math.inf, None, params) if chosen.any() else ()):
            amount = dosing.amount_mg[chosen] * (scale[dosing.patient[chosen]] if scaled else 1.0)
            patients.append(dosing.patient[chosen])
            times.append(dosing.time_h[chosen])
            blocks.append((amount[:, None] * amps[0][None, :], modes.columns(list(keys), list(rates))))
    for (amount, duration, expected), rows in _implant_shapes(dosing).items():
        for keys, rates, offsets, amps, scaled in response("implant", amount, duration, expected, params):
            patients.append(np.repeat(dosing.patient[rows], offsets.shape[0]))
            times.append((dosing.time_h[rows][:, None] + offsets[None, :]).ravel())
            factor = scale[dosing.patient[rows]] if scaled else np.ones(rows.shape[0])
            blocks.append(((amps[None, :, :] * factor[:, None, None]).reshape(-1, amps.shape[1]),
                           modes.columns(list(keys), list(rates))))
    n_modes = len(modes.rates)
    if not blocks:
        return np.zeros(0), np.zeros(dosing.n_patients + 1, dtype=np.int64), np.zeros(0), np.zeros((0, 0))
    amplitudes = np.concatenate([_widen(a, cols, n_modes) for a, cols in blocks])
    patient = np.concatenate(patients)
    time_h = np.concatenate(times)
    order = np.lexsort((time_h, patient))
    starts = np.concatenate([[0], np.cumsum(np.bincount(patient, minlength=dosing.n_patients))]).astype(np.int64)
    return np.asarray(modes.rates), starts, time_h[order], amplitudes[order]


def _implant_shapes(dosing: Dosing) -> dict[tuple[float, float, float | None], IntArray]:
    """The implants by ``(amount_mg, duration_h, expected_duration_h)`` (one response each), in order of first dose.

    Implants of one shape differ only in time and patient, so their components are built at once.
    """
    shapes: dict[tuple[float, float, float | None], list[int]] = {}
    for i in np.nonzero(dosing.form == FORM_CODES["implant"])[0].tolist():
        start, end = float(dosing.time_h[i]), float(dosing.end_h[i])
        shapes.setdefault((float(dosing.amount_mg[i]), end - start, dosing.expected_at(i)), []).append(i)
    return {shape: np.array(rows, dtype=np.int64) for shape, rows in shapes.items()}


def _widen(amps: FloatArray, columns: list[int], n_modes: int) -> FloatArray:
    out = np.zeros((amps.shape[0], n_modes))
    out[:, columns] = amps
    return out


def canonical_order(dosing: Dosing) -> Dosing:
    """The same doses sorted by patient, time, form, amount and end: sums then add up in one order."""
    order = np.lexsort((dosing.end_h, dosing.amount_mg, dosing.form, dosing.time_h, dosing.patient))
    expected = None if dosing.expected_duration_h is None else dosing.expected_duration_h[order]
    return Dosing(dosing.patient[order], dosing.form[order], dosing.time_h[order], dosing.amount_mg[order],
                  dosing.end_h[order], dosing.weight_kg, expected)


def last_protected_days(dosing: Dosing, day_edges: IntArray, protected_ng_ml: float,
                        params: PkParameters | None = None) -> IntArray:
    """Index of each patient's last day whose typical-subject mean is >= ``protected_ng_ml``; -1 if none.

    ``day_edges`` (``n_days + 1``, increasing, whole hours from the origin) bound the days;
    the day's mean is that of the hourly values ``edges[i] .. edges[i+1] - 1``. A dose acts
    from the first whole hour at or after its time, as in :func:`naltrack.pk.kernels.series_on_grid`.

    Examples
    --------
    >>> one = Dosing.of([([DoseEvent("xr-ntx", 0.0, 380.0)], None), ([], None)])
    >>> [int(i) for i in last_protected_days(one, np.arange(0, 24 * 61, 24), 2.0)]
    [23, -1]
    """
    params = params or PkParameters()
    rates, starts, times, amps = dose_components(canonical_order(dosing), params)
    return _scan(rates, starts, times, amps, np.asarray(day_edges, dtype=np.int64), float(protected_ng_ml))


@njit(cache=True)
def _scan(rates: FloatArray, starts: IntArray, times: FloatArray, amps: FloatArray, edges: IntArray,
          threshold: float) -> IntArray:  # pragma: no cover - compiled
    n_days = edges.shape[0] - 1
    out = np.full(starts.shape[0] - 1, -1, dtype=np.int64)
    state = np.zeros(rates.shape[0])
    sum_day = np.empty(rates.shape[0])  # a whole 24-hour day without a dose: sum and decay of each mode
    decay_day = np.empty(rates.shape[0])
    for m in range(rates.shape[0]):
        sum_day[m] = 24.0 if rates[m] == 0.0 else math.expm1(-rates[m] * 24.0) / math.expm1(-rates[m])
        decay_day[m] = math.exp(-rates[m] * 24.0)
    for p in range(starts.shape[0] - 1):
        ptr, stop = starts[p], starts[p + 1]
        state[:] = 0.0
        day = first_day(edges, starts, times, p)
        while day < n_days:
            total = _day_sum(rates, times, amps, state, ptr, stop, edges[day], edges[day + 1], sum_day, decay_day)
            while ptr < stop and times[ptr] <= edges[day + 1] - 1:
                ptr += 1
            if total >= threshold * (edges[day + 1] - edges[day]):
                out[p] = day
            if spent(state, ptr, stop, threshold):
                break
            day += 1
    return out


@njit(cache=True)
def _day_sum(rates: FloatArray, times: FloatArray, amps: FloatArray, state: FloatArray, ptr: int, stop: int,
             first: int, end: int, sum_day: FloatArray, decay_day: FloatArray) -> float:  # pragma: no cover
    """Sum of the hourly values ``first .. end - 1``; ``state`` leaves holding the modes at hour ``end``."""
    total = 0.0
    hour = first
    if end - first == 24 and (ptr >= stop or times[ptr] > end - 1):
        for m in range(rates.shape[0]):  # a 24-hour day no dose enters: precomputed closed form
            if state[m] != 0.0:
                total += state[m] * sum_day[m]
                state[m] *= decay_day[m]
        return total
    while hour < end:
        ptr = add_due(rates, times, amps, state, ptr, stop, hour)
        nxt = end
        if ptr < stop:
            nxt = min(end, int(math.ceil(times[ptr])))
        n = nxt - hour
        for m in range(rates.shape[0]):
            k = rates[m]
            if state[m] == 0.0:
                continue
            if k == 0.0:
                total += state[m] * n
            else:
                total += state[m] * math.expm1(-k * n) / math.expm1(-k)
                state[m] *= math.exp(-k * n)
        hour = nxt
    return total
