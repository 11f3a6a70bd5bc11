"""Shared pieces of the FHIR R4 export: code systems, references, DS4P labels, validation.

Which FHIR package validates
----------------------------
Resources are plain ``dict`` values validated with ``fhir.resources.R4B`` (FHIR 4.3.0).
fhir.resources 7 and later put R5 at the package root and R4B under ``fhir.resources.R4B``;
strict R4 (4.0.1) needs fhir.resources 6.4 or older, which is built on pydantic 1 and cannot
live beside the pydantic 2 the rest of naltrack uses. R4B changed nothing in the elements we
write for Patient, Condition, MedicationRequest, MedicationAdministration, MedicationStatement,
Observation, QuestionnaireResponse, AllergyIntolerance, Consent, AuditEvent, Provenance and
Bundle (platform-notes.md, "Python environment"), so an R4B-valid resource here is R4-valid.

Security labels follow HL7 DS4P (``hl7.fhir.uv.security-label-ds4p`` 1.0.0; anchors.md §4.2):
every resource about a patient of a 42 CFR Part 2 program carries, in ``meta.security``,
confidentiality ``R`` whose basis extension names ``42CFRPart2``, the ``42CFRPart2`` policy
label, the ``NORDSLCD`` refrain (no redisclosure without consent) and the sensitivity ``SUD``
(plus ``OPIOIDUD`` or ``ETHUD`` by indication). Part 2 protects the identity of a patient as
well as the treatment (42 CFR 2.11, "patient identifying information"), so Patient is labelled.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from naltrack.adapters.fhir.json_paths import At

FhirResource = dict[str, Any]

# Code systems (FHIR R4 terminology; clinical.md §8).
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
V3_ACTCODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_ACTREASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DS4P_BASIS = "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-sec-label-basis"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"

#: Systems of naltrack's own identifiers: ``urn:naltrack:<kind>`` with the record id as value.
#: Import keys on them, so importing the same export twice changes nothing.
IDENTIFIER_SYSTEM = "urn:naltrack:"
#: naltrack-specific elements (needle length, days' supply, ...) as extensions.
EXTENSION_BASE = "urn:naltrack:fhir:extension:"

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_LOCAL_REFERENCE = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")


def fhir_id(record_id: str) -> str:
    """A FHIR ``id`` for a record id: unchanged when legal, else a stable digest.

    >>> fhir_id("inj-42")
    'inj-42'
    >>> fhir_id("a b").startswith("h-")
    True
    """
    if _FHIR_ID.match(record_id):
        return record_id
    return "h-" + hashlib.sha1(record_id.encode()).hexdigest()[:32]


def ref(resource_type: str, record_id: str, display: str | None = None) -> dict[str, str]:
    out = {"reference": f"{resource_type}/{fhir_id(record_id)}"}
    if display:
        out["display"] = display
    return out


def identifier(kind: str, record_id: str) -> list[dict[str, str]]:
    return [{"system": f"{IDENTIFIER_SYSTEM}{kind}", "value": record_id}]


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text or display:
        out["text"] = text or display
    return out


def text_concept(text: str) -> dict[str, str]:
    return {"text": text}


def instant(moment: datetime) -> str:
    """An aware datetime as a FHIR ``dateTime``/``instant`` (seconds, with offset)."""
    return moment.isoformat(timespec="seconds")


def day(value: date) -> str:
    return value.isoformat()


def quantity_mg(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mg", "system": UCUM, "code": "mg"}


def extension(name: str, **value: Any) -> dict[str, Any]:
    """A naltrack extension, e.g. ``extension("needle-length", valueQuantity={...})``."""
    return {"url": EXTENSION_BASE + name, **value}


def read_extension(at: At, name: str, value_key: str) -> At | None:
    """The value (``value_key``, e.g. ``valueCode``) of naltrack's extension ``name`` on a resource read
    back, else ``None`` (the reading side of :func:`extension`)."""
    for ext in at.list_of("extension"):
        url = ext.get("url")
        if url is not None and url.text() == EXTENSION_BASE + name:
            return ext.need(value_key, f"the value of the {name} extension")
    return None


# DS4P labels (anchors.md §4.2).
_PART2_POLICY = coding(V3_ACTCODE, "42CFRPart2", "42 CFR Part2")
_RESTRICTED = {
    **coding(V3_CONFIDENTIALITY, "R", "restricted"),
    "extension": [{"url": DS4P_BASIS, "valueCoding": _PART2_POLICY}],
}
_NO_REDISCLOSURE = coding(V3_ACTCODE, "NORDSLCD", "no redisclosure without consent directive")
_SENSITIVITY = {
    "SUD": coding(V3_ACTCODE, "SUD", "substance use disorder information sensitivity"),
    "OPIOIDUD": coding(V3_ACTCODE, "OPIOIDUD", "opioid use disorder information sensitivity"),
    "ETHUD": coding(V3_ACTCODE, "ETHUD", "alcohol use disorder information sensitivity"),
}


def part2_labels(sensitivities: Iterable[str] = ("SUD",)) -> list[dict[str, Any]]:
    """``meta.security`` for Part 2 data: R (basis 42CFRPart2), the policy, the refrain, sensitivities."""
    labels: list[dict[str, Any]] = [dict(_RESTRICTED), dict(_PART2_POLICY), dict(_NO_REDISCLOSURE)]
    seen: set[str] = set()
    for name in ("SUD", *sensitivities):
        if name not in seen and name in _SENSITIVITY:
            labels.append(dict(_SENSITIVITY[name]))
            seen.add(name)
    return labels


def is_part2_labelled(resource: Mapping[str, Any]) -> bool:
    """True when ``meta.security`` carries the 42CFRPart2 policy label."""
    security = (resource.get("meta") or {}).get("security") or []
    return any(s.get("system") == V3_ACTCODE and s.get("code") == "42CFRPart2" for s in security)


def meta(profile: str | None, labels: list[dict[str, Any]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if profile:
        out["profile"] = [US_CORE + profile]
    if labels:
        out["security"] = labels
    return out


def prune_empty(node: Any) -> Any:
    """``node`` without empty elements: FHIR forbids ``""``, ``{}``, ``[]`` and ``null`` values (R4 JSON
    representation, https://hl7.org/fhir/R4/json.html); an element that only held empty ones goes too.

    >>> prune_empty({"meta": {}, "item": [], "id": "a", "note": [{"text": ""}]})
    {'id': 'a'}
    """
    if isinstance(node, Mapping):
        pruned = {k: prune_empty(v) for k, v in node.items()}
        return {k: v for k, v in pruned.items() if not _is_empty(v)}
    if isinstance(node, list):
        return [v for v in (prune_empty(v) for v in node) if not _is_empty(v)]
    return node


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | dict | list) and not value)


def local_references(node: Any) -> Iterator[dict[str, Any]]:
    """Every ``Reference`` in ``node`` whose ``reference`` is a relative ``Type/id`` (not a URL, ``urn:`` or ``#``)."""
    if isinstance(node, dict):
        target = node.get("reference")
        if isinstance(target, str) and _LOCAL_REFERENCE.match(target):
            yield node
        for value in node.values():
            yield from local_references(value)
    elif isinstance(node, list):
        for value in node:
            yield from local_references(value)


@dataclass(frozen=True)
class ValidationProblem:
    """One element that failed: the resource (``Observation/lab-1``), the element path, why."""

    resource: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.path}: {self.message}"


class FhirValidationError(ValueError):
    """A resource that fails FHIR R4B validation; ``problems`` name each element path."""

    def __init__(self, problems: list[ValidationProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]))


@lru_cache(maxsize=64)
def _model(resource_type: str) -> Any:
    return get_fhir_model_class(resource_type)


def resource_label(resource: Mapping[str, Any], position: str | None = None) -> str:
    kind = resource.get("resourceType", "?") if isinstance(resource, Mapping) else "?"
    rid = resource.get("id") if isinstance(resource, Mapping) else None
    label = f"{kind}/{rid}" if rid else str(kind)
    return f"{position} ({label})" if position else label


def find_problems(resource: Any, position: str | None = None) -> list[ValidationProblem]:
    """Validate one resource with fhir.resources R4B; an empty list means valid."""
    if not isinstance(resource, Mapping):
        return [ValidationProblem(position or "?", "(root)", "is not a JSON object")]
    label = resource_label(resource, position)
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        return [ValidationProblem(label, "resourceType", "is missing")]
    try:
        model = _model(kind)
    except (KeyError, ValueError, AttributeError, ImportError):
        return [ValidationProblem(label, "resourceType", f"{kind!r} is not a FHIR R4 resource type")]
    try:
        model.model_validate(dict(resource))
    except ValidationError as error:
        return [ValidationProblem(label, _path(e["loc"]) or "(root)", e["msg"]) for e in error.errors()]
    return []


def validate_resource(resource: FhirResource) -> FhirResource:
    """Return ``resource`` unchanged if it validates; raise :class:`FhirValidationError` if not."""
    problems = find_problems(resource)
    if problems:
        raise FhirValidationError(problems)
    return resource


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
