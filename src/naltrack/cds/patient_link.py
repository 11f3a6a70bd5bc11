"""What the EHR says about its patient, as evidence for linking to naltrack's patient (never the id).

The EHR's ``Patient`` (the one whose id is ``context.patientId``) is read as it was sent, before any
leniency fills a partial birth date in: identifiers (system and value), the current name, the birth
date as precise as given. :func:`naltrack.services.cds.link_ehr_patient` links on these only
(:func:`naltrack.domain.identity.match_person`). Anything unreadable is left out, never an error: it
can only make a link less likely.
"""

from __future__ import annotations

from typing import Any

from naltrack.domain.errors import InvalidInput
from naltrack.domain.identity import Demographics, PartialDate
from naltrack.domain.person_data import Identifier

#: Name uses that are not the person's current name (FHIR HumanName.use).
_PAST_NAMES = ("old", "maiden", "anonymous", "temp", "nickname")


def ehr_patient(resources: list[dict[str, Any]], patient_id: str) -> dict[str, Any] | None:
    """The EHR's Patient resource with id ``patient_id``, or ``None``."""
    for resource in resources:
        if resource.get("resourceType") == "Patient" and resource.get("id") == patient_id:
            return resource
    return None


def demographics_of(patient: dict[str, Any]) -> Demographics:
    """The identifiers, current name and birth date a FHIR ``Patient`` gives."""
    family, given = _current_name(patient.get("name"))
    birth = patient.get("birthDate")
    return Demographics(family=family, given=given, birth_date=_partial_date(birth),
                        identifiers=_identifiers(patient.get("identifier")))


def _identifiers(value: Any) -> tuple[Identifier, ...]:
    found: dict[tuple[str, str], Identifier] = {}
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("system"), str) \
                or not isinstance(item.get("value"), str):
            continue
        try:
            identifier = Identifier(item["system"], item["value"])
        except InvalidInput:
            continue
        found.setdefault(identifier.key, identifier)
    return tuple(found.values())


def _current_name(value: Any) -> tuple[str | None, str | None]:
    names = [n for n in value if isinstance(n, dict)] if isinstance(value, list) else []
    current = [n for n in names if n.get("use") not in _PAST_NAMES]
    chosen = next((n for n in current if n.get("use") == "official"), current[0] if current else None)
    if chosen is None:
        return None, None
    family = chosen.get("family") if isinstance(chosen.get("family"), str) else None
    given = chosen.get("given")
    first = given[0] if isinstance(given, list) and given and isinstance(given[0], str) else None
    return family, first


def _partial_date(value: Any) -> PartialDate | None:
    if not isinstance(value, str):
        return None
    try:
        return PartialDate.parse(value)
    except InvalidInput:
        return None
