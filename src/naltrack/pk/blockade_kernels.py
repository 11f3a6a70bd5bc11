"""Compiled loops of the blockade model: blocked days of many patients, blocked days of a population.

A day is *blocked* when, from the first of its whole hours at which the effect-site level
is at or above the blocked level, it stays there to the day's last hour: a blockade that
starts that day counts, one that lapses or dips that day does not (docs/pk.md "Blockade").

Days are stepped in closed form where possible: between components each mode ``s·e^(-k·t)``
is monotone, so over a day without a new component the level lies between
``sum(min(s, s·d))`` and ``sum(max(s, s·d))`` (``d = e^(-k·(n-1))``). When both bounds
are on one side of the threshold the day is decided without its hours. The kernels trust
their inputs: callers validate (STYLE.md §4).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@njit(cache=True)
def _add_due(rates: FloatArray, times: FloatArray, amps: FloatArray, state: FloatArray, ptr: int, stop: int,
             hour: int) -> int:  # pragma: no cover - compiled
    """Add the components due at or before ``hour`` (decayed to it); the new pointer."""
    while ptr < stop and times[ptr] <= hour:
        for m in range(rates.shape[0]):
            state[m] += amps[ptr, m] * math.exp(-rates[m] * (hour - times[ptr]))
        ptr += 1
    return ptr


@njit(cache=True)
def _day_blocked(rates: FloatArray, times: FloatArray, amps: FloatArray, state: FloatArray, ptr: int, stop: int,
                 first: int, end: int, threshold: float) -> tuple[bool, int]:  # pragma: no cover - compiled
    """Whether hours ``first .. end - 1`` form a blocked day; ``state`` leaves at hour ``end``."""
    ptr = _add_due(rates, times, amps, state, ptr, stop, first)
    n = end - first
    if ptr >= stop or times[ptr] > end - 1:
        low, high = 0.0, 0.0
        for m in range(rates.shape[0]):
            last = state[m] * math.exp(-rates[m] * (n - 1))
            low += min(state[m], last)
            high += max(state[m], last)
        if low >= threshold or high < threshold:
            for m in range(rates.shape[0]):
                state[m] *= math.exp(-rates[m] * n)
            return low >= threshold, ptr
    seen, broken = False, False
    for hour in range(first, end):
        ptr = _add_due(rates, times, amps, state, ptr, stop, hour)
        level = 0.0
        for m in range(rates.shape[0]):
            level += state[m]
            state[m] *= math.exp(-rates[m])
        if level >= threshold:
            seen = True
        elif seen:
            broken = True
    return seen and not broken, ptr


@njit(cache=True)
def blocked_scan(rates: FloatArray, starts: IntArray, times: FloatArray, amps: FloatArray, edges: IntArray,
                 threshold: float, blocked: BoolArray) -> None:  # pragma: no cover - compiled
    """Fill ``blocked`` ``(n_patients, n_days)`` for components sorted by patient, then time.

    ``edges`` (``n_days + 1``, whole hours) bound the days. A patient's scan stops once no
    component is left and the positive parts of the modes, which only decay, sum below the
    threshold: no later hour can be blocked.
    """
    n_days = edges.shape[0] - 1
    state = np.zeros(rates.shape[0])
    for p in range(starts.shape[0] - 1):
        ptr, stop = starts[p], starts[p + 1]
        if ptr == stop:
            continue
        state[:] = 0.0
        day = max(np.searchsorted(edges, math.ceil(times[ptr]), side="right") - 1, 0)
        while day < n_days:
            ok, ptr = _day_blocked(rates, times, amps, state, ptr, stop, edges[day], edges[day + 1], threshold)
            blocked[p, day] = ok
            if ptr == stop and np.sum(np.maximum(state, 0.0)) < threshold:
                break
            day += 1


@njit(cache=True, fastmath=True)
def population_blocked_chunk(rates: npt.NDArray[np.float32], times_h: FloatArray,
                             amplitudes: npt.NDArray[np.float32], n_days: int, threshold: float,
                             day_blocked: IntArray) -> None:  # pragma: no cover - compiled
    """Add to ``day_blocked`` ``(n_days,)`` the subjects blocked on each 24-hour day.

    ``rates`` ``(n, m)`` per hour, ``times_h`` ``(n, k)`` each row sorted (``inf``: no
    component), ``amplitudes`` ``(n, k, m)``: effect-site modes of each subject.
    """
    n, m_modes = rates.shape
    k_comp = times_h.shape[1]
    state = np.zeros(m_modes, dtype=np.float32)
    decay = np.empty(m_modes, dtype=np.float32)
    thr = np.float32(threshold)
    for i in range(n):
        for m in range(m_modes):
            state[m] = 0.0
            decay[m] = np.float32(np.exp(-rates[i, m]))
        ptr = 0
        for day in range(n_days):
            seen, broken = False, False
            for h in range(24 * day, 24 * day + 24):
                while ptr < k_comp and times_h[i, ptr] <= h:
                    lag = h - times_h[i, ptr]
                    for m in range(m_modes):
                        state[m] += amplitudes[i, ptr, m] * np.float32(np.exp(-rates[i, m] * lag))
                    ptr += 1
                level = np.float32(0.0)
                for m in range(m_modes):
                    level += state[m]
                    state[m] *= decay[m]
                if level >= thr:
                    seen = True
                elif seen:
                    broken = True
            if seen and not broken:
                day_blocked[day] += 1
