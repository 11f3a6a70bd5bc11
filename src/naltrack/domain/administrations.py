"""Administrations: oral doses, XR-NTX injections, implant insertions and removals.

Injection details follow the label (clinical.md §1.2): deep IM gluteal, alternating
buttocks, 380 mg, carton needles of 1.5 or 2 inches; lot and expiry are recorded for
every kit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import IMPLANT_MAX_DOSE_MG, XR_NTX_DOSE_MG, check_oral_dose
from naltrack.domain.units import (
    require_aware,
    require_choice,
    require_not_before,
    require_range,
    require_range_if_given,
    require_text,
)

OralStatus = Literal["taken", "observed", "missed"]
ORAL_STATUSES: tuple[OralStatus, ...] = get_args(OralStatus)
GlutealSide = Literal["left", "right"]
SIDES: tuple[GlutealSide, ...] = get_args(GlutealSide)
#: The needle lengths in the Vivitrol carton, inches (clinical.md §1.2).
NEEDLE_LENGTHS_IN: tuple[float, ...] = (1.5, 2.0)


@dataclass(frozen=True, kw_only=True)
class OralDose(ClinicalRecord):
    """An oral dose: taken (self-reported), observed (witnessed by staff) or missed."""

    taken_at: datetime
    dose_mg: float
    dose_status: OralStatus = "taken"
    regimen_id: str | None = None
    observed_by: str | None = None
    """The staff member who witnessed the dose; required when ``dose_status`` is ``observed`` (a witnessed
    dose), optional otherwise."""

    def __post_init__(self) -> None:
        super().__post_init__()
        require_aware("oral_dose.taken_at", self.taken_at)
        require_choice("oral_dose.dose_status", self.dose_status, ORAL_STATUSES)
        check_oral_dose("oral_dose.dose_mg", self.dose_mg)
        if self.dose_status == "observed" and not self.observed_by:
            raise InvalidInput("oral_dose.observed_by", self.observed_by, "is required for an observed dose")

    @property
    def was_taken(self) -> bool:
        return self.dose_status != "missed"


@dataclass(frozen=True, kw_only=True)
class Injection(ClinicalRecord):
    """An XR-NTX 380 mg deep IM gluteal injection."""

    given_at: datetime
    side: GlutealSide
    lot: str
    expiry: date
    needle_length_in: float
    given_by: str
    dose_mg: float = XR_NTX_DOSE_MG
    regimen_id: str | None = None
    rxnorm: str = "637213"

    def __post_init__(self) -> None:
        super().__post_init__()
        require_aware("injection.given_at", self.given_at)
        require_choice("injection.side", self.side, SIDES)
        require_text("injection.lot", self.lot, 40)
        require_text("injection.given_by", self.given_by, 100)
        if self.needle_length_in not in NEEDLE_LENGTHS_IN:
            raise InvalidInput("injection.needle_length_in", self.needle_length_in,
                               "must be 1.5 or 2 inches (the carton needles, clinical.md §1.2)")
        if self.dose_mg != XR_NTX_DOSE_MG:
            raise InvalidInput("injection.dose_mg", self.dose_mg, "must be 380 mg (clinical.md §1.2)")
        require_not_before("injection.expiry", self.expiry, self.given_at.date(), "the injection date")


@dataclass(frozen=True, kw_only=True)
class ImplantInsertion(ClinicalRecord):
    """A subcutaneous naltrexone implant (compounded; clinical.md §1.3)."""

    inserted_at: datetime
    dose_mg: float
    product: str
    inserted_by: str
    expected_duration_days: int | None = None
    """How long the product is stated to block, 14 to 365 days: the implant then blocks for that long and
    the next dose falls due at its end; ``None`` leaves the end to the blockade model."""
    site: str = "lower abdomen"
    lot: str | None = None
    regimen_id: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_aware("implant.inserted_at", self.inserted_at)
        require_range("implant.dose_mg", self.dose_mg, 1, IMPLANT_MAX_DOSE_MG, "mg")
        require_text("implant.product", self.product)
        require_text("implant.inserted_by", self.inserted_by, 100)
        require_range_if_given("implant.expected_duration_days", self.expected_duration_days, 14, 365, "days")


@dataclass(frozen=True, kw_only=True)
class ImplantRemoval(ClinicalRecord):
    """Removal of an implant before it is spent (e.g. surgery, adverse event)."""

    implant_id: str
    """The :class:`ImplantInsertion` taken out, a record of the same patient; its release stops at
    ``removed_at``."""
    removed_at: datetime
    reason: str
    removed_by: str

    def __post_init__(self) -> None:
        super().__post_init__()
        require_aware("implant_removal.removed_at", self.removed_at)
        require_text("implant_removal.implant_id", self.implant_id, 64)
        require_text("implant_removal.reason", self.reason)
        require_text("implant_removal.removed_by", self.removed_by, 100)


def suggest_injection_side(previous: Injection | None) -> GlutealSide:
    """The buttock for the next injection: the other one (clinical.md §1.2, alternate buttocks).

    Examples
    --------
    >>> suggest_injection_side(None)
    'left'
    """
    if previous is None:
        return "left"
    return "right" if previous.side == "left" else "left"
