"""The receptor side of blockade: effect compartment, occupancy, and implant release shapes.

The receptor sees a *driving* concentration (NTX-equivalent ng/mL): plasma naltrexone plus
6β-naltrexol weighted by its central potency (:class:`~naltrack.pk.params.BlockadeParams`).
It reaches the effect site through a first-order compartment, ``dCe/dt = keo·(C - Ce)``,
which is linear: a plasma mode ``a·exp(-k·t)`` becomes ``a·keo/(keo - k)·exp(-k·t)`` plus
one mode at ``keo``. Blockade therefore stays a sum of exponentials, superposed over doses,
and every closed form and compiled loop of the plasma model serves it unchanged.

Occupancy is ``Ce / (Ce + EC50)``; it rises with Ce, so "occupancy >= blocked level" is
"Ce >= :func:`blocked_level_ng_ml`", one number per parameter set.

This module imports nothing else of the package but the parameters, so the plasma model can
ask it for the release shape that honours an implant's recorded duration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from naltrack.pk.params import InvalidPkInput, PkParameters, find_implant_product

FloatArray = npt.NDArray[np.float64]
#: Smallest relative gap kept between keo and any plasma rate (Bateman sums stay well conditioned).
KEO_GAP = 0.03
_KEO_NUDGES = (1.0, 1.0 + 2 * KEO_GAP, 1.0 - 2 * KEO_GAP, 1.0 + 4 * KEO_GAP, 1.0 - 4 * KEO_GAP)


def separated_keo(rates: FloatArray, keo: float) -> FloatArray:
    """Per subject, ``keo`` moved by a few percent where it would equal a plasma rate of that subject.

    ``rates`` has shape ``(n, m)``; the result ``(n,)``. Only subjects whose release rates
    fall within :data:`KEO_GAP` of keo move (a 6% shift of a 16 h half-life: under an hour).
    """
    n = rates.shape[0]
    out = np.full(n, keo)
    pending = np.ones(n, dtype=bool)
    for factor in _KEO_NUDGES:
        candidate = keo * factor
        ok = np.all(np.abs(rates - candidate) >= KEO_GAP * candidate, axis=1) if rates.size else np.ones(n, bool)
        take = pending & ok
        out[take] = candidate
        pending &= ~take
    return out


def effect_site(rates: FloatArray, amplitudes: FloatArray, keo: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Modes of Ce from modes of the driving concentration: one more mode, at ``keo``.

    ``rates`` ``(n, m)``, ``amplitudes`` ``(n, k, m)``, ``keo`` ``(n,)`` distinct from every
    rate; returns ``(n, m + 1)`` and ``(n, k, m + 1)``. Each component starts at zero effect.

    Examples
    --------
    >>> r, a = effect_site(np.array([[0.0]]), np.array([[[1.0]]]), np.array([0.5]))
    >>> r.tolist(), a.tolist()  # a constant 1 reaches Ce as 1 - exp(-0.5 t)
    ([[0.0, 0.5]], [[[1.0, -1.0]]])
    """
    gain = keo[:, None] / (keo[:, None] - rates)
    scaled = amplitudes * gain[:, None, :]
    return (np.concatenate([rates, keo[:, None]], axis=1),
            np.concatenate([scaled, -scaled.sum(axis=2, keepdims=True)], axis=2))


def _sum_modes(rates: FloatArray, amplitudes: FloatArray, times: FloatArray, t: float) -> float:
    """One subject: the value at ``t`` of components (times ``(k,)``, amplitudes ``(k, m)``)."""
    due = times <= t
    return float(np.sum(amplitudes[due] * np.exp(-rates[None, :] * (t - times[due, None]))))


def _chain2(k1: float, k2: float, scale: float) -> list[float]:
    """Bateman coefficients of a two-step chain (first step ``k1``, last ``k2``)."""
    return [scale * k1 / (k2 - k1), scale * k1 / (k1 - k2)]


@lru_cache(maxsize=64)
def ec50_ng_ml(params: PkParameters) -> float:
    """EC50 at the effect site (NTX-equivalent ng/mL) from the oral ED50 (Trøstheim 2022, pk.md §4.3).

    Ce is proportional to the dose, so occupancy at ``ed50_time_h`` after an oral dose ``D``
    is ``D / (D + ED50)`` exactly when EC50 = ED50 × Ce(``ed50_time_h``) per mg.

    Examples
    --------
    >>> round(ec50_ng_ml(PkParameters()), 3)
    0.323
    """
    b, d, o = params.blockade, params.disposition, params.oral
    km = o.metabolite_cl_over_fm_l_per_h / o.metabolite_v_over_fm_l
    rates = np.array([[o.ka_per_h, d.ke_per_h, km]])
    parent = _chain2(o.ka_per_h, d.ke_per_h, o.bioavailability * 1000.0 / d.v_l)
    metabolite = _chain2(o.ka_per_h, km, b.metabolite_potency * 1000.0 / o.metabolite_v_over_fm_l)
    amps = np.array([[[parent[0] + metabolite[0], parent[1], metabolite[1]]]])
    keo = separated_keo(rates, b.keo_per_h)
    r, a = effect_site(rates, amps, keo)
    return b.ed50_mg * _sum_modes(r[0], a[0], np.zeros(1), b.ed50_time_h)


def blocked_level_ng_ml(params: PkParameters) -> float:
    """Ce at which occupancy equals ``blocked_occupancy``: ``EC50·θ/(1 - θ)``."""
    theta = params.blockade.blocked_occupancy
    return ec50_ng_ml(params) * theta / (1.0 - theta)


def occupancy(effect_ng_ml: npt.ArrayLike, params: PkParameters | None = None) -> FloatArray:
    """Mu-receptor occupancy (0–1) of effect-site concentrations.

    Examples
    --------
    >>> occupancy([0.0, ec50_ng_ml(PkParameters())]).round(2).tolist()
    [0.0, 0.5]
    """
    ce = np.maximum(np.asarray(effect_ng_ml, dtype=np.float64), 0.0)
    return ce / (ce + ec50_ng_ml(params or PkParameters()))


@dataclass(frozen=True)
class ImplantShape:
    """Zero-order release ``released_mg / (plateau_h + tau_h)`` for ``plateau_h``, then first order (``tau_h``)."""

    released_mg: float
    plateau_h: float
    tau_h: float


def implant_shape(dose_mg: float, expected_duration_h: float | None, params: PkParameters) -> ImplantShape:
    """The release of an implant: by dose from the calibrated products (pk.md §3), or honouring a recorded duration.

    By dose: the plateau and tail of the product nearest in dose, the whole dose released
    (the plasma model's calibration, docs/pk.md "Implants"). At the dose halfway between two
    products the shape switches, and blockade can be a few days shorter just above it than
    just below (docs/pk.md "Blockade").

    With a recorded ``expected_duration_h`` the release keeps that rate for the dose and
    its plateau (else, when even no plateau lasts too long, its tail) is set so that the
    typical subject is blocked until exactly that time after insertion; the recorded
    duration then overrides the dose balance. When the rate is too low to block at all,
    nothing can honour the duration and the by-dose shape is kept.

    Examples
    --------
    >>> shape = implant_shape(1700.0, None, PkParameters())
    >>> shape.plateau_h / 24, round(shape.tau_h / 24, 1)
    (12.0, 66.4)
    """
    if expected_duration_h is None:
        return _by_dose(dose_mg)
    return _honouring(dose_mg, float(expected_duration_h), params)


def _by_dose(dose_mg: float) -> ImplantShape:
    product = find_implant_product(dose_mg)
    return ImplantShape(dose_mg, product.plateau_days * 24.0, product.tau_days * 24.0)


@lru_cache(maxsize=4096)
def _honouring(dose_mg: float, duration_h: float, params: PkParameters) -> ImplantShape:
    base = _by_dose(dose_mg)
    plateau0, tau0 = base.plateau_h, base.tau_h
    rate = dose_mg / (plateau0 + tau0)
    level = blocked_level_ng_ml(params)

    def margin(plateau_h: float, tau_h: float) -> float:
        return _implant_effect(rate, plateau_h, tau_h, params, duration_h) - level

    if margin(duration_h, tau0) < 0.0:
        return ImplantShape(dose_mg, plateau0, tau0)
    if margin(0.0, tau0) <= 0.0:
        plateau = _bisect(lambda p: margin(p, tau0), 0.0, duration_h)
        return ImplantShape(rate * (plateau + tau0), plateau, tau0)
    tau = _bisect(lambda t: margin(0.0, t), 1e-3, tau0)
    return ImplantShape(rate * tau, 0.0, tau)


def _bisect(f: Callable[[float], float], lo: float, hi: float) -> float:
    """Root of an increasing function on ``[lo, hi]`` (f(lo) <= 0 <= f(hi)) to 0.01 h."""
    while hi - lo > 0.01:
        mid = 0.5 * (lo + hi)
        if f(mid) < 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _implant_effect(rate_mg_per_h: float, plateau_h: float, tau_h: float, params: PkParameters, t: float) -> float:
    """Ce of the typical subject (reference weight) at ``t`` for an implant shape, in closed form."""
    d, b = params.disposition, params.blockade
    if tau_h <= 0.0:
        raise InvalidPkInput("implant.tau_h", tau_h, "must be greater than 0 h")
    ke, kt = d.ke_per_h, 1.0 / tau_h
    scale = 1.0 + b.metabolite_potency * b.depot_metabolite_ratio
    level = rate_mg_per_h * 1000.0 / d.cl_l_per_h * scale
    depot = _chain2(kt, ke, rate_mg_per_h * tau_h * 1000.0 / d.v_l * scale)
    rates = np.array([[0.0, ke, kt]])
    amps = np.array([[[level, -level, 0.0], [-level, level, 0.0], [0.0, depot[1], depot[0]]]])
    keo = separated_keo(rates, b.keo_per_h)
    r, a = effect_site(rates, amps, keo)
    return _sum_modes(r[0], a[0], np.array([0.0, plateau_h, plateau_h]), t)
