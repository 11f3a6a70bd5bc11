"""The identity data of a FHIR R4 Patient, both ways (US Core Patient 6.1 must-support elements).

Read (:func:`read_patient`, :func:`read_demographics`):

* the current name is the ``official`` one, else ``usual``, else one without a use, else a
  ``temp``, ``nickname`` or ``anonymous`` one; an ``old`` or ``maiden`` name never becomes the
  current name (``name[0]`` is not taken blindly). Every other name is kept in ``Patient.names``;
* every identifier with a system and a value. The clinic's own MRN system
  (:func:`~naltrack.domain.person_data.mrn_system`) becomes ``Patient.mrn``; naltrack's record-id
  identifier (``urn:naltrack:patient``) is the resource id, not an identifier, and is left out;
  the type is kept when it is an HL7 v2-0203 code (MR, SS, DL, ...);
* telecom (system, value, use), address (line, city, state, postalCode, country, use); an
  address with only ``text`` and the ``contact`` entries are the patient's contacts;
* the US Core race and ethnicity extensions: ``ombCategory``, ``detailed`` and ``text``.

Written back (:func:`identity_elements`) the same way, without empty elements, so that export,
import and export again give the same Patient.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Literal, TypeVar

from naltrack.adapters.fhir.json_paths import At
from naltrack.adapters.fhir.r4_common import coding, concept, identifier
from naltrack.domain.errors import InvalidInput
from naltrack.domain.identity import Demographics, PartialDate
from naltrack.domain.patients import Contact, Patient
from naltrack.domain.person_data import (
    NALTRACK_ID_SYSTEM,
    NULL_FLAVORS,
    OMB_ETHNICITY,
    OMB_RACE,
    Address,
    CodeDisplay,
    ContactPoint,
    HumanName,
    Identifier,
    RaceEthnicity,
    mrn_system,
)

RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
#: CDC Race & Ethnicity code system, and the HL7 null flavors (UNK, ASKU) US Core allows beside it.
CDC_RACE_ETHNICITY = "urn:oid:2.16.840.1.113883.6.238"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
#: Which name is the current one: the first use found in this order (``old`` and ``maiden`` never).
CURRENT_NAME_USES: tuple[str | None, ...] = ("official", "usual", None, "temp", "nickname", "anonymous")

T = TypeVar("T")
Kind = Literal["race", "ethnicity"]


def _built(at: At, factory: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``factory(*args, **kwargs)``, with a domain error's field prefixed by the element path."""
    try:
        return factory(*args, **kwargs)
    except InvalidInput as error:
        raise InvalidInput(f"{at.path} ({error.field})", error.value, error.rule) from error


def _text(at: At | None, key: str) -> str | None:
    child = None if at is None else at.get(key)
    return None if child is None else child.text()


def _texts(at: At, key: str) -> tuple[str, ...]:
    return tuple(item.text() for item in at.list_of(key))


# --- reading -------------------------------------------------------------------------------

def read_names(at: At) -> tuple[HumanName | None, tuple[HumanName, ...]]:
    """The current name (``None`` when every name is old, maiden or text only) and the others, in order."""
    names = [_built(n, HumanName, _text(n, "use"), _text(n, "family"), _texts(n, "given"))
             for n in at.list_of("name") if n.get("family") is not None or n.get("given") is not None]
    for use in CURRENT_NAME_USES:
        current = next((name for name in names if name.use == use), None)
        if current is not None:
            return current, tuple(name for name in names if name is not current)
    return None, tuple(names)


def _type_code(item: At) -> str | None:
    kind = item.get("type")
    codes = [] if kind is None else [_text(c, "code") for c in kind.list_of("coding")
                                     if _text(c, "system") == IDENTIFIER_TYPE]
    return next((code for code in codes if code), None)


def read_identifiers(at: At, clinic_id: str) -> tuple[str | None, tuple[Identifier, ...]]:
    """The clinic's MRN (from an identifier in its MRN system) and every other identifier, once each."""
    mrn: str | None = None
    found: dict[tuple[str, str], Identifier] = {}
    for item in at.list_of("identifier"):
        system, value = _text(item, "system"), _text(item, "value")
        if system is None or value is None or system == NALTRACK_ID_SYSTEM:
            continue
        if system == mrn_system(clinic_id):
            mrn = mrn or value
            continue
        built = _built(item, Identifier, system, value, _type_code(item))
        found.setdefault(built.key, built)
    return mrn, tuple(found.values())


def read_telecom(at: At) -> tuple[ContactPoint, ...]:
    """Every telecom entry with a value (a value without a system is ``other``)."""
    return tuple(_built(t, ContactPoint, _text(t, "system") or "other", _text(t, "value"), _text(t, "use"))
                 for t in at.list_of("telecom") if t.get("value") is not None)


def read_addresses(at: At) -> tuple[tuple[Address, ...], tuple[Contact, ...]]:
    """Structured addresses, and the addresses given only as ``text`` (kept as contacts)."""
    addresses, texts = [], []
    for item in at.list_of("address"):
        fields = {"line": _texts(item, "line"), "city": _text(item, "city"), "state": _text(item, "state"),
                  "postal_code": _text(item, "postalCode"), "country": _text(item, "country")}
        if any(fields.values()):
            addresses.append(_built(item, Address, use=_text(item, "use"), **fields))
        elif item.get("text") is not None:
            texts.append(_built(item, Contact, "address", _text(item, "text")))
    return tuple(addresses), tuple(texts)


def read_emergency_contacts(at: At) -> tuple[Contact, ...]:
    """``contact`` entries with a phone or other telecom value: the people the patient named."""
    out = []
    for item in at.list_of("contact"):
        value = next((_text(t, "value") for t in item.list_of("telecom") if t.get("value") is not None), None)
        if value is not None:
            out.append(_built(item, Contact, "emergency-contact", value, _text(item.get("name"), "text")))
    return tuple(out)


def _race_codes(ext: At, part: str, kind: Kind) -> tuple[CodeDisplay, ...]:
    known = (OMB_RACE if kind == "race" else OMB_ETHNICITY) | NULL_FLAVORS
    out = []
    for sub in ext.list_of("extension"):
        value = sub.get("valueCoding")
        if _text(sub, "url") == part and value is not None:
            code = value.need("code", f"a {kind} coding needs it").text()
            out.append(_built(value, CodeDisplay, code, _text(value, "display") or known.get(code, code)))
    return tuple(out)


def read_race_ethnicity(at: At, kind: Kind) -> RaceEthnicity | None:
    """The US Core race (``kind="race"``) or ethnicity extension, if present."""
    url = RACE_URL if kind == "race" else ETHNICITY_URL
    ext = next((e for e in at.list_of("extension") if _text(e, "url") == url), None)
    if ext is None:
        return None
    text = next((_text(s, "valueString") for s in ext.list_of("extension") if _text(s, "url") == "text"), None)
    return _built(ext, RaceEthnicity, kind, _race_codes(ext, "ombCategory", kind),
                  _race_codes(ext, "detailed", kind), text)


def read_birth_date(at: At) -> PartialDate | None:
    """``birthDate`` at its precision (year, year-month or full), or ``None`` when absent."""
    birth = at.get("birthDate")
    return None if birth is None else _built(birth, PartialDate.parse, birth.text())


def read_demographics(resource: Mapping[str, Any] | At) -> Demographics:
    """What a FHIR Patient says about who the person is, for :func:`~naltrack.domain.identity.match_person`.

    Every identifier with a system and a value is kept (the matcher itself ignores naltrack
    record ids); the birth date may be partial or absent.
    """
    at = resource if isinstance(resource, At) else At(dict(resource), "Patient")
    current, _ = read_names(at)
    identifiers = tuple(_built(i, Identifier, _text(i, "system"), _text(i, "value"))
                        for i in at.list_of("identifier") if i.get("system") is not None and i.get("value") is not None)
    return Demographics(family=current.family if current else None,
                        given=" ".join(current.given) if current and current.given else None,
                        birth_date=read_birth_date(at), identifiers=identifiers)


def _full_birth_date(at: At) -> date:
    birth = read_birth_date(at)
    if birth is None:
        raise InvalidInput(f"{at.path}.birthDate", None, "is required (the age rules need it)")
    if birth.month is None or birth.day is None:
        raise InvalidInput(f"{at.path}.birthDate", str(birth), "is a partial date; a patient is registered "
                                                                "with the full birth date (YYYY-MM-DD), which the "
                                                                "age rules need")
    return date(birth.year, birth.month, birth.day)


def read_patient(at: At, patient_id: str, clinic_id: str, sex_at_birth: str) -> Patient:
    """The patient a FHIR Patient describes (``sex_at_birth`` as the caller read it); a name or birth date
    that cannot register a patient raises :class:`InvalidInput` naming the element."""
    current, others = read_names(at)
    mrn, identifiers = read_identifiers(at, clinic_id)
    addresses, address_texts = read_addresses(at)
    given = " ".join(current.given) if current and current.given else "Unknown"
    family = current.family if current and current.family else "Unknown"
    return _built(at, Patient, id=patient_id, clinic_id=clinic_id, given_name=given, family_name=family,
                  birth_date=_full_birth_date(at), sex_at_birth=sex_at_birth, mrn=mrn, identifiers=identifiers,
                  names=others, telecom=read_telecom(at), address=addresses,
                  contacts=address_texts + read_emergency_contacts(at),
                  race=read_race_ethnicity(at, "race"), ethnicity=read_race_ethnicity(at, "ethnicity"))


# --- writing -------------------------------------------------------------------------------

def _identifier_element(item: Identifier) -> dict[str, Any]:
    out: dict[str, Any] = {"system": item.system, "value": item.value}
    if item.type_code:
        out = {"type": concept(IDENTIFIER_TYPE, item.type_code), **out}
    return out


def _name_element(name: HumanName) -> dict[str, Any]:
    out: dict[str, Any] = {"use": name.use, "family": name.family, "given": list(name.given)}
    return {k: v for k, v in out.items() if v}


def _address_element(address: Address) -> dict[str, Any]:
    out: dict[str, Any] = {"use": address.use, "line": list(address.line), "city": address.city,
                           "state": address.state, "postalCode": address.postal_code, "country": address.country}
    return {k: v for k, v in out.items() if v}


def _race_extension(value: RaceEthnicity) -> dict[str, Any]:
    def code(item: CodeDisplay) -> dict[str, str]:
        return coding(NULL_FLAVOR if item.code in NULL_FLAVORS else CDC_RACE_ETHNICITY, item.code, item.display)

    parts = ([{"url": "ombCategory", "valueCoding": code(c)} for c in value.categories]
             + [{"url": "detailed", "valueCoding": code(c)} for c in value.detailed]
             + [{"url": "text", "valueString": value.display_text}])
    return {"url": RACE_URL if value.kind == "race" else ETHNICITY_URL, "extension": parts}


def identity_elements(patient: Patient) -> dict[str, Any]:
    """The Patient elements of who the person is: identifier, name, telecom, address, race and ethnicity
    extensions (a list of extensions to add), each left out when empty."""
    identifiers = list(identifier("patient", patient.id))
    identifiers += [_identifier_element(i) for i in patient.all_identifiers]
    current = {"use": "official", "family": patient.family_name, "given": [patient.given_name]}
    telecom = [{"system": c.kind, "value": c.value} for c in patient.contacts if c.kind in ("phone", "email")]
    telecom += [{k: v for k, v in (("system", t.system), ("value", t.value), ("use", t.use)) if v}
                for t in patient.telecom]
    address = [_address_element(a) for a in patient.address]
    address += [{"text": c.value} for c in patient.contacts if c.kind == "address"]
    contacts = [{"name": {"text": c.name or c.value}, "telecom": [{"system": "phone", "value": c.value}]}
                for c in patient.contacts if c.kind == "emergency-contact"]
    out: dict[str, Any] = {
        "extension": [_race_extension(v) for v in (patient.race, patient.ethnicity) if v is not None],
        "identifier": identifiers, "name": [current, *(_name_element(n) for n in patient.names)],
        "telecom": telecom, "address": address, "contact": contacts,
    }
    return {k: v for k, v in out.items() if v}
