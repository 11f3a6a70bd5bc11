"""What a CDS service could not see, said plainly on a card.

An empty answer reads as "no problem". When part of the record the service asked for could not be
had (not prefetched and no usable ``fhirServer``, an OperationOutcome in its place, a FHIR server
that did not answer, an undated medication), the answer carries one **warning** card naming each
part and why, so that the absence of another card is never taken for "not on naltrexone"
(CDS Hooks 2.0 "Prefetch": a service that cannot obtain data it needs must not pretend it had it).
When the service cannot work at all (no Patient), the answer is 412 instead
(:func:`naltrack.cds.problems.precondition_failed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from naltrack.cds.cards import Card

RULE = "CDS-DATA-MISSING"
SOURCE = "CDS Hooks 2.0, Prefetch"
#: What each prefetch key holds, as a clinician reads it.
WHAT = {
    "patient": "the patient",
    "conditions": "the problem list",
    "medicationRequests": "the medication list (orders)",
    "medicationAdministrations": "the medication list (administrations)",
    "medicationStatements": "the medication list (statements)",
    "observations": "the observations (last use, drug screens, pregnancy)",
    "allergies": "the allergy list",
}
MEDICATION_KEYS = ("medicationRequests", "medicationAdministrations", "medicationStatements")


@dataclass(frozen=True)
class DataGap:
    """One part of the record that could not be seen (``key``: a prefetch key or ``Type/id``), and why."""

    key: str
    reason: str

    @property
    def what(self) -> str:
        return WHAT.get(self.key, self.key)


def gap_card(gaps: Sequence[DataGap]) -> Card | None:
    """The one card saying what could not be seen, or ``None`` when everything was."""
    if not gaps:
        return None
    first = gaps[0]
    medication = next((g for g in gaps if g.key in MEDICATION_KEYS), None)
    if medication is not None:
        summary = f"naltrack could not read the medication list: {medication.reason}"
    else:
        summary = f"naltrack could not read {first.what}: {first.reason}"
    lines = [f"- {g.what}: {g.reason}" for g in gaps]
    detail = ("naltrack could not see all of the record it needs:\n\n" + "\n".join(lines) + "\n\n"
              "**Any other card, or the absence of one, rests only on what naltrack could see:** no warning "
              "does not mean no problem. Check the patient's medications (naltrexone tablets, XR-NTX injection, "
              "implant; opioids) in the EHR before acting.")
    return Card(summary, "warning", SOURCE, detail, RULE, overridable=False)
