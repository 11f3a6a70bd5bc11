"""The dates and the amount per day of a medicine, from a FHIR R4 MedicationStatement, MedicationRequest or
MedicationDispense (handed over on ``whenHandedOver``, lasting its ``daysSupply``):
:func:`medication_dates` (start, last dose, end, days' supply) and :func:`daily_dose_mg` from its Dosage
(``dosage`` or ``dosageInstruction``).

Each Dosage in milligrams (``doseAndRate[].doseQuantity`` with UCUM ``mg``) and a timing of
``frequency`` per ``period`` ``periodUnit`` (``h``, ``d`` or ``wk``) gives mg per day; the Dosages
of one resource add up (e.g. a morning and an evening line). A Dosage in another unit (tablets),
without a timing or only ``asNeeded`` is not an amount per day, and then none is kept. The domain
reads it for loperamide, which above a daily amount counts as opioid exposure
(:func:`naltrack.domain.rules.facts.loperamide_exposure`).
"""

from __future__ import annotations

from datetime import date, timedelta

from naltrack.adapters.fhir.json_paths import At
from naltrack.domain.errors import InvalidInput

#: Days in one period unit (UCUM units of ``Timing.repeat.periodUnit``).
_PER_DAY: dict[str, float] = {"h": 1 / 24, "d": 1.0, "wk": 7.0}
_DOSAGE_KEY = {"MedicationStatement": "dosage", "MedicationRequest": "dosageInstruction",
               "MedicationDispense": "dosageInstruction"}


def daily_dose_mg(at: At) -> float | None:
    """Milligrams per day stated by the Dosages of a MedicationStatement or MedicationRequest, or ``None``.

    Examples
    --------
    >>> statement = {"resourceType": "MedicationStatement", "dosage": [{
    ...     "timing": {"repeat": {"frequency": 4, "period": 1, "periodUnit": "d"}},
    ...     "doseAndRate": [{"doseQuantity": {"value": 16, "unit": "mg", "system": "http://unitsofmeasure.org",
    ...                                       "code": "mg"}}]}]}
    >>> daily_dose_mg(At(statement, "MedicationStatement"))
    64.0
    """
    kind = at.get("resourceType")
    key = _DOSAGE_KEY.get(kind.text() if kind is not None else "")
    if key is None:
        return None
    total = 0.0
    for dosage in at.list_of(key):
        amount = _per_day(dosage)
        if amount is None:
            return None
        total += amount
    return total or None


def _per_day(dosage: At) -> float | None:
    dose = next((d.get("doseQuantity") for d in dosage.list_of("doseAndRate") if d.get("doseQuantity")), None)
    timing = dosage.get("timing")
    repeat = timing.get("repeat") if timing is not None else None
    if dose is None or repeat is None or repeat.get("period") is None:
        return None
    unit = dose.get("code") or dose.get("unit")
    if unit is None or unit.text().strip().lower() != "mg":
        return None
    value = _positive(dose.need("value", "the dose"))
    frequency_at = repeat.get("frequency")
    frequency = _positive(frequency_at) if frequency_at is not None else 1.0
    period = _positive(repeat.need("period", "the period of the timing"))
    unit_at = repeat.need("periodUnit", "the unit of the period (h, d or wk)")
    days = _PER_DAY.get(unit_at.text())
    if days is None:
        raise InvalidInput(unit_at.path, unit_at.text(), "must be h, d or wk to give an amount per day")
    return value * frequency / (period * days)


def _positive(at: At) -> float:
    number = at.number()
    if number <= 0:
        raise InvalidInput(at.path, number, "must be greater than 0")
    return number


def medication_dates(at: At) -> tuple[date, date | None, date | None, int | None]:
    """``(start, last dose, end, days' supply)`` of a MedicationStatement, MedicationRequest or MedicationDispense."""
    period = at.get("effectivePeriod")
    point = at.get("effectiveDateTime")
    last_at = (period.get("end") if period else None) or point
    bounds = bounds_end(at)
    last = last_at.day() if last_at else (bounds.day() if bounds else None)
    start_at = (period.get("start") if period else None) or at.get("authoredOn") or point or at.get("dateAsserted") \
        or at.get("whenHandedOver") or at.get("whenPrepared")
    if start_at is None:
        raise InvalidInput(f"{at.path}.effectivePeriod.start", None,
                           "is required (effectiveDateTime, effectivePeriod, authoredOn or whenHandedOver)")
    start = start_at.day()
    supply = days_supply(at)
    status = at.get("status")
    dispensed = at.get("whenHandedOver") is not None or at.get("whenPrepared") is not None
    # a completed dispense was handed over: its days' supply, not its status, says how long it lasts
    stopped = status is not None and (status.text() == "stopped" or (status.text() == "completed" and not dispensed))
    end = last
    if end is None and stopped:
        end = start + timedelta(days=supply - 1) if supply else start
    return start, last, end, supply


def bounds_end(at: At) -> At | None:
    """The end of the first ``dosageInstruction.timing.repeat.boundsPeriod`` that has one."""
    for dosage in at.list_of("dosageInstruction"):
        timing = dosage.get("timing")
        repeat = timing.get("repeat") if timing else None
        bounds = repeat.get("boundsPeriod") if repeat else None
        if bounds is not None and bounds.get("end") is not None:
            return bounds.get("end")
    return None


def days_supply(at: At) -> int | None:
    """``dispenseRequest.expectedSupplyDuration`` (a request) or ``daysSupply`` (a dispense) in days; another unit
    is an error naming it."""
    dispense = at.get("dispenseRequest")
    duration = (dispense.get("expectedSupplyDuration") if dispense else None) or at.get("daysSupply")
    if duration is None:
        return None
    value = duration.need("value", "days of supply")
    unit = (duration.get("code") or duration.get("unit") or At("d", "")).text()
    if unit not in ("d", "day", "days"):
        raise InvalidInput(f"{duration.path}.unit", unit, "must be days (d)")
    return int(value.number())
