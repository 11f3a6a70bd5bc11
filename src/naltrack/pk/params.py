"""Model parameters of naltrexone, as data: every value with its unit, source and confidence.

Sources are sections of ``../shared/reference/pk.md``. Confidence tags follow that report
(§0): ``S`` stated by the named source, ``S2`` stated by a secondary source, ``D`` derived
by arithmetic from stated numbers, ``A`` a modelling assumption (calibrate before clinical
use). Each field carries its tags in ``dataclasses.field(metadata=...)``;
:func:`describe_parameters` lists them (``docs/pk.md`` is written from it).

One systemic disposition serves every form, so that a patient switching from tablets to
injections is modelled with one clearance: CL 140 L/h (Dunbar 2007 popPK, pk.md §2.3) and
the oral half-life of about 4 h (pk.md §1.1) give V = CL·t½/ln 2 ≈ 808 L, and the oral
AUC of 65 ng·h/mL per 50 mg then gives F ≈ 0.18 (pk.md Appendix A: "F = 0.18 at CL 140").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Confidence = Literal["S", "S2", "D", "A"]


class InvalidPkInput(ValueError):
    """A value the model cannot take; names the field, the value and the limit."""

    def __init__(self, field_name: str, value: object, rule: str) -> None:
        self.field = field_name
        self.value = value
        self.rule = rule
        super().__init__(f"{field_name}: {value!r} {rule}")


def _p(default: float, source: str, confidence: Confidence) -> Any:
    return field(default=default, metadata={"source": source, "confidence": confidence})


@dataclass(frozen=True)
class Disposition:
    """One-compartment disposition of naltrexone, shared by all forms."""

    cl_l_per_h: float = _p(140.0, "pk.md §2.3 Dunbar 2007 popPK (NTX CL 140 L/h)", "S")
    half_life_h: float = _p(4.0, "pk.md §1.1 t½ ~4 h (JCP-1984; Swiss label)", "S")
    #: Dunbar 2007: +0.548 L/h per kg of body weight (pk.md §2.3, §7.2).
    cl_per_kg_l_per_h: float = _p(0.548, "pk.md §2.3 Dunbar 2007 weight covariate on CL", "S")
    #: The weight the covariate is centred on is not in the retrieved abstract: UNCONFIRMED default.
    reference_weight_kg: float = _p(70.0, "UNCONFIRMED default: centring weight not retrieved (pk.md §8)", "A")

    @property
    def ke_per_h(self) -> float:
        return math.log(2.0) / self.half_life_h

    @property
    def v_l(self) -> float:
        """Volume implied by CL and t½ (pk.md Appendix A arithmetic)."""
        return self.cl_l_per_h / self.ke_per_h


@dataclass(frozen=True)
class OralParams:
    """Oral tablets: first-order absorption into the shared disposition (pk.md §7.1)."""

    ka_per_h: float = _p(3.0, "pk.md §7.1; calibrated to Tmax ~1 h (0.81–1.09 h, pk.md §1.1)", "D")
    bioavailability: float = _p(0.18, "pk.md Appendix A: F from AUC 64.7 ng·h/mL at CL 140 L/h", "D")
    #: 6β-naltrexol, formed presystemically: naive one-compartment fit (pk.md §7.1).
    metabolite_v_over_fm_l: float = _p(475.0, "pk.md §7.1 naive fit Vm/fm ≈ 475 L", "D")
    metabolite_cl_over_fm_l_per_h: float = _p(25.0, "pk.md §7.1 naive fit CLm/fm ≈ 25 L/h (t½ ≈ 13 h)", "D")


@dataclass(frozen=True)
class XrNtxParams:
    """XR-NTX 380 mg: three release streams feeding the shared disposition (pk.md §7.2).

    The burst is first order; the second peak and the erosion phase each pass two
    first-order steps (rates ``r`` and ``0.7·r``), which keeps the model a sum of
    exponentials. Fractions and rates were fitted to the pk.md Appendix A surrogate (2 h,
    1, 2, 7, 14, 21, 28, 35 d) and the day-30 trough 1.5 ng/mL (Wang 2014, pk.md §2.3); the
    second-stream rate was then lowered from the fitted 0.040/h so that the second peak falls
    inside the label's 2–3 days (pk.md §2.2).
    """

    burst_fraction: float = _p(0.022, "pk.md Appendix A surrogate (≈3% burst), refitted", "A")
    burst_ka_per_h: float = _p(math.log(2.0) / 0.7, "pk.md §7.2 burst t½ 0.7 h", "A")
    second_fraction: float = _p(0.18, "pk.md §7.2 second peak at 2–3 d (≈25%), refitted", "A")
    second_rate_per_h: float = _p(0.032, "fitted, slowed to put the second peak at 2.2 d (pk.md §2.2: 2–3 d)", "A")
    erosion_rate_per_h: float = _p(0.0049, "fitted: decline from ~day 14, apparent t½ 5–10 d (pk.md §2.2)", "A")
    step_ratio: float = _p(0.7, "second of the two release steps runs at 0.7× the first (shape choice)", "A")

    @property
    def erosion_fraction(self) -> float:
        return 1.0 - self.burst_fraction - self.second_fraction


@dataclass(frozen=True)
class ImplantProduct:
    """One implant product: zero-order release for ``plateau_days``, then first-order decline.

    The whole dose is released (F = 1): R0 = dose / (plateau + tau). The plateau and tau
    reproduce the sourced durations above 2 and 1 ng/mL (pk.md §3, §7.3).
    """

    dose_mg: float
    plateau_days: float
    tau_days: float
    above_2_days: float
    above_1_days: float | None
    source: str
    confidence: Confidence = "A"


#: Implants with published durations (pk.md §3). The 1.1/2.2/3.3 g products have only the
#: ≥2 ng/mL duration: their tail tau of 30 d is an assumption, and so is their ≥1 ng/mL time.
IMPLANT_PRODUCTS: tuple[ImplantProduct, ...] = (
    ImplantProduct(1100.0, 84.0, 30.0, 95.0, None, "pk.md §3 Go Medical 2008: ≥2 ng/mL 95 d; tail tau assumed"),
    ImplantProduct(1700.0, 12.0, 66.4, 90.0, 136.0, "pk.md §3 Go Medical 1.7 g: >2 ng/mL 90 d, >1 ng/mL 136 d"),
    ImplantProduct(2200.0, 110.5, 30.0, 136.0, None, "pk.md §3 Go Medical 2008: ≥2 ng/mL 136 d; tail tau assumed"),
    ImplantProduct(3300.0, 106.5, 30.0, 145.0, None, "pk.md §3 Go Medical 2008: ≥2 ng/mL 145 d; tail tau assumed"),
    ImplantProduct(3400.0, 38.0, 157.3, 188.0, 297.0, "pk.md §3 Go Medical 3.4 g: >2 ng/mL 188 d, >1 ng/mL 297 d"),
)


def find_implant_product(dose_mg: float) -> ImplantProduct:
    """The calibrated product nearest in dose (its release shape is used, scaled to the dose).

    Examples
    --------
    >>> find_implant_product(1800).dose_mg
    1700.0
    """
    return min(IMPLANT_PRODUCTS, key=lambda p: abs(p.dose_mg - dose_mg))


@dataclass(frozen=True)
class Variability:
    """Inter-individual variability: SD of log-normal random effects (omega), pk.md §7.

    Every omega is an assumption [A] (no published omega for naltrexone, pk.md §8). They
    were set so that the XR-NTX day-30 trough has CV ≈ 50% (Wang 2014, pk.md §2.3).
    """

    omega_cl: float = _p(0.35, "pk.md §7.2 ~50% CV on exposure, split over CL and release", "A")
    omega_ka_oral: float = _p(0.70, "pk.md §7.1 IIV ka ~70% (nalmefene analogue)", "A")
    omega_f_oral: float = _p(0.20, "pk.md §7.1 IIV F ~20% (nalmefene analogue)", "A")
    omega_release_xr: float = _p(0.35, "pk.md §7.2 IIV on release rates (Wang 2014 trough CV)", "A")
    omega_release_implant: float = _p(0.20, "pk.md §7.3 spread of the 95% CIs of durations", "A")
    weight_median_kg: float = _p(80.0, "virtual population body weight, median", "A")
    omega_weight: float = _p(0.20, "virtual population body weight, log-SD", "A")


@dataclass(frozen=True)
class BlockadeParams:
    """Mu-opioid receptor blockade: an effect compartment and an Emax occupancy (docs/pk.md "Blockade").

    The receptor sees plasma naltrexone plus 6β-naltrexol weighted by its central potency,
    through an effect compartment (first order, ``effect_half_life_h``). Occupancy is
    ``Ce / (Ce + EC50)``; EC50 follows from the Trøstheim 2022 dose curve (ED50 5.59 mg
    within 8 h, pk.md §4.3). A subject is *blocked* while occupancy >= ``blocked_occupancy``.

    The effect half-life is not Lee 1988's 72–108 h itself: that is the half-time of the
    *occupancy*, which with an Emax falls far slower than Ce near saturation; 16 h gives an
    occupancy half-time of about 100 h after 50 mg. An effect compartment with a 72–108 h
    half-life cannot meet the label's oral durations and Comer's XR-NTX end together
    (docs/pk.md, "Why not a 72–108 h effect half-life").
    """

    effect_half_life_h: float = _p(16.0, "pk.md §4.3 Lee 1988: occupancy half-time 72–108 h after 50 mg, fitted", "D")
    metabolite_potency: float = _p(
        0.05, "pk.md §4.3: 6β-naltrexol ~½ NTX MOR affinity × ~1/10 central penetration", "D")
    depot_metabolite_ratio: float = _p(
        2.6, "pk.md §2.3 Galloway 2005: 6β-naltrexol 1.51–5.52 vs NTX 0.58–2.04 ng/mL after depot", "D")
    ed50_mg: float = _p(5.592841, "pk.md §4.3 Trøstheim 2022 / Rabiner 2011: MOR ED50 within 8 h of oral NTX", "S")
    ed50_time_h: float = _p(8.0, "pk.md §4.3 Trøstheim 2022: occupancies measured within 8 h of the dose", "S")
    blocked_occupancy: float = _p(
        0.81, "calibrated: oral 50/100/150 mg 24/48/72 h (label, pk.md §1.2), XR-NTX ends d28–35 (§4.2)", "D")
    omega_metabolite: float = _p(0.30, "6β-naltrexol exposure IIV (Dunbar 2007 CL covariates, no ω, pk.md §2.3)", "A")

    def __post_init__(self) -> None:
        if not 0.0 < self.blocked_occupancy < 1.0:
            raise InvalidPkInput("blocked_occupancy", self.blocked_occupancy, "must be above 0 and below 1")
        if not self.effect_half_life_h > 0.0:
            raise InvalidPkInput("effect_half_life_h", self.effect_half_life_h, "must be greater than 0 h")

    @property
    def keo_per_h(self) -> float:
        return math.log(2.0) / self.effect_half_life_h


@dataclass(frozen=True)
class PkParameters:
    """All typical values and variabilities of the model."""

    disposition: Disposition = field(default_factory=Disposition)
    oral: OralParams = field(default_factory=OralParams)
    xr_ntx: XrNtxParams = field(default_factory=XrNtxParams)
    variability: Variability = field(default_factory=Variability)
    blockade: BlockadeParams = field(default_factory=BlockadeParams)


@dataclass(frozen=True)
class ParameterInfo:
    """One line of the parameter table."""

    group: str
    name: str
    value: float
    source: str
    confidence: str


def describe_parameters(params: PkParameters | None = None) -> list[ParameterInfo]:
    """Every parameter with its value, source and confidence.

    Examples
    --------
    >>> info = {p.name: p for p in describe_parameters()}
    >>> info["cl_l_per_h"].value, info["cl_l_per_h"].confidence
    (140.0, 'S')
    """
    params = params or PkParameters()
    rows: list[ParameterInfo] = []
    for group in (params.disposition, params.oral, params.xr_ntx, params.variability, params.blockade):
        for f in fields(group):
            rows.append(ParameterInfo(type(group).__name__, f.name, float(getattr(group, f.name)),
                                      str(f.metadata.get("source", "")), str(f.metadata.get("confidence", ""))))
    return rows
