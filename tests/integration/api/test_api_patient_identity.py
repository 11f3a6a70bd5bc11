"""The REST API takes and returns a patient's identity data (identifiers, names, telecom, address, race,
ethnicity), states the limits in its schema and refuses a value beyond them naming the field."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import SecureEnv

from naltrack.domain.person_data import TEXT_LIMITS

BODY: dict[str, Any] = {
    "given_name": "Rosa", "family_name": "Delgado", "birth_date": "1984-11-02", "sex_at_birth": "female",
    "mrn": "MRN-rosa",
    "identifiers": [{"system": "http://riverside-hospital.example.org/mrn", "value": "RH-448120", "type_code": "MR"},
                    {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-31-7702", "type_code": "SS"}],
    "names": [{"use": "old", "family": "Marín", "given": ["Rosa", "Elena"]}],
    "telecom": [{"system": "phone", "value": "555-201-4477", "use": "mobile"}],
    "address": [{"line": ["780 Palm Ave", "Unit 4"], "city": "Tampa", "state": "FL", "postal_code": "33605",
                 "country": "US", "use": "home"}],
    "race": {"kind": "race", "categories": [{"code": "2054-5", "display": "Black or African American"}],
             "detailed": [], "text": None},
    "ethnicity": {"kind": "ethnicity", "categories": [{"code": "2186-5", "display": "Not Hispanic or Latino"}],
                  "detailed": [], "text": "Not Hispanic"},
}


def _create(env: SecureEnv, body: dict[str, Any]) -> Any:
    return env.client.post("/api/v1/patients", json=body, headers=env.headers("c1", "front-desk"))


def test_identity_data_is_registered_read_and_replaced(secure_env: SecureEnv) -> None:
    created = _create(secure_env, BODY)
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    read = secure_env.client.get(url, headers=secure_env.headers("c1", "front-desk"))
    assert read.status_code == 200
    patient = read.json()
    for key in ("identifiers", "names", "telecom", "address", "race", "ethnicity"):
        assert patient[key] == BODY[key], key
    changed = {**BODY, "identifiers": BODY["identifiers"][:1], "names": []}
    put = secure_env.client.put(url, json=changed, headers=secure_env.headers(
        "c1", "front-desk", **{"If-Match": read.headers["ETag"]}))
    assert put.status_code == 200, put.text
    assert put.json()["identifiers"] == BODY["identifiers"][:1] and put.json()["names"] == []


def test_a_patient_without_identity_data_still_registers(secure_env: SecureEnv) -> None:
    bare = {k: BODY[k] for k in ("given_name", "family_name", "birth_date", "sex_at_birth")}
    created = _create(secure_env, bare)
    assert created.status_code == 201, created.text
    assert (created.json()["identifiers"], created.json()["race"]) == ([], None)


def test_values_beyond_the_limits_are_refused_naming_the_field(secure_env: SecureEnv) -> None:
    cases = [
        ({"identifiers": [{"system": "http://x.example.org", "value": "9" * 101}]}, "identifiers.0.value",
         "at most 100 characters"),  # the schema's limit
        ({"address": [{"postal_code": "3" * 21}]}, "address.0.postal_code", "at most 20 characters"),
        ({"race": {"kind": "race", "categories": [{"code": "2135-2", "display": "Hispanic or Latino"}]}},
         "race.category", "OMB race categories"),
        ({"identifiers": [{"system": "not a uri", "value": "1"}]}, "identifier.system", "must be a URI"),
    ]
    for change, field, rule in cases:
        refused = _create(secure_env, {**BODY, **change})
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert field in problem["field"] and rule in problem["detail"], problem


def test_the_schema_states_the_new_fields() -> None:
    from naltrack.api.routes.patients import PatientCreate

    schema = PatientCreate.model_json_schema()  # type: ignore[attr-defined]
    assert {"identifiers", "names", "telecom", "address", "race", "ethnicity"} <= set(schema["properties"])
    for (owner, name), limit in TEXT_LIMITS.items():
        model = next(m for key, m in schema["$defs"].items() if key.endswith(owner))
        field = model["properties"][name]
        text = field.get("items") or next(t for t in field.get("anyOf", [field]) if t.get("type") == "string")
        assert text["maxLength"] == limit, (owner, name)
