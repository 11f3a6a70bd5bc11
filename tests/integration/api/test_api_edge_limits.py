"""Every input is validated at the edge to the storage limits (SQLite and PostgreSQL).

A value one past its limit is refused with problem+json naming the field, the value and
the limit, and the refusal is audited; the value at the limit is accepted and stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from naltrack.domain import limits
from naltrack.domain.errors import NotFound
from naltrack.domain.security.accounts import Actor
from naltrack.services import patients as patient_cases

from .conftest import ALL_REVIEWED, NOW, SecureEnv, payload_for

TOO_LONG_ID = "x" * (limits.ID_MAX_LENGTH + 1)


def _create(env: SecureEnv, kind_path: str, body: dict[str, Any]) -> Any:
    return env.client.post(f"/api/v1/patients/{env.patients['c1']}/{kind_path}", json=body,
                           headers=env.headers("c1", "prescriber"))


def _refused(response: Any, field: str, limit: object) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert (problem["field"], problem["limit"]) == (field, limit), problem
    return problem


@pytest.mark.parametrize(("path", "kind", "field", "limit"), [
    ("injections", "injections", "lot", limits.LOT_MAX_LENGTH),
    ("injections", "injections", "given_by", limits.PERSON_NAME_MAX_LENGTH),
    ("labs", "labs", "name", limits.TITLE_MAX_LENGTH),
    ("labs", "labs", "unit", limits.CODE_MAX_LENGTH),
    ("diagnoses", "diagnoses", "display", limits.TITLE_MAX_LENGTH),
    ("procedures", "procedures", "description", limits.TITLE_MAX_LENGTH),
])
def test_text_at_its_column_length_is_stored_and_one_more_is_refused(secure_env: SecureEnv, path: str, kind: str,
                                                                     field: str, limit: int) -> None:
    body = payload_for(kind, {})
    if kind == "injections":  # a day after the seeded one (one dose a day), its review items confirmed
        body |= {"given_at": "2026-01-20T09:00:00Z", "pre_dose": {"confirm": ALL_REVIEWED}}
    head = secure_env.audit_head()
    problem = _refused(_create(secure_env, path, {**body, field: "a" * (limit + 1)}), field, limit)
    assert problem["value"] == ("a" * (limit + 1))[:200]  # a problem shows at most 200 characters of the value
    refusals = [e for e in secure_env.audit_since(head) if e.outcome == "invalid"]
    assert [(e.action, e.category) for e in refusals] == [("create", "request")]
    assert field in (refusals[0].detail or "")
    if kind == "labs" and field == "unit":
        return  # a unit must also be a UCUM unit: only the length is at stake here
    if kind == "diagnoses":
        return  # the display is free text beside a catalogued code: the length is what is checked
    stored = _create(secure_env, path, {**body, field: "a" * limit})
    assert stored.status_code == 201, stored.text
    assert stored.json()[field] == "a" * limit


def test_an_integer_beyond_32_bits_is_refused(secure_env: SecureEnv) -> None:
    body = {**payload_for("counseling", {}), "duration_min": limits.INT32_MAX + 1}
    problem = _refused(_create(secure_env, "counseling-sessions", body), "duration_min", limits.INT32_MAX)
    assert problem["value"] == str(limits.INT32_MAX + 1)


@pytest.mark.parametrize(("offset", "accepted"), [("+14:00", True), ("-14:00", True), ("+14:01", False),
                                                  ("+23:59", False), ("-23:59", False)])
def test_utc_offsets_beyond_14_hours_are_refused(secure_env: SecureEnv, offset: str, accepted: bool) -> None:
    body = {**payload_for("oral_doses", {}), "taken_at": f"2026-01-06T09:00:00{offset}"}
    response = _create(secure_env, "oral-doses", body)
    if accepted:
        assert response.status_code == 201, response.text
        fhir = secure_env.client.get(f"/fhir/R4/Patient/{secure_env.patients['c1']}/$everything",
                                     headers=secure_env.headers("c1", "prescriber"))
        assert fhir.status_code == 200
        return
    problem = _refused(response, "taken_at", "has a UTC offset beyond -14:00..+14:00")
    assert problem["value"] == f"2026-01-06T09:00:00{offset}"


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/patients/{p}/readiness?on=0001-01-01", "query.on"),
    ("/api/v1/patients/{p}/readiness?on=2101-01-01", "query.on"),
    ("/api/v1/patients/{p}/injections?since=0001-01-01", "query.since"),
    ("/api/v1/patients/{p}/injections?until=9999-12-31", "query.until"),
])
def test_dates_outside_the_range_are_refused_in_queries(secure_env: SecureEnv, url: str, field: str) -> None:
    response = secure_env.client.get(url.format(p=secure_env.patients["c1"]),
                                     headers=secure_env.headers("c1", "prescriber"))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert response.json()["limit"] in (limits.DATE_RANGE[0].isoformat(), limits.DATE_RANGE[1].isoformat())


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00+20:00"])
def test_extreme_audit_dates_are_refused(secure_env: SecureEnv, since: str) -> None:
    response = secure_env.client.get("/api/v1/audit", params={"since": since},
                                     headers=secure_env.headers("c1", "auditor"))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "query.since"


def test_the_date_range_is_inclusive_at_both_ends(secure_env: SecureEnv) -> None:
    headers = secure_env.headers("c1", "prescriber")
    for on in limits.DATE_RANGE:
        response = secure_env.client.get(f"/api/v1/patients/{secure_env.patients['c1']}/readiness",
                                         params={"on": on.isoformat()}, headers=headers)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("url", ["/api/v1/patients/{id}", "/api/v1/patients/{id}/labs", "/api/v1/labs/{id}",
                                 "/api/v1/consents/{id}"])
def test_an_id_longer_than_64_characters_is_refused_and_audited(secure_env: SecureEnv, url: str) -> None:
    head = secure_env.audit_head()
    response = secure_env.client.get(url.format(id=TOO_LONG_ID), headers=secure_env.headers("c1", "prescriber"))
    problem = _refused(response, "path." + ("consent_id" if "consents" in url else
                                           "record_id" if "labs/" in url else "patient_id"), limits.ID_MAX_LENGTH)
    assert problem["value"] == TOO_LONG_ID
    entries = secure_env.audit_since(head)
    assert [(e.action, e.outcome) for e in entries] == [("read", "invalid")]
    assert len(entries[0].detail or "") <= limits.AUDIT_DETAIL_MAX_LENGTH


def test_a_use_case_refusal_of_a_huge_id_is_audited_cut_to_the_column(secure_env: SecureEnv) -> None:
    """The refusal's own audit entry never fails: the id it names is cut to what the log holds."""
    actor = Actor(secure_env.users[("c1", "prescriber")], "testclient")
    ctx = secure_env.client.app.state.application.ctx  # type: ignore[attr-defined]
    head = secure_env.audit_head()
    with pytest.raises(NotFound, match="not found"):
        patient_cases.get_patient(ctx, actor, "p" * 10_000, NOW)
    entries = secure_env.audit_since(head)
    assert [(e.outcome, e.patient_id) for e in entries] == [("not-found", "p" * limits.ID_MAX_LENGTH)]


def test_nul_in_a_path_or_query_is_refused(secure_env: SecureEnv) -> None:
    headers = secure_env.headers("c1", "prescriber")
    response = secure_env.client.get("/api/v1/patients", params={"q": "Ada\x00"}, headers=headers)
    assert response.status_code == 422 and response.json()["field"] == "query.q"
    response = secure_env.client.get("/api/v1/patients/c1-p1%00", headers=headers)
    assert response.status_code == 422 and response.json()["field"] == "path.patient_id"


@pytest.mark.parametrize(("depth", "refused"), [(limits.MAX_JSON_DEPTH, False), (limits.MAX_JSON_DEPTH + 1, True),
                                                (100_000, True)])
def test_json_nesting_is_bounded(secure_env: SecureEnv, depth: int, refused: bool) -> None:
    raw = ('{"instrument": "audit-c", "completed_at": "2026-01-06T09:00:00Z", "answers": '
           + "[" * (depth - 1) + "]" * (depth - 1) + "}").encode()
    head = secure_env.audit_head()
    response = secure_env.client.post(f"/api/v1/patients/{secure_env.patients['c1']}/questionnaire-responses",
                                      content=raw, headers={**secure_env.headers("c1", "prescriber"),
                                                            "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    problem = response.json()
    if refused:
        assert (problem["field"], problem["limit"]) == ("body", limits.MAX_JSON_DEPTH)
        assert problem["detail"] == f"the body nests deeper than {limits.MAX_JSON_DEPTH} levels"
    else:
        assert problem["field"] != "body"  # parsed: refused for its content, not its depth
    assert [e.outcome for e in secure_env.audit_since(head)] == ["invalid"]


def test_a_form_body_is_not_judged_as_json(secure_env: SecureEnv) -> None:
    """Brackets in a form (a note full of them) are text, not nesting: the depth limit is for JSON bodies."""
    response = secure_env.client.post("/api/v1/auth/token", content=b"username=" + b"[" * 100 + b"&password=x",
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422  # the sign-in takes JSON: refused for its type, not for its depth
    assert "nests deeper" not in response.json()["detail"]


def test_the_schema_states_the_limits(secure_env: SecureEnv) -> None:
    schemas = secure_env.client.get("/openapi.json").json()["components"]["schemas"]
    injection = schemas["InjectionCreate"]["properties"]
    assert injection["lot"]["maxLength"] == limits.LOT_MAX_LENGTH
    assert injection["given_at"]["pattern"].startswith("^(19[0-9]{2}|20[0-9]{2}|2100)-")
    assert injection["expiry"]["pattern"] == "^(19[0-9]{2}|20[0-9]{2}|2100)-"
    counseling = schemas["CounselingSessionCreate"]["properties"]["duration_min"]
    assert (counseling["minimum"], counseling["maximum"]) == (limits.INT32_MIN, limits.INT32_MAX)
