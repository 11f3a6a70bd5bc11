"""Compiled loops of the blockade model: blocked days of many patients, blocked days of a population.

A day is *blocked* when the effect-site level is at or above the blocked level at every
whole hour of it (docs/pk.md "Blockade"): a day on which blockade starts, dips or lapses is
not. Unlike "blocked from the first blocked hour on", this is monotone in the dose: more
drug never unblocks a day, so it never moves the end of blockade earlier.

Days are stepped in closed form where possible. Over a day without a new component each
mode ``s·e^(-k·t)`` is convex in ``t``: its chord bounds it from one side and its tangent
at mid-day (or, for fast modes, its end value) from the other. These bounds are linear in
``t``, so their sums, a lower and an upper bound of the level, are extreme at the day's
first or last hour. When both are on one side of the threshold the day is decided without
its hours; unlike min/max bounds, they stay tight when large modes of opposite signs
cancel (the Bateman sums of slow release). The kernels trust their inputs: callers
validate (STYLE.md §4).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
#: Days a population subject's dose-free stretch is tried at once.
WEEK = 7


@njit(cache=True, inline="always")
def add_due(rates: FloatArray, times: FloatArray, amps: FloatArray, state: FloatArray, ptr: int, stop: int,
             hour: int) -> int:  # pragma: no cover - compiled
    """Add the components due at or before ``hour`` (decayed to it); the new pointer."""
    while ptr < stop and times[ptr] <= hour:
        for m in range(rates.shape[0]):
            state[m] += amps[ptr, m] * math.exp(-rates[m] * (hour - times[ptr]))
        ptr += 1
    return ptr


@njit(cache=True, inline="always")
def first_day(edges: IntArray, starts: IntArray, times: FloatArray, p: int) -> int:  # pragma: no cover - compiled
    """The day patient ``p``'s scan starts: its first component's first whole hour's; ``n_days`` if it has none."""
    if starts[p] == starts[p + 1]:
        return int(edges.shape[0] - 1)
    return int(max(np.searchsorted(edges, math.ceil(times[starts[p]]), side="right") - 1, 0))


@njit(cache=True, inline="always")
def spent(state: FloatArray, ptr: int, stop: int, threshold: float) -> bool:  # pragma: no cover - compiled
    """No component left, and the positive parts of the modes, which only decay, sum below ``threshold``.

    No later hour can then reach the threshold, so a scan stops.
    """
    return ptr == stop and np.sum(np.maximum(state, 0.0)) < threshold


Decays = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


@njit(cache=True, inline="always")
def _decays(rates: FloatArray, n: int) -> Decays:  # pragma: no cover - compiled
    """Per mode, for a day of ``n`` hours (span ``T = n - 1``): decay over 1 h, T, n, T/2, and ``k·T``."""
    span = rates * (n - 1)
    return np.exp(-rates), np.exp(-span), np.exp(-rates * n), np.exp(-0.5 * span), span


@njit(cache=True, inline="always")
def _bounds(state: FloatArray, decays: Decays) -> tuple[float, float]:  # pragma: no cover - compiled
    """Lower and upper bound of the level over a day without a new component (module docstring)."""
    _, to_last, _, mid, span = decays
    low0, low1, high0, high1 = 0.0, 0.0, 0.0, 0.0
    for m in range(state.shape[0]):
        s, end = state[m], state[m] * to_last[m]
        tangent0, tangent1 = end, end
        if span[m] < 1.0:
            tangent0, tangent1 = s * mid[m] * (1.0 + 0.5 * span[m]), s * mid[m] * (1.0 - 0.5 * span[m])
        if s >= 0.0:
            low0, low1, high0, high1 = low0 + tangent0, low1 + tangent1, high0 + s, high1 + end
        else:
            low0, low1, high0, high1 = low0 + s, low1 + end, high0 + tangent0, high1 + tangent1
    return min(low0, low1), max(high0, high1)


@njit(cache=True, inline="always")
def _day_blocked(rates: FloatArray, times: FloatArray, amps: FloatArray, state: FloatArray, ptr: int, stop: int,
                 first: int, end: int, threshold: float,
                 decays: Decays) -> tuple[bool, int]:  # pragma: no cover
    """Whether every hour ``first .. end - 1`` is blocked; ``state`` leaves at hour ``end``.

    ``decays`` are :func:`_decays` of ``end - first`` hours.
    """
    hourly, whole = decays[0], decays[2]
    ptr = add_due(rates, times, amps, state, ptr, stop, first)
    if ptr >= stop or times[ptr] > end - 1:
        low, high = _bounds(state, decays)
        if low >= threshold or high < threshold:
            for m in range(rates.shape[0]):
                state[m] *= whole[m]
            return low >= threshold, ptr
    blocked = True
    for hour in range(first, end):
        ptr = add_due(rates, times, amps, state, ptr, stop, hour)
        level = 0.0
        for m in range(rates.shape[0]):
            level += state[m]
            state[m] *= hourly[m]
        blocked = blocked and level >= threshold
    return blocked, ptr


@njit(cache=True, nogil=True)
def blocked_scan(rates: FloatArray, starts: IntArray, times: FloatArray, amps: FloatArray, edges: IntArray,
                 threshold: float, blocked: BoolArray) -> None:  # pragma: no cover - compiled
    """Fill ``blocked`` ``(n_patients, n_days)`` for components sorted by patient, then time.

    ``edges`` (``n_days + 1``, whole hours) bound the days. A patient's scan stops once no
    component is left and the positive parts of the modes, which only decay, sum below the
    threshold: no later hour can be blocked. The interpreter is released while it runs (the
    dashboard scans in one thread while another reads).
    """
    n_days = edges.shape[0] - 1
    state = np.zeros(rates.shape[0])
    full_day = _decays(rates, 24)
    for p in range(starts.shape[0] - 1):
        ptr, stop = starts[p], starts[p + 1]
        state[:] = 0.0
        day = first_day(edges, starts, times, p)
        while day < n_days:
            n = edges[day + 1] - edges[day]
            decays = full_day if n == 24 else _decays(rates, n)
            ok, ptr = _day_blocked(rates, times, amps, state, ptr, stop, edges[day], edges[day + 1], threshold, decays)
            blocked[p, day] = ok
            if spent(state, ptr, stop, threshold):
                break
            day += 1


@njit(cache=True)
def population_blocked_chunk(rates: FloatArray, times_h: FloatArray, amplitudes: FloatArray, n_days: int,
                             threshold: float, day_blocked: IntArray) -> None:  # pragma: no cover - compiled
    """Add to ``day_blocked`` ``(n_days,)`` the subjects blocked on each 24-hour day.

    ``rates`` ``(n, m)`` per hour, ``times_h`` ``(n, k)`` each row sorted (``inf``: no
    component), ``amplitudes`` ``(n, k, m)``: effect-site modes of each subject. A dose-free
    week, then a day, is decided in closed form where the bounds allow (module docstring),
    else the day's hours are stepped.
    """
    n, m_modes = rates.shape
    state = np.zeros(m_modes)
    for i in range(n):
        state[:] = 0.0
        rate = rates[i]
        day_decays, week_decays = _decays(rate, 24), _decays(rate, 24 * WEEK)
        times, amps = times_h[i], amplitudes[i]
        stop = times.shape[0]
        while stop > 0 and not np.isfinite(times[stop - 1]):
            stop -= 1
        ptr, day = 0, 0
        while day < n_days:
            ptr = add_due(rate, times, amps, state, ptr, stop, 24 * day)
            if day + WEEK <= n_days and (ptr >= stop or times[ptr] > 24 * (day + WEEK) - 1):
                low, high = _bounds(state, week_decays)  # a week without a dose, decided at once
                if low >= threshold or high < threshold:
                    if low >= threshold:
                        day_blocked[day:day + WEEK] += 1
                    state *= week_decays[2]
                    day += WEEK
                    continue
            ok, ptr = _day_blocked(rate, times, amps, state, ptr, stop, 24 * day, 24 * day + 24, threshold, day_decays)
            if ok:
                day_blocked[day] += 1
            elif spent(state, ptr, stop, threshold):
                break
            day += 1
