"""Opioid blockade: mu-receptor occupancy from plasma naltrexone and 6β-naltrexol, and the days it blocks.

The plasma model (:mod:`naltrack.pk.models`) stays the chart's curve. Blockade is read
from it through the receptor model of :mod:`naltrack.pk.effect`: the driving level (NTX
plus potency-weighted 6β-naltrexol: formed from oral doses, a fixed ratio to NTX after
depots) reaches an effect compartment, occupancy is an Emax of it, and a subject is
blocked while occupancy >= the blocked level (``PkParameters().blockade``,
docs/pk.md "Blockade"). Everything is still a sum of exponential modes, superposed.

* :func:`simulate_blockade` evaluates effect-site level, occupancy and blocked on any time
  grid for subjects in rows (SciPy-shaped, like :func:`~naltrack.pk.models.simulate`);
* :func:`blocked_days`, :func:`blocked_through` and :func:`last_blocked_days` give, for the
  doses of many patients at once (:class:`~naltrack.pk.protection.Dosing`, the shape the
  dashboard builds), the typical subject's blocked days on a grid of clinic-local days;
* :func:`blockade_calendar` is the same for one dosing history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from naltrack.pk.blockade_kernels import blocked_scan
from naltrack.pk.effect import blocked_level_ng_ml, effect_site, occupancy, separated_keo
from naltrack.pk.models import (
    DoseEvent,
    Form,
    InvalidDosing,
    ModeTable,
    Subjects,
    add_dose,
    bateman,
    checked_times,
    evaluate,
    typical_subject,
)
from naltrack.pk.params import PkParameters
from naltrack.pk.protection import Dosing, Response, canonical_order, dose_components

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_NG_PER_MG_L = 1000.0


def driving_table(doses: Sequence[DoseEvent], subjects: Subjects, params: PkParameters, *,
                  metabolite_multiplier: FloatArray | None = None, parent: bool = True,
                  metabolite: bool = True) -> ModeTable:
    """Modes of the level that drives the receptor (NTX-equivalent ng/mL), before the effect site.

    Parent: plasma NTX, times ``1 + potency × depot_metabolite_ratio`` after XR-NTX and
    implants (their 6β-naltrexol follows NTX, pk.md §2.3). Metabolite: 6β-naltrexol formed
    from oral doses (the plasma model's chain, pk.md §7.1) times its potency and the
    subject's ``metabolite_multiplier`` (1 when ``None``).
    """
    b, o = params.blockade, params.oral
    depot_scale = 1.0 + b.metabolite_potency * b.depot_metabolite_ratio
    mult = np.ones(subjects.n) if metabolite_multiplier is None else metabolite_multiplier
    km = np.full(subjects.n, o.metabolite_cl_over_fm_l_per_h / o.metabolite_v_over_fm_l)
    table = ModeTable(subjects.n)
    for dose in sorted(doses, key=lambda d: d.time_h):
        if parent:
            before = len(table.components)
            add_dose(table, dose, subjects, params)
            for component in table.components[before:] if dose.form != "oral" else ():
                for index in component:
                    component[index] = component[index] * depot_scale
        if metabolite and dose.form == "oral":
            scale = dose.amount_mg * _NG_PER_MG_L / o.metabolite_v_over_fm_l * b.metabolite_potency * mult
            coefs = bateman([subjects.ka_oral_per_h, km])
            table.add(dose.time_h, [(("oral0", 0.0), subjects.ka_oral_per_h, scale * coefs[0]),
                                    (("km", 0.0), km, scale * coefs[1])])
    return table


def effect_modes(doses: Sequence[DoseEvent], subjects: Subjects, params: PkParameters | None = None, *,
                 metabolite_multiplier: FloatArray | None = None) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(rates (n, m), times_h (k,) sorted, amplitudes (n, k, m))`` of the effect-site level."""
    params = params or PkParameters()
    table = driving_table(doses, subjects, params, metabolite_multiplier=metabolite_multiplier)
    if not table.components:
        return np.zeros((subjects.n, 0)), np.zeros(0), np.zeros((subjects.n, 0, 0))
    rates, amps = effect_site(table.rates, table.amplitudes, separated_keo(table.rates, params.blockade.keo_per_h))
    order = np.argsort(table.times_h, kind="stable")
    return rates, table.times_h[order], amps[:, order, :]


@dataclass(frozen=True)
class BlockadeResult:
    """Effect-site level (NTX-equivalent ng/mL), occupancy (0–1) and blocked, subjects in rows."""

    times_h: FloatArray
    effect_ng_ml: FloatArray
    occupancy: FloatArray
    blocked: BoolArray


def simulate_blockade(dosing: Sequence[DoseEvent], params: PkParameters | None, times_h: npt.ArrayLike, *,
                      subjects: Subjects | None = None,
                      metabolite_multiplier: FloatArray | None = None) -> BlockadeResult:
    """Receptor occupancy and blockade after a dosing history.

    Parameters
    ----------
    dosing : sequence of DoseEvent
        Administrations, times in hours from the origin of ``times_h``.
    params : PkParameters or None
        Typical values (defaults when ``None``); ``params.blockade`` holds the receptor model.
    times_h : array_like, 1-D
        Output times in hours.
    subjects : Subjects, optional
        Individual parameters (default: the typical subject); output rows follow them.
    metabolite_multiplier : ndarray, optional
        Per subject, 6β-naltrexol exposure relative to typical (default 1).

    Returns
    -------
    BlockadeResult
        Arrays of shape ``(n_subjects, n_times)``.

    Raises
    ------
    InvalidDosing
        If ``times_h`` is not a finite 1-D array.

    Notes
    -----
    Occupancy follows the effect-compartment concentration of naltrexone plus 6β-naltrexol weighted by
    its potency (Emax model); an hour is blocked when occupancy reaches ``params.blockade.blocked_occupancy``
    (docs/pk.md, "Opioid blockade").

    Examples
    --------
    >>> r = simulate_blockade([DoseEvent("oral", 0.0, 50.0)], None, [-1.0, 8.0, 24.0, 96.0])
    >>> r.occupancy[0].round(2).tolist(), r.blocked[0].tolist()
    ([0.0, 0.9, 0.9, 0.47], [False, True, True, False])
    """
    params = params or PkParameters()
    t = checked_times(times_h)
    subjects = subjects or typical_subject(params)
    rates, times, amps = effect_modes(dosing, subjects, params, metabolite_multiplier=metabolite_multiplier)
    effect = evaluate(rates, times, amps, t)
    return BlockadeResult(t, effect, occupancy(effect, params), effect >= blocked_level_ng_ml(params))


@lru_cache(maxsize=16384)
def _unit_effect(form: Form, amount_mg: float, duration_h: float, expected_h: float | None,
                 params: PkParameters) -> tuple[Response, ...]:
    """Effect-site response of one dose, typical subject at the reference weight, split by part.

    The parent part scales with ``CL_ref / CL(weight)``; oral 6β-naltrexol does not (its
    clearance has no weight covariate in this model).
    """
    subject = typical_subject(params)
    dose = DoseEvent(form, 0.0, amount_mg, duration_h, expected_h)
    out: list[Response] = []
    for parent in (True, False) if form == "oral" else (True,):
        table = driving_table([dose], subject, params, parent=parent, metabolite=not parent)
        keo = separated_keo(table.rates, params.blockade.keo_per_h)
        rates, amps = effect_site(table.rates, table.amplitudes, keo)
        keys = (*table.keys, ("keo", float(keo[0])))
        out.append((keys, tuple(float(r) for r in rates[0]), table.times_h, amps[0], parent))
    return tuple(out)


def blocked_days(dosing: Dosing, day_edges: npt.ArrayLike, params: PkParameters | None = None) -> BoolArray:
    """Whether the typical subject of each patient is blocked on each day: ``(n_patients, n_days)``.

    ``day_edges`` (``n_days + 1`` increasing whole hours from the dosing origin) bound the
    clinic-local days. A day is blocked when every whole hour of it is (a day on which
    blockade starts, dips or lapses is not; this keeps "more drug never unblocks a day").
    A dose acts from the first whole hour at or after its time.

    Examples
    --------
    >>> one = Dosing.of([([DoseEvent("xr-ntx", 10.0, 380.0)], None), ([], None)])
    >>> blocked = blocked_days(one, np.arange(0, 24 * 41, 24))
    >>> int(blocked[0].sum()), bool(blocked[0, 0]), bool(blocked[1].any())  # days 1 to 32
    (32, False, False)
    """
    params = params or PkParameters()
    edges = np.asarray(day_edges, dtype=np.int64)
    if edges.ndim != 1 or edges.shape[0] < 2 or np.any(np.diff(edges) <= 0):
        raise InvalidDosing("day_edges", edges.shape, "must be at least two increasing whole hours")
    rates, starts, times, amps = dose_components(canonical_order(dosing), params, _unit_effect)
    out = np.zeros((dosing.n_patients, edges.shape[0] - 1), dtype=np.bool_)
    if rates.size:
        blocked_scan(rates, starts, times, amps, edges, blocked_level_ng_ml(params), out)
    return out


def runs_through(blocked: npt.ArrayLike) -> IntArray:
    """For each day, the index of the last day of the blocked run containing it; -1 on unblocked days.

    Examples
    --------
    >>> runs_through([False, True, True, False, True]).tolist()
    [-1, 2, 2, -1, 4]
    """
    b = np.asarray(blocked, dtype=np.bool_)
    index = np.broadcast_to(np.arange(b.shape[-1]), b.shape)
    following = np.concatenate([b[..., 1:], np.zeros_like(b[..., :1])], axis=-1)
    ends = np.where(b & ~following, index, b.shape[-1])
    next_end = np.minimum.accumulate(ends[..., ::-1], axis=-1)[..., ::-1]
    return np.where(b, next_end, -1).astype(np.int64)


def blocked_through(dosing: Dosing, day_edges: npt.ArrayLike, params: PkParameters | None = None) -> IntArray:
    """Per patient and day, the last day of the blocked run containing it (-1: not blocked that day).

    Projected from the doses in ``dosing`` only (no future dose assumed); a run reaching the
    grid's last day ends there. Shape ``(n_patients, n_days)``.
    """
    return runs_through(blocked_days(dosing, day_edges, params))


def last_blocked_days(dosing: Dosing, day_edges: npt.ArrayLike, params: PkParameters | None = None) -> IntArray:
    """Index of each patient's last blocked day on the grid, -1 if none (the end of protection's shape)."""
    blocked = blocked_days(dosing, day_edges, params)
    last = blocked.shape[1] - 1 - np.argmax(blocked[:, ::-1], axis=1)
    return np.where(blocked.any(axis=1), last, -1).astype(np.int64)


@dataclass(frozen=True)
class BlockadeCalendar:
    """One dosing history on a grid of days: ``blocked`` and ``blocked_through`` (``(n_days,)``)."""

    blocked: BoolArray
    blocked_through: IntArray


def blockade_calendar(doses: Sequence[DoseEvent], day_edges: npt.ArrayLike, weight_kg: float | None = None,
                      params: PkParameters | None = None) -> BlockadeCalendar:
    """:func:`blocked_days` and :func:`blocked_through` of one dosing history.

    Examples
    --------
    >>> cal = blockade_calendar([DoseEvent("oral", 9.0, 50.0)], np.arange(0, 24 * 6, 24))
    >>> cal.blocked.tolist(), cal.blocked_through.tolist()
    ([False, True, False, False, False], [-1, 1, -1, -1, -1])
    """
    blocked = blocked_days(Dosing.of([(list(doses), weight_kg)]), day_edges, params)[0]
    return BlockadeCalendar(blocked, runs_through(blocked))
