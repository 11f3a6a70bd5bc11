"""Compiled loops that step the exponential modes of :mod:`naltrack.pk.models` hour by hour.

Why numba: a dose response here is a handful of exponential modes, so one hour of one
subject costs a multiply and an add per mode. NumPy cannot keep those few numbers in
registers across 4,321 hours; it writes every intermediate array to memory and reaches
about 7,000 subjects/s (platform-notes.md, "Simulation speed"). A compiled loop over the
hours, with the subjects of a block side by side so the mode update vectorizes, runs an
order of magnitude faster. The kernels trust their inputs: callers validate (STYLE.md §4).

Percentiles are streamed: each hourly value goes into a log-spaced bin found from the bits
of its float32 (exponent and top three mantissa bits: eight bins per octave), which costs a
shift instead of a ``log10`` per value (the cost platform-notes.md warns about).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

#: Bins per octave = 2**(23 - BIN_SHIFT).
BIN_SHIFT = 20
BINS_PER_OCTAVE = 2 ** (23 - BIN_SHIFT)
#: Lowest binned value 2**-10 ng/mL (about 0.001); bin 0 holds everything below.
LOW_EXPONENT = -10
HIGH_EXPONENT = 10
N_BINS = (HIGH_EXPONENT - LOW_EXPONENT) * BINS_PER_OCTAVE + 2
_BIN_BASE = ((127 + LOW_EXPONENT) << 23) >> BIN_SHIFT
#: Subjects stepped side by side.
BLOCK = 64


def bin_lower_edges() -> npt.NDArray[np.float64]:
    """Lower edge (ng/mL) of every histogram bin; bin 0 starts at 0."""
    bits = ((np.arange(N_BINS, dtype=np.int64) - 1 + _BIN_BASE) << BIN_SHIFT).astype(np.int32)
    edges = bits.view(np.float32).astype(np.float64)
    edges[0] = 0.0
    return edges


@njit(cache=True, fastmath=True)
def series_on_grid(rates: npt.NDArray[np.float64], times_h: npt.NDArray[np.float64],
                   amplitudes: npt.NDArray[np.float64], t0_h: float, dt_h: float,
                   n_out: int) -> npt.NDArray[np.float64]:  # pragma: no cover - compiled
    """Concentrations of each subject at ``t0_h + i·dt_h``, shape ``(n_subjects, n_out)``.

    ``times_h`` (sorted) is shared by the subjects; a component at or before a grid point
    enters it exactly, decayed by ``exp(-k·(t_grid - t_component))``.
    """
    n, m_modes = rates.shape
    k_comp = times_h.shape[0]
    out = np.empty((n, n_out))
    state = np.zeros(m_modes)
    decay = np.empty(m_modes)
    for i in range(n):
        for m in range(m_modes):
            state[m] = 0.0
            decay[m] = np.exp(-rates[i, m] * dt_h)
        ptr = 0
        for h in range(n_out):
            tg = t0_h + h * dt_h
            while ptr < k_comp and times_h[ptr] <= tg:
                lag = tg - times_h[ptr]
                for m in range(m_modes):
                    state[m] += amplitudes[i, ptr, m] * np.exp(-rates[i, m] * lag)
                ptr += 1
            c = 0.0
            for m in range(m_modes):
                c += state[m]
                state[m] *= decay[m]
            out[i, h] = c if c > 0.0 else 0.0
    return out


@njit(cache=True, fastmath=True, inline="always")
def _add_due_components(rates: npt.NDArray[np.float32], times_h: npt.NDArray[np.float64],
                        amplitudes: npt.NDArray[np.float32], start: int, nb: int, h: int,
                        ptr: npt.NDArray[np.int64], state: npt.NDArray[np.float32]) -> None:  # pragma: no cover
    """Add to each subject of the block the components due at or before hour ``h``."""
    k_comp = times_h.shape[1]
    for b in range(nb):
        i = start + b
        while ptr[b] < k_comp and times_h[i, ptr[b]] <= h:
            k = ptr[b]
            lag = h - times_h[i, k]
            for m in range(state.shape[0]):
                state[m, b] += amplitudes[i, k, m] * np.float32(np.exp(-rates[i, m] * lag))
            ptr[b] += 1


@njit(cache=True, fastmath=True, inline="always")
def _step_modes(state: npt.NDArray[np.float32], decay: npt.NDArray[np.float32],
                conc: npt.NDArray[np.float32]) -> None:  # pragma: no cover
    """Sum the modes into ``conc`` and decay them by one hour; subjects side by side (SIMD)."""
    for b in range(BLOCK):
        conc[b] = 0.0
    for m in range(state.shape[0]):
        for b in range(BLOCK):
            conc[b] += state[m, b]
            state[m, b] *= decay[m, b]


@njit(cache=True, fastmath=True, inline="always")
def _close_day(day: int, nb: int, threshold_sum: np.float32, day_sum: npt.NDArray[np.float32],
               ever: npt.NDArray[np.bool_], lapsed: npt.NDArray[np.bool_], day_protected: npt.NDArray[np.int64],
               lapse_day: npt.NDArray[np.int64]) -> None:  # pragma: no cover
    """Count the subjects protected on ``day`` (day mean >= threshold) and first lapses."""
    for b in range(nb):
        if day_sum[b] >= threshold_sum:
            day_protected[day] += 1
            ever[b] = True
        elif ever[b] and not lapsed[b]:
            lapsed[b] = True
            lapse_day[day] += 1
        day_sum[b] = 0.0


@njit(cache=True, fastmath=True)
def population_chunk(rates: npt.NDArray[np.float32], times_h: npt.NDArray[np.float64],
                     amplitudes: npt.NDArray[np.float32], n_hours: int, protected_ng_ml: float,
                     hist: npt.NDArray[np.int64], day_protected: npt.NDArray[np.int64],
                     lapse_day: npt.NDArray[np.int64]) -> None:  # pragma: no cover - compiled
    """Step ``n`` subjects over ``n_hours`` hourly points and add their statistics in place.

    Parameters
    ----------
    rates : (n, m) float32, per hour
    times_h : (n, k) float64, each row sorted; ``inf`` marks no component
    amplitudes : (n, k, m) float32, ng/mL
    hist : (n_hours, N_BINS) counts of hourly values per log bin
    day_protected : (n_days,) subjects whose day mean is >= ``protected_ng_ml``
    lapse_day : (n_days + 2,) first day below the threshold after a protected day; the
        last two cells count subjects never lapsing and never protected.
    """
    n, m_modes = rates.shape
    n_days = day_protected.shape[0]
    state = np.zeros((m_modes, BLOCK), dtype=np.float32)
    decay = np.empty((m_modes, BLOCK), dtype=np.float32)
    conc = np.zeros(BLOCK, dtype=np.float32)
    bits = conc.view(np.int32)
    day_sum = np.zeros(BLOCK, dtype=np.float32)
    ptr = np.zeros(BLOCK, dtype=np.int64)
    ever = np.zeros(BLOCK, dtype=np.bool_)
    lapsed = np.zeros(BLOCK, dtype=np.bool_)
    threshold_sum = np.float32(protected_ng_ml * 24.0)
    for start in range(0, n, BLOCK):
        nb = min(BLOCK, n - start)
        ptr[:] = 0
        day_sum[:] = 0.0
        ever[:] = False
        lapsed[:] = False
        state[:, :] = 0.0
        decay[:, :] = 0.0
        for b in range(nb):
            for m in range(m_modes):
                decay[m, b] = np.exp(-rates[start + b, m])
        for h in range(n_hours):
            _add_due_components(rates, times_h, amplitudes, start, nb, h, ptr, state)
            _step_modes(state, decay, conc)
            for b in range(nb):
                conc[b] = max(conc[b], np.float32(0.0))  # round-off of opposite-signed modes
                day_sum[b] += conc[b]
                # Log bin from the float32 bits: exponent and top mantissa bits (no log10).
                hist[h, min(max((bits[b] >> BIN_SHIFT) - _BIN_BASE + 1, 0), N_BINS - 1)] += 1
            if (h + 1) % 24 == 0 and (h + 1) // 24 <= n_days:
                _close_day((h + 1) // 24 - 1, nb, threshold_sum, day_sum, ever, lapsed, day_protected, lapse_day)
        for b in range(nb):
            if not ever[b]:
                lapse_day[n_days + 1] += 1
            elif not lapsed[b]:
                lapse_day[n_days] += 1
