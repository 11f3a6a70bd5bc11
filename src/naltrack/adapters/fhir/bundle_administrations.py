"""FHIR R4 MedicationAdministration of naltrexone -> doses, injections, implants (used by the bundle reader).

What an administration becomes is decided by the medicine's class, as
:func:`~naltrack.domain.terminology.resolve_rxnorm` reads its code (:func:`administered_code`): HCPCS
J2315 or RxNorm 637213 is XR-NTX (clinical.md §8.1), the oral products are oral naltrexone, the
catalog's local code is an implant (clinical.md §1.3).
Opioids and every other medicine are not read here: the reader keeps them as medication uses.

A domain administration is built only when the resource states every fact that record
requires; no default fills a gap. Naltrack's export writes them all
(:mod:`naltrack.adapters.fhir.r4_medications`); an outside EHR's administration often lacks
some (no needle length, no lot), and is then kept as a medication use on its date, as the
reader keeps any medicine, so the rules still see that naltrexone was given:

* **XR-NTX -> Injection**, when ``status`` is ``completed`` and it has the side (``dosage.site``:
  text or a display naming left or right, or HL7 v3 ActSite ``LG``/``RG``), the lot and expiry
  (``batch`` of the contained Medication named by ``medicationReference``), the needle length
  (naltrack extension ``needle-length``, inches) and who gave it (``performer[0].actor``). The
  dose, when stated, must be 380 mg (the one strength, clinical.md §1.2).
* **Oral -> OralDose**, when ``status`` is ``completed``, ``in-progress`` or ``not-done`` and the
  dose is stated in mg. The naltrack extension ``dose-status`` (taken, observed, missed) is read
  when present; otherwise ``not-done`` is a missed dose, and a dose with a ``performer`` was given
  by staff, so observed by them; without a performer it was taken.
* **Implant -> ImplantInsertion**, when ``status`` is ``completed`` or ``in-progress`` and it has
  the dose in mg, the site and who inserted it; the product is a ``note`` ``product: ...``, else the
  medicine's text, else the catalog's name of its code. A ``statusReason`` ``removed: <reason>``
  with ``effectivePeriod.end`` (naltrack's encoding) adds an ``ImplantRemoval`` at that end; who
  removed it is not in the resource, so :data:`REMOVER_NOT_RECORDED` says so.

A naltrexone administration that is ``not-done`` (other than an oral dose) was not given and is
not read. ``request`` is not kept as the record's regimen: the reader reads orders as medication
uses, not regimens, so the link would point at nothing. Facts that are present but impossible (a
needle of 1 inch, an expired kit, a 100 mg injection) are errors naming the element path, never a
silent fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeVar

from naltrack.adapters.fhir.json_paths import At, codings, concept_text
from naltrack.adapters.fhir.r4_common import read_extension
from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.errors import InvalidInput
from naltrack.domain.terminology import resolve_rxnorm

HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
#: HCPCS J2315 "Injection, naltrexone, depot form, 1 mg" (clinical.md §8.1): XR-NTX.
XR_NTX_HCPCS = (HCPCS, "J2315")
ACT_SITE = "http://terminology.hl7.org/CodeSystem/v3-ActSite"
#: HL7 v3 ActSite left and right gluteus medius.
SITE_SIDE = {(ACT_SITE, "LG"): "left", (ACT_SITE, "RG"): "right"}
#: Who removed an implant when the resource (naltrack's encoding included) does not say.
REMOVER_NOT_RECORDED = "not recorded in the FHIR record"
_FORM = {"naltrexone-oral": "oral", "naltrexone-xr": "xr-ntx", "naltrexone-implant": "implant"}

Outcome = Literal["read", "use", "not-given"]
R = TypeVar("R")


@dataclass
class Administrations:
    """What the naltrexone administrations of one bundle add to the chart."""

    oral_doses: list[OralDose] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    implants: list[ImplantInsertion] = field(default_factory=list)
    removals: list[ImplantRemoval] = field(default_factory=list)


def administered_code(at: At, concept: At | None, catalog_code: str | None) -> str | None:
    """The catalog code of an administered medicine: J2315 is XR-NTX; the ingredient naltrexone
    (RxNorm 7243) is placed by the route and text (intramuscular: XR-NTX, subcutaneous: implant)."""
    if XR_NTX_HCPCS in [key for key, _ in codings(concept)]:
        return "637213"
    if catalog_code != "7243":
        return catalog_code
    dosage = at.get("dosage")
    route = concept_text(dosage.get("route")).lower() if dosage is not None else ""
    words = f"{concept_text(concept)} {route}".lower()
    if "intramuscular" in words or "inject" in words or "380" in words:
        return "637213"
    if "subcutaneous" in words or "implant" in words or "pellet" in words:
        return "NTX-IMPLANT"
    return catalog_code


def read_administration(at: At, rid: str, pid: str, code: str, kit: At | None, out: Administrations) -> Outcome:
    """Add a naltrexone administration to ``out`` (``read``), or say it is a medication use
    (``use``: another medicine, or facts missing) or was not given (``not-given``)."""
    med = resolve_rxnorm(code)
    form = _FORM.get(med.medication_class) if med is not None else None
    status = (at.get("status") or At("unknown", "")).text()
    if med is None or form is None:
        return "not-given" if status == "not-done" else "use"
    if form == "oral":
        return _oral(at, rid, pid, status, out)
    if status == "not-done":
        return "not-given"
    if form == "xr-ntx":
        return _injection(at, rid, pid, code, status, kit, out)
    return _implant(at, rid, pid, med.display, status, out)


def _oral(at: At, rid: str, pid: str, status: str, out: Administrations) -> Outcome:
    dose = _dose_mg(at)
    if status == "not-done" and dose is None:
        return "not-given"
    if status not in ("completed", "in-progress", "not-done") or dose is None:
        return "use"
    performer = _performer(at)
    marked = read_extension(at, "dose-status", "valueCode")
    dose_status: str = marked.text() if marked is not None else (
        "missed" if status == "not-done" else "observed" if performer else "taken")
    taken_at = _when(at)
    record = _built(at, lambda: OralDose(
        id=rid, patient_id=pid, taken_at=taken_at, dose_mg=dose, dose_status=dose_status,  # type: ignore[arg-type]
        observed_by=performer), {
        "oral_dose.dose_status": "extension", "oral_dose.dose_mg": "dosage.dose.value",
        "oral_dose.observed_by": "performer"})
    out.oral_doses.append(record)
    return "read"


def _injection(at: At, rid: str, pid: str, code: str, status: str, kit: At | None,
               out: Administrations) -> Outcome:
    dose = _dose_mg(at)
    batch = kit.get("batch") if kit is not None else None
    lot = batch.get("lotNumber") if batch is not None else None
    expiry = batch.get("expirationDate") if batch is not None else None
    needle = read_extension(at, "needle-length", "valueQuantity")
    side, given_by = _side(at), _performer(at)
    if status != "completed" or None in (side, lot, expiry, needle, given_by):
        return "use"
    assert lot is not None and expiry is not None and needle is not None and given_by is not None  # typing
    given_at = _when(at)
    shot = _built(at, lambda: Injection(
        id=rid, patient_id=pid, given_at=given_at, side=side, lot=lot.text(),  # type: ignore[arg-type]
        expiry=expiry.day(), needle_length_in=needle.need("value", "the needle length in inches").number(),
        given_by=given_by, dose_mg=380.0 if dose is None else dose, rxnorm=code), {
        "injection.lot": f"{lot.path}", "injection.expiry": f"{expiry.path}",
        "injection.needle_length_in": f"{needle.path}.value", "injection.dose_mg": "dosage.dose.value",
        "injection.side": "dosage.site", "injection.given_by": "performer"})
    out.injections.append(shot)
    return "read"


def _implant(at: At, rid: str, pid: str, display: str, status: str, out: Administrations) -> Outcome:
    dose, inserter = _dose_mg(at), _performer(at)
    dosage = at.get("dosage")
    site = concept_text(dosage.get("site")) if dosage is not None else ""
    if status not in ("completed", "in-progress") or dose is None or not site or inserter is None:
        return "use"
    notes = {key: value for key, value in (_note(n) for n in at.list_of("note")) if key}
    concept = at.get("medicationCodeableConcept")
    product = notes.get("product") or concept_text(concept) or display
    duration = read_extension(at, "expected-duration", "valueQuantity")
    inserted_at = _when(at)
    implant = _built(at, lambda: ImplantInsertion(
        id=rid, patient_id=pid, inserted_at=inserted_at, dose_mg=dose, product=product, inserted_by=inserter,
        expected_duration_days=int(duration.need("value", "days").number()) if duration is not None else None,
        site=site, lot=notes.get("lot")), {
        "implant.dose_mg": "dosage.dose.value", "implant.expected_duration_days": "extension",
        "implant.inserted_by": "performer", "implant.product": "note"})
    out.implants.append(implant)
    removal = _removal(at, implant)
    if removal is not None:
        out.removals.append(removal)
    return "read"


def _removal(at: At, implant: ImplantInsertion) -> ImplantRemoval | None:
    reasons = [concept_text(r) for r in at.list_of("statusReason")]
    reason = next((r[len("removed:"):].strip() for r in reasons if r.lower().startswith("removed:")), None)
    period = at.get("effectivePeriod")
    end = period.get("end") if period is not None else None
    if reason is None or end is None:
        return None
    removed_at = end.moment()
    if removed_at < implant.inserted_at:
        raise InvalidInput(end.path, end.text(), f"is before the insertion {implant.inserted_at.isoformat()}")
    return ImplantRemoval(id=f"{implant.id}.removal", patient_id=implant.patient_id, implant_id=implant.id,
                          removed_at=removed_at, reason=reason or "not stated", removed_by=REMOVER_NOT_RECORDED)


def _when(at: At) -> datetime:
    """``effectiveDateTime``, else ``effectivePeriod.start``: when it was given (required)."""
    point = at.get("effectiveDateTime")
    if point is not None:
        return point.moment()
    period = at.get("effectivePeriod")
    start = period.get("start") if period is not None else None
    if start is None:
        raise InvalidInput(f"{at.path}.effectiveDateTime", None, "is required (when it was given)")
    return start.moment()


def _dose_mg(at: At) -> float | None:
    """``dosage.dose`` in mg; ``None`` when absent or in another unit (a count of tablets says no mg)."""
    dosage = at.get("dosage")
    dose = dosage.get("dose") if dosage is not None else None
    if dose is None:
        return None
    unit = dose.get("code") or dose.get("unit")
    if unit is None or unit.text().lower() not in ("mg", "milligram", "milligrams"):
        return None
    return dose.need("value", "the dose in mg").number()


def _side(at: At) -> str | None:
    dosage = at.get("dosage")
    site = dosage.get("site") if dosage is not None else None
    if site is None:
        return None
    for key, _ in codings(site):
        if key in SITE_SIDE:
            return SITE_SIDE[key]
    words = " ".join([concept_text(site), *(display for _, display in codings(site))]).lower().split()
    sides = {word for word in words if word in ("left", "right")}
    return sides.pop() if len(sides) == 1 else None


def _performer(at: At) -> str | None:
    for performer in at.list_of("performer"):
        actor = performer.get("actor")
        name = (actor.get("display") or actor.get("reference")) if actor is not None else None
        if name is not None and name.text().strip():
            return name.text().strip()
    return None


def _note(note: At) -> tuple[str, str]:
    text = note.get("text")
    key, _, value = (text.text() if text is not None else "").partition(": ")
    return (key.strip(), value.strip()) if value else ("", "")


def _built(at: At, build: Callable[[], R], elements: dict[str, str]) -> R:
    """``build()``, with a domain error restated on the element it came from."""
    try:
        return build()
    except InvalidInput as error:
        element = elements.get(error.field, error.field)
        path = element if element.startswith(at.path) else f"{at.path}.{element}"
        raise InvalidInput(path, error.value, error.rule) from error
