"""naltrack's own naltrexone orders read back from FHIR: a MedicationRequest that carries the
``regimen-kind`` extension (written by :func:`naltrack.adapters.fhir.r4_medications.regimen_request`)
is a :class:`~naltrack.domain.regimens.Regimen` again, so that an exported chart read back keeps its
orders, and with them its due dates (an outside prescription stays a medication use).

FHIR elements read (R4 MedicationRequest): ``authoredOn`` (start), ``dispenseRequest.validityPeriod.end``
or ``dosageInstruction.timing.repeat.boundsPeriod.end`` (end), ``dosageInstruction.doseAndRate.doseQuantity``
(dose; one dosage per weekday for a weekly schedule), ``timing.repeat.period`` in days (the XR-NTX
interval), ``dispenseRequest.expectedSupplyDuration`` (days' supply), ``requester.display``, ``note``,
``reasonCode`` (the indication: the disorders' SNOMED CT concepts as the export writes them, or its text),
and naltrack's extensions for what FHIR has no element for (implant product and duration, the oral
test dose at induction).
"""

from __future__ import annotations

from datetime import date

from naltrack.adapters.fhir.bundle_dosage import bounds_end, days_supply
from naltrack.adapters.fhir.codes import INDICATION_CONCEPTS
from naltrack.adapters.fhir.json_paths import At
from naltrack.adapters.fhir.r4_common import read_extension
from naltrack.domain.episodes import INDICATION_LABELS
from naltrack.domain.errors import InvalidInput
from naltrack.domain.regimens import Regimen, ScheduledDose


def read_regimen(at: At, rid: str, patient_id: str, code: str) -> Regimen | None:
    """The naltrexone order of a MedicationRequest written by naltrack, else ``None``."""
    kind = read_extension(at, "regimen-kind", "valueCode")
    if kind is None:
        return None
    dosages = at.list_of("dosageInstruction")
    doses = [_dose(d) for d in dosages]
    schedule = tuple(ScheduledDose(_weekday(d), dose) for d, dose in zip(dosages, doses, strict=True)
                     if dose is not None) if kind.text() == "oral-schedule" else ()
    duration = read_extension(at, "expected-duration", "valueQuantity")
    product = read_extension(at, "implant-product", "valueString")
    test_dose = read_extension(at, "induction-test-dose", "valueBoolean")
    requester = at.get("requester")
    notes = at.list_of("note")
    try:
        return Regimen(
            id=rid, patient_id=patient_id, kind=kind.text(),  # type: ignore[arg-type]
            start=at.need("authoredOn", "the start of the order").day(), end=_end(at),
            dose_mg=next((d for d in doses if d is not None), 0.0), schedule=schedule,
            interval_days=_interval_days(dosages) if kind.text().startswith("xr-ntx") else None,
            expected_duration_days=int(duration.need("value", "days").number()) if duration is not None else None,
            implant_product=product.text() if product is not None else None,
            induction_test_dose=test_dose.boolean() if test_dose is not None else False,
            prescriber=_text(requester.get("display")) if requester is not None else None,
            rxnorm=code, days_supply=days_supply(at), note=_text(notes[0].get("text")) if notes else None,
            indication=_indication(at))  # type: ignore[arg-type]
    except InvalidInput as error:
        raise InvalidInput(f"{at.path} ({error.field})", error.value, error.rule) from error


def _indication(at: At) -> str | None:
    """The indication whose disorders are exactly the ``reasonCode`` concepts, or, with no concept, whose name is
    a reason's text; ``None`` when the order names none of them."""
    reasons = at.list_of("reasonCode")
    coded = {(_text(c.get("system")), _text(c.get("code"))) for r in reasons for c in r.list_of("coding")}
    texts = {_text(r.get("text")) for r in reasons}
    for indication, disorders in INDICATION_CONCEPTS.items():
        named = bool(coded) or INDICATION_LABELS[indication] in texts
        if named and coded == {(system, code) for system, code, _ in disorders}:
            return indication
    return None


def _text(at: At | None) -> str | None:
    return at.text() if at is not None else None


def _dose(dosage: At) -> float | None:
    for rate in dosage.list_of("doseAndRate"):
        quantity = rate.get("doseQuantity")
        if quantity is not None:
            return quantity.need("value", "the dose in mg").number()
    return None


def _repeat(dosage: At) -> At | None:
    timing = dosage.get("timing")
    return timing.get("repeat") if timing is not None else None


def _weekday(dosage: At) -> str:
    repeat = _repeat(dosage)
    days = repeat.list_of("dayOfWeek") if repeat is not None else []
    if len(days) != 1:
        raise InvalidInput(f"{dosage.path}.timing.repeat.dayOfWeek", None,
                           "must name one weekday per dosage of a weekly schedule")
    return days[0].text()


def _interval_days(dosages: list[At]) -> int | None:
    for dosage in dosages:
        repeat = _repeat(dosage)
        period, unit = (repeat.get("period"), repeat.get("periodUnit")) if repeat is not None else (None, None)
        if period is not None and unit is not None and unit.text() == "d":
            return int(period.number())
    return None


def _end(at: At) -> date | None:
    request = at.get("dispenseRequest")
    validity = request.get("validityPeriod") if request is not None else None
    end = (validity.get("end") if validity is not None else None) or bounds_end(at)
    return end.day() if end is not None else None
