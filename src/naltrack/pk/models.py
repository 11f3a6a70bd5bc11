"""Closed-form naltrexone concentrations: sums of exponentials, superposed over doses.

Every form is a linear system (pk.md §7): first-order release or absorption steps feeding
one compartment, or a zero-order release for implants. The response to one dose is then a
sum of exponential *modes* ``a_m·exp(-k_m·(t - t_dose))`` (the Bateman solution of a chain
of first-order steps), and the response to a dosing history is the sum over doses
(superposition; XR-NTX shows no accumulation beyond it, pk.md §2.3). A dose is turned into
*components* (time, amplitude per mode); :func:`evaluate` sums them on any time grid and
:mod:`naltrack.pk.kernels` steps the same modes hour by hour for the population engine.

The public entry point follows SciPy's shape: ``simulate(dosing, params, times_h)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from naltrack.pk.effect import implant_shape
from naltrack.pk.params import InvalidPkInput, PkParameters

Form = Literal["oral", "xr-ntx", "implant"]
FORMS: tuple[Form, ...] = ("oral", "xr-ntx", "implant")
FloatArray = npt.NDArray[np.float64]
#: mg/L to ng/mL.
_NG_PER_MG_L = 1000.0


class InvalidDosing(InvalidPkInput):
    """A dose or time grid the model cannot take (negative amount, unknown form, NaN)."""


@dataclass(frozen=True)
class DoseEvent:
    """One administration: ``time_h`` hours from the origin, ``amount_mg`` of naltrexone.

    ``end_h`` is when an implant was removed (``inf`` while it stays in place);
    ``expected_duration_h`` the implant's recorded duration of action, which the release
    then honours (:func:`naltrack.pk.effect.implant_shape`); ``None`` when unknown.
    """

    form: Form
    time_h: float
    amount_mg: float
    end_h: float = math.inf
    expected_duration_h: float | None = None

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise InvalidDosing("dose.form", self.form, f"must be one of {', '.join(FORMS)}")
        if not math.isfinite(self.time_h):
            raise InvalidDosing("dose.time_h", self.time_h, "must be a finite number of hours")
        if not (math.isfinite(self.amount_mg) and self.amount_mg > 0):
            raise InvalidDosing("dose.amount_mg", self.amount_mg, "must be greater than 0 mg")
        if not self.end_h > self.time_h:
            raise InvalidDosing("dose.end_h", self.end_h, f"must be after the dose time {self.time_h!r} h")
        if self.expected_duration_h is not None:
            if self.form != "implant":
                raise InvalidDosing("dose.expected_duration_h", self.expected_duration_h, "applies to implants only")
            if not (math.isfinite(self.expected_duration_h) and self.expected_duration_h > 0):
                raise InvalidDosing("dose.expected_duration_h", self.expected_duration_h, "must be greater than 0 h")


@dataclass(frozen=True)
class Subjects:
    """Individual parameters of ``n`` subjects, arrays of shape ``(n,)`` (see population.py).

    Multipliers are ``exp(eta)``: 1.0 is the typical subject.
    """

    cl_l_per_h: FloatArray
    ke_per_h: FloatArray
    ka_oral_per_h: FloatArray
    f_oral: FloatArray
    xr_release_multiplier: FloatArray
    implant_release_multiplier: FloatArray

    @property
    def n(self) -> int:
        return int(self.cl_l_per_h.shape[0])

    @property
    def v_l(self) -> FloatArray:
        return self.cl_l_per_h / self.ke_per_h


def typical_subject(params: PkParameters | None = None, weight_kg: float | None = None) -> Subjects:
    """The typical subject (all random effects zero), optionally at a body weight.

    Examples
    --------
    >>> round(float(typical_subject().v_l[0]))
    808
    """
    params = params or PkParameters()
    d = params.disposition
    weight = d.reference_weight_kg if weight_kg is None else weight_kg
    one = np.ones(1)
    cl = one * (d.cl_l_per_h + d.cl_per_kg_l_per_h * (weight - d.reference_weight_kg))
    return Subjects(cl, one * d.ke_per_h, one * params.oral.ka_per_h, one * params.oral.bioavailability, one, one)


def bateman(rates: Sequence[FloatArray]) -> list[FloatArray]:
    """Mode coefficients of a chain of first-order steps (the Bateman solution).

    For a unit amount put into the first of ``n`` compartments with outflow rates
    ``k_1..k_n``, the amount in the last is ``sum_j c_j exp(-k_j t)`` with
    ``c_j = prod_{i<n} k_i / prod_{l != j} (k_l - k_j)``. Rates must be distinct.

    Examples
    --------
    >>> [round(float(c[0]), 4) for c in bateman([np.array([2.0]), np.array([1.0])])]
    [-2.0, 2.0]
    """
    prefactor = np.ones_like(rates[0])
    for k in rates[:-1]:
        prefactor = prefactor * k
    coefs = []
    for j, kj in enumerate(rates):
        denominator = np.ones_like(kj)
        for m, km in enumerate(rates):
            if m != j:
                denominator = denominator * (km - kj)
        coefs.append(prefactor / denominator)
    return coefs


@dataclass
class ModeTable:
    """Modes shared by all components, and the components of a dosing history.

    ``rates`` has shape ``(n_subjects, n_modes)``; ``amplitudes`` ``(n_subjects,
    n_components, n_modes)`` in ng/mL; ``times_h`` ``(n_components,)``.
    """

    n_subjects: int
    keys: list[tuple[str, float]] = field(default_factory=list)
    rate_columns: list[FloatArray] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    components: list[dict[int, FloatArray]] = field(default_factory=list)

    def mode(self, key: tuple[str, float], rate: FloatArray) -> int:
        if key not in self.keys:
            self.keys.append(key)
            self.rate_columns.append(np.broadcast_to(rate, (self.n_subjects,)).astype(np.float64))
        return self.keys.index(key)

    def add(self, time_h: float, terms: Sequence[tuple[tuple[str, float], FloatArray, FloatArray]]) -> None:
        """Add a component: ``terms`` are (mode key, rate, amplitude) triples."""
        amps: dict[int, FloatArray] = {}
        for key, rate, amp in terms:
            index = self.mode(key, rate)
            amps[index] = amps.get(index, 0.0) + np.broadcast_to(amp, (self.n_subjects,))
        self.times.append(time_h)
        self.components.append(amps)

    @property
    def rates(self) -> FloatArray:
        if not self.rate_columns:
            return np.zeros((self.n_subjects, 0))
        return np.stack(self.rate_columns, axis=1)

    @property
    def times_h(self) -> FloatArray:
        return np.asarray(self.times, dtype=np.float64)

    @property
    def amplitudes(self) -> FloatArray:
        out = np.zeros((self.n_subjects, len(self.components), len(self.keys)))
        for c, amps in enumerate(self.components):
            for m, amp in amps.items():
                out[:, c, m] = amp
        return out


def add_dose(table: ModeTable, dose: DoseEvent, subjects: Subjects, params: PkParameters) -> None:
    """Turn one administration into components of ``table``."""
    if dose.form == "oral":
        _add_oral(table, dose, subjects, params)
    elif dose.form == "xr-ntx":
        _add_xr(table, dose, subjects, params)
    else:
        _add_implant(table, dose, subjects, params)


Term = tuple[tuple[str, float], FloatArray, FloatArray]


def _chain(key: str, rates: Sequence[FloatArray], scale: FloatArray) -> list[Term]:
    keys = [(f"{key}{i}", 0.0) for i in range(len(rates) - 1)] + [("ke", 0.0)]
    return [(k, r, scale * c) for k, r, c in zip(keys, rates, bateman(rates), strict=True)]


def _add_oral(table: ModeTable, dose: DoseEvent, s: Subjects, params: PkParameters) -> None:
    scale = dose.amount_mg * s.f_oral * _NG_PER_MG_L / s.v_l
    table.add(dose.time_h, _chain("oral", [s.ka_oral_per_h, s.ke_per_h], scale))


def _add_xr(table: ModeTable, dose: DoseEvent, s: Subjects, params: PkParameters) -> None:
    xr = params.xr_ntx
    base = dose.amount_mg * _NG_PER_MG_L / s.v_l
    r2 = xr.second_rate_per_h * s.xr_release_multiplier
    r3 = xr.erosion_rate_per_h * s.xr_release_multiplier
    kb = np.full_like(r2, xr.burst_ka_per_h)
    terms = (_chain("xr_burst", [kb, s.ke_per_h], base * xr.burst_fraction)
             + _chain("xr_second", [r2, xr.step_ratio * r2, s.ke_per_h], base * xr.second_fraction)
             + _chain("xr_erosion", [r3, xr.step_ratio * r3, s.ke_per_h], base * xr.erosion_fraction))
    table.add(dose.time_h, terms)


def _add_implant(table: ModeTable, dose: DoseEvent, s: Subjects, params: PkParameters) -> None:
    """Zero-order release R0 for the plateau, then first-order decline; removal stops it.

    An infusion of rate R into one compartment is ``R/CL·(1 - exp(-ke·t))``: a constant
    mode and an elimination mode; stopping it adds the opposite. The decline is a depot of
    ``R0·tau`` released at rate ``1/tau``; a removal subtracts the depot still left.
    """
    shape = implant_shape(dose.amount_mg, dose.expected_duration_h, params)
    plateau_h = shape.plateau_h
    tau_h = shape.tau_h / s.implant_release_multiplier
    r0 = shape.released_mg / (plateau_h + tau_h)
    level = r0 * _NG_PER_MG_L / s.cl_l_per_h
    zero = np.zeros(s.n)
    start, plateau_end = dose.time_h, dose.time_h + plateau_h
    table.add(start, [(("const", 0.0), zero, level), (("ke", 0.0), s.ke_per_h, -level)])
    stop = min(plateau_end, dose.end_h)
    table.add(stop, [(("const", 0.0), zero, -level), (("ke", 0.0), s.ke_per_h, level)])
    if dose.end_h <= plateau_end:
        return
    key = f"implant_tail_{shape.tau_h:.9g}_"
    depot = r0 * tau_h * _NG_PER_MG_L / s.v_l
    table.add(plateau_end, _chain(key, [1.0 / tau_h, s.ke_per_h], depot))
    if math.isfinite(dose.end_h):
        left = np.exp(-(dose.end_h - plateau_end) / tau_h)
        table.add(dose.end_h, _chain(key, [1.0 / tau_h, s.ke_per_h], -depot * left))


def build_modes(doses: Sequence[DoseEvent], subjects: Subjects, params: PkParameters | None = None) -> ModeTable:
    """The mode table of a dosing history for these subjects."""
    params = params or PkParameters()
    table = ModeTable(subjects.n)
    for dose in sorted(doses, key=lambda d: d.time_h):
        add_dose(table, dose, subjects, params)
    return table


def evaluate(rates: FloatArray, times_h: FloatArray, amplitudes: FloatArray, t_h: FloatArray) -> FloatArray:
    """Sum the components at times ``t_h``: shape ``(n_subjects, len(t_h))``, ng/mL.

    A component acts from its time on; before it, it contributes nothing.
    """
    t = np.asarray(t_h, dtype=np.float64)
    out = np.zeros((rates.shape[0], t.shape[0]))
    for c, tc in enumerate(times_h):
        dt = t - tc
        active = dt >= 0
        if not active.any():
            continue
        dt_a = dt[active]
        decay = np.exp(-rates[:, :, None] * dt_a[None, None, :])
        out[:, active] += np.einsum("nm,nmt->nt", amplitudes[:, c, :], decay)
    # Round-off of opposite-signed modes can leave -1e-16: concentrations are never negative.
    return np.maximum(out, 0.0)


@dataclass(frozen=True)
class SimulationResult:
    """Concentrations at ``times_h`` for each subject (rows), in ng/mL."""

    times_h: FloatArray
    concentration_ng_ml: FloatArray
    metabolite_ng_ml: FloatArray


def checked_times(times_h: npt.ArrayLike) -> FloatArray:
    """``times_h`` as a float array, checked once at the entry of a simulation (STYLE.md §4).

    Raises
    ------
    InvalidDosing
        If ``times_h`` is not a finite 1-D array.
    """
    t = np.asarray(times_h, dtype=np.float64)
    if t.ndim != 1 or not np.all(np.isfinite(t)):
        raise InvalidDosing("times_h", t.shape, "must be a finite 1-D array of hours")
    return t


def simulate(dosing: Sequence[DoseEvent], params: PkParameters | None, times_h: npt.ArrayLike, *,
             subjects: Subjects | None = None, model: Literal["naltrexone"] = "naltrexone") -> SimulationResult:
    """Plasma naltrexone (and oral 6β-naltrexol) after a dosing history.

    Parameters
    ----------
    dosing : sequence of DoseEvent
        Administrations, times in hours from the origin of ``times_h``.
    params : PkParameters or None
        Typical values (defaults when ``None``).
    times_h : array_like, 1-D
        Output times in hours.
    subjects : Subjects, optional
        Individual parameters (default: the typical subject); output rows follow them.

    Returns
    -------
    SimulationResult
        ``concentration_ng_ml`` and ``metabolite_ng_ml`` of shape ``(n_subjects, n_times)``.

    Raises
    ------
    InvalidDosing
        If ``times_h`` is not a finite 1-D array.

    Examples
    --------
    >>> r = simulate([DoseEvent("oral", 0.0, 50.0)], None, [1.0, 24.0])
    >>> [round(float(c), 2) for c in r.concentration_ng_ml[0]]
    [9.35, 0.18]
    """
    params = params or PkParameters()
    t = checked_times(times_h)
    subjects = subjects or typical_subject(params)
    table = build_modes(dosing, subjects, params)
    conc = evaluate(table.rates, table.times_h, table.amplitudes, t)
    return SimulationResult(t, conc, _metabolite(dosing, subjects, params, t))


def _metabolite(dosing: Sequence[DoseEvent], s: Subjects, params: PkParameters, t: FloatArray) -> FloatArray:
    """6β-naltrexol after oral doses, formed presystemically (pk.md §7.1 naive fit)."""
    oral = params.oral
    km = np.full(s.n, oral.metabolite_cl_over_fm_l_per_h / oral.metabolite_v_over_fm_l)
    table = ModeTable(s.n)
    for dose in dosing:
        if dose.form == "oral":
            scale = dose.amount_mg * _NG_PER_MG_L / oral.metabolite_v_over_fm_l
            coefs = bateman([s.ka_oral_per_h, km])
            table.add(dose.time_h, [(("ka", 0.0), s.ka_oral_per_h, scale * coefs[0]),
                                    (("km", 0.0), km, scale * coefs[1])])
    if not table.components:
        return np.zeros((s.n, t.shape[0]))
    return evaluate(table.rates, table.times_h, table.amplitudes, t)


def build_components(doses: Sequence[DoseEvent], subjects: Subjects,
                     params: PkParameters | None = None) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(rates, times_h, amplitudes)`` of a dosing history, fast for many tablets or injections.

    Oral and XR-NTX doses are one unit response scaled and shifted (linearity in dose);
    implants, whose release depends on the removal, go through :func:`build_modes`.
    Shapes: ``(n, m)``, ``(k,)`` sorted, ``(n, k, m)``.
    """
    params = params or PkParameters()
    keys: list[tuple[str, float]] = []
    rate_cols: list[FloatArray] = []
    parts: list[tuple[FloatArray, FloatArray, list[int]]] = []

    def merge(table: ModeTable, times: FloatArray, amps: FloatArray) -> None:
        index = []
        for key, col in zip(table.keys, table.rate_columns, strict=True):
            if key not in keys:
                keys.append(key)
                rate_cols.append(col)
            index.append(keys.index(key))
        parts.append((times, amps, index))

    for form in ("oral", "xr-ntx"):
        chosen = [d for d in doses if d.form == form]
        if chosen:
            unit = build_modes([DoseEvent(form, 0.0, 1.0)], subjects, params)
            amounts = np.array([d.amount_mg for d in chosen])
            amps = amounts[None, :, None] * unit.amplitudes[:, 0:1, :]
            merge(unit, np.array([d.time_h for d in chosen]), amps)
    implants = [d for d in doses if d.form == "implant"]
    if implants:
        table = build_modes(implants, subjects, params)
        merge(table, table.times_h, table.amplitudes)
    n = subjects.n
    if not parts:
        return np.zeros((n, 0)), np.zeros(0), np.zeros((n, 0, 0))
    total = sum(p[0].shape[0] for p in parts)
    times = np.concatenate([p[0] for p in parts])
    amps = np.zeros((n, total, len(keys)))
    offset = 0
    for part_times, part_amps, index in parts:
        k = part_times.shape[0]
        amps[:, offset:offset + k, index] = part_amps
        offset += k
    order = np.argsort(times, kind="stable")
    return np.stack(rate_cols, axis=1), times[order], amps[:, order, :]
