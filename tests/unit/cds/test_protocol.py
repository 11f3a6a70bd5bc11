"""CDS Hooks request checks, prefetch templates, feedback parsing and JWT claims, without a server."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from naltrack.cds.auth import (
    ANONYMOUS,
    Caller,
    CdsSettings,
    JwtVerifier,
    StaticKeys,
    TrustedIssuer,
    verifier_from_settings,
)
from naltrack.cds.cards import SUMMARY_MAX, Card, summary_with_source
from naltrack.cds.feedback import FeedbackLog, IssuedCard, RateLimit, parse_feedback
from naltrack.cds.fhir_data import gather, render_template, resources_of
from naltrack.cds.hooks import SERVICES, discovery_document, parse_request
from naltrack.cds.problems import CdsProblem

OPIOID = SERVICES["opioid-order-on-naltrexone"]
DRAFT = {"resourceType": "MedicationRequest", "status": "draft", "intent": "order",
         "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": {"text": "oxycodone"}}


def _request(**context: object) -> bytes:
    return json.dumps({"hook": "patient-view", "hookInstance": "h1",
                       "context": {"patientId": "p1", "userId": "Practitioner/doc-9", **context}}).encode()


def test_discovery_declares_every_service_with_templates_keyed_for_prefetch() -> None:
    services = discovery_document()["services"]
    assert [s["id"] for s in services] == ["naltrexone-order-check", "naltrexone-order-check-select",
                                           "opioid-order-on-naltrexone", "opioid-order-on-naltrexone-sign",
                                           "naltrexone-patient-view"]
    assert all(s["prefetch"]["patient"] == "Patient/{{context.patientId}}" for s in services)


def test_templates_fill_context_and_user_tokens() -> None:
    request = parse_request(_request(), SERVICES["naltrexone-patient-view"])
    assert render_template("MedicationRequest?patient={{context.patientId}}", request) == \
        "MedicationRequest?patient=p1"
    assert render_template("Practitioner/{{userPractitionerId}}", request) == "Practitioner/doc-9"
    with pytest.raises(CdsProblem, match=r"needs context.encounterId"):
        render_template("Encounter/{{context.encounterId}}", request)


def test_prefetch_values_may_be_a_resource_or_a_bundle() -> None:
    patient = {"resourceType": "Patient", "id": "p1"}
    assert resources_of(patient) == [patient]
    assert resources_of({"resourceType": "Bundle", "entry": [{"resource": patient}, {"x": 1}]}) == [patient]
    assert resources_of(None) == [] and resources_of({"entry": []}) == []


def test_null_prefetch_without_fhir_server_is_412_for_the_required_key_only() -> None:
    service = SERVICES["naltrexone-patient-view"]
    ok = parse_request(json.dumps({"hook": "patient-view", "hookInstance": "h", "context": {"patientId": "p1"},
                                   "prefetch": {"patient": {"resourceType": "Patient", "id": "p1"},
                                                "conditions": None}}).encode(), service)
    assert [r["id"] for r in asyncio.run(gather(ok, service, None, 1.0)).resources] == ["p1"]
    missing = parse_request(_request(), service)
    with pytest.raises(CdsProblem, match=r"prefetch.patient: was not prefetched") as caught:
        asyncio.run(gather(missing, service, None, 1.0))
    assert caught.value.status == 412


def test_selections_and_draft_orders_are_read_from_context() -> None:
    body = {"hook": "order-select", "hookInstance": "h", "context": {
        "patientId": "p1", "selections": ["MedicationRequest/b"],
        "draftOrders": {"resourceType": "Bundle", "entry": [
            {"resource": {**DRAFT, "id": "a"}}, {"resource": {**DRAFT, "id": "b"}}]}}}
    request = parse_request(json.dumps(body).encode(), OPIOID)
    assert [d["id"] for d in request.draft_orders] == ["a", "b"]
    assert request.selections == ["MedicationRequest/b"]


def test_an_invalid_draft_order_is_400_naming_its_element() -> None:
    body = {"hook": "order-sign", "hookInstance": "h", "context": {
        "patientId": "p1", "draftOrders": {"resourceType": "Bundle", "entry": [
            {"resource": {**DRAFT, "intent": 7}}]}}}
    with pytest.raises(CdsProblem) as caught:
        parse_request(json.dumps(body).encode(), OPIOID)
    assert caught.value.path == "context.draftOrders.entry[0].resource.intent"


@pytest.mark.parametrize(("auth", "path"), [
    ("token", "fhirAuthorization"),
    ({"token_type": "Bearer"}, "fhirAuthorization.access_token"),
    ({"access_token": "t", "token_type": "MAC"}, "fhirAuthorization.token_type"),
])
def test_bad_fhir_authorization_is_400_naming_the_element(auth: object, path: str) -> None:
    body = {"hook": "patient-view", "hookInstance": "h", "context": {"patientId": "p"},
            "fhirServer": "https://ehr.example/fhir", "fhirAuthorization": auth}
    with pytest.raises(CdsProblem, match=path.replace(".", r"\.")) as caught:
        parse_request(json.dumps(body).encode(), SERVICES["naltrexone-patient-view"])
    assert caught.value.status == 400 and caught.value.path == path


def test_summary_stays_under_140_characters_and_keeps_the_source() -> None:
    text = summary_with_source("oxycodone " * 40, "clinical.md §4")
    assert len(text) == SUMMARY_MAX and text.endswith("(clinical.md §4)")
    card = Card("x" * 200, "warning", "Vivitrol label", "d", "R1").as_json()
    assert len(card["summary"]) < 140 and card["overrideReasons"]
    assert "overrideReasons" not in Card("ok", "info", "s", "d", "R2").as_json()


EHR = Caller("https://ehr.example", "EHR", "clinic-1")
NOW = datetime(2026, 3, 12, 16, 0, tzinfo=UTC)


def _override(card: str = "c1", when: str = "2026-03-12T10:00:00-05:00") -> dict[str, object]:
    return {"card": card, "outcome": "overridden", "outcomeTimestamp": when,
            "overrideReason": {"reason": {"code": "benefit-outweighs-risk"}, "userComment": "ICU"}}


def test_feedback_items_are_checked_and_enriched_with_the_card_issued_to_the_same_caller() -> None:
    log = FeedbackLog()
    log.remember([("c1", IssuedCard("opioid-order-on-naltrexone", "IX-OPIOID", "p1", "critical", EHR.iss, "pt-9"))],
                 NOW)
    recorded = log.record("opioid-order-on-naltrexone", {"feedback": [_override()]}, EHR, NOW)
    assert (recorded[0].rule, recorded[0].patient_id, recorded[0].linked_patient, recorded[0].override_code) == (
        "IX-OPIOID", "p1", "pt-9", "benefit-outweighs-risk")
    other = Caller("https://other.example", "Other", "clinic-2")
    stranger = log.record("opioid-order-on-naltrexone", {"feedback": [_override()]}, other, NOW)
    assert (stranger[0].rule, stranger[0].patient_id, stranger[0].linked_patient, stranger[0].clinic_id) == (
        None, None, None, "clinic-2")


def test_feedback_is_stamped_by_the_server_and_keeps_the_callers_time_as_reported() -> None:
    recorded = FeedbackLog().record("s", {"feedback": [_override(when="1999-01-01T00:00:00Z")]}, EHR, NOW)
    assert recorded[0].recorded_at == NOW
    assert recorded[0].reported_at == datetime(1999, 1, 1, tzinfo=UTC)


def test_feedback_over_the_item_cap_is_400_and_reaches_no_sink() -> None:
    sunk: list[object] = []
    log = FeedbackLog(sunk.append, max_items=3)
    assert len(log.record("s", {"feedback": [_override(f"c{n}") for n in range(3)]}, EHR, NOW)) == 3
    with pytest.raises(CdsProblem, match=r"feedback: has 4 items; at most 3 per call") as caught:
        log.record("s", {"feedback": [_override(f"c{n}") for n in range(4)]}, EHR, NOW)
    assert caught.value.status == 400 and len(sunk) == 1
    with pytest.raises(CdsProblem, match=r"feedback\[0\]\.card: .*at most 64"):
        log.record("s", {"feedback": [_override("x" * 65)]}, EHR, NOW)


def test_anonymous_feedback_is_kept_in_memory_and_never_reaches_the_audit_sink() -> None:
    sunk: list[object] = []
    log = FeedbackLog(sunk.append)
    assert len(log.record("s", {"feedback": [_override()]}, ANONYMOUS, NOW)) == 1
    assert sunk == [] and len(log.records) == 1


def test_the_rate_limit_allows_n_calls_a_minute_per_caller_then_429_with_retry_after() -> None:
    clock = {"t": 1000.0}
    limit = RateLimit(3, clock=lambda: clock["t"])
    for _ in range(3):
        limit.check("a")
    with pytest.raises(CdsProblem, match="more than 3 feedback calls a minute") as caught:
        limit.check("a")
    assert caught.value.status == 429 and caught.value.headers["Retry-After"] == "61"
    limit.check("b")  # another caller has its own allowance
    clock["t"] += 60.0
    limit.check("a")


@pytest.mark.parametrize(("item", "path"), [
    ({"outcome": "accepted"}, "feedback[0].card"),
    ({"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-03-12T10:00:00Z"},
     "feedback[0].acceptedSuggestions"),
    ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-03-12T10:00:00"},
     "feedback[0].outcomeTimestamp"),
])
def test_bad_feedback_names_the_path(item: dict, path: str) -> None:
    with pytest.raises(CdsProblem, match=path.replace("[", r"\[").replace("]", r"\]")):
        parse_feedback("s", {"feedback": [item]}, "EHR")
    with pytest.raises(CdsProblem, match="feedback"):
        parse_feedback("s", {"feedback": []}, "EHR")


def _token(key: ec.EllipticCurvePrivateKey, **claims: object) -> str:
    now = int(time.time())
    base = {"iss": "https://ehr.example", "aud": "https://cds.example/cds-services/x", "exp": now + 60,
            "iat": now, "jti": str(uuid.uuid4())}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, key, algorithm="ES384",
                      headers={"kid": "k1"})


def _verifier(key: ec.EllipticCurvePrivateKey, **kw: object) -> JwtVerifier:
    issuer = TrustedIssuer("https://ehr.example", "County EHR", "clinic-1", StaticKeys({"k1": key.public_key()}))
    return JwtVerifier({issuer.iss: issuer}, **kw)  # type: ignore[arg-type]


def test_jwt_claims_are_required_and_checked() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    verifier = _verifier(key, audience="https://cds.example/cds-services")
    url = "https://internal:8000/cds-services/x"

    def verify(header: str | None) -> Caller:
        return asyncio.run(verifier.verify(header, url))

    caller = verify("Bearer " + _token(key, aud="https://cds.example/cds-services"))
    assert (caller.name, caller.iss, caller.clinic_id) == ("County EHR", "https://ehr.example", "clinic-1")
    assert verify("Bearer " + _token(key, aud="https://cds.example/cds-services/x")).verified
    with pytest.raises(CdsProblem, match="Audience doesn.t match"):
        verify("Bearer " + _token(key, aud=url))  # the configured base decides, not the Host header
    with pytest.raises(CdsProblem, match="jti"):
        verify("Bearer " + _token(key, jti=None, aud="https://cds.example/cds-services"))
    with pytest.raises(CdsProblem, match="expired"):
        verify("Bearer " + _token(key, exp=int(time.time()) - 3600))
    with pytest.raises(CdsProblem, match="more than 3600 seconds away"):
        verify("Bearer " + _token(key, exp=int(time.time()) + 7200, aud="https://cds.example/cds-services"))
    with pytest.raises(CdsProblem, match="Bearer JWT signed by a configured EHR is required"):
        verify("Basic abc")
    with pytest.raises(CdsProblem, match="required"):
        verify(None)


def test_calls_are_closed_by_default_and_anonymous_only_when_allowed() -> None:
    settings = CdsSettings()
    assert settings.anonymous == "deny" and settings.issuers() == {}
    assert verifier_from_settings(settings).anonymous is False
    anonymous = JwtVerifier({}, anonymous=True)
    caller = asyncio.run(anonymous.verify(None, "u"))
    assert caller == ANONYMOUS and not caller.verified and caller.clinic_id is None
    with pytest.raises(CdsProblem, match="issuer 'https://ehr.example' is not trusted"):
        asyncio.run(anonymous.verify("Bearer " + _token(ec.generate_private_key(ec.SECP384R1())), "u"))


@pytest.mark.parametrize(("entry", "message"), [
    ({"iss": "https://ehr.example", "jwks": {"keys": []}}, r"\[0\]\.clinic: is required"),
    ({"iss": "https://ehr.example", "clinic": "c1"}, "needs exactly one of jwks, jwks_file, jwks_url"),
    ({"iss": "https://ehr.example", "clinic": "c1", "jwks": {"keys": []}, "jwks_url": "https://ehr.example/k"},
     "needs exactly one of"),
    ({"iss": "https://ehr.example", "clinic": "c1", "jwks_url": "http://ehr.example/jwks"}, "must be an https URL"),
    ({"iss": "https://ehr.example", "clinic": "c1", "jwks_file": "/nonexistent/jwks.json"}, "cannot be read"),
    ({"iss": "https://ehr.example", "clinic": "c1", "jwks": {"kid": "k1"}}, "not a JWKS document"),
])
def test_an_issuer_entry_that_cannot_work_is_refused_naming_the_member(entry: dict[str, object],
                                                                        message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CdsSettings(issuers_json=json.dumps([entry])).issuers()


def test_an_issuer_listed_twice_or_settings_that_are_not_a_list_are_refused() -> None:
    entry = {"iss": "https://ehr.example", "clinic": "c1", "jwks": {"keys": []}}
    with pytest.raises(ValueError, match=r"\[1\]\.iss: 'https://ehr.example' is listed twice"):
        CdsSettings(issuers_json=json.dumps([entry, entry])).issuers()
    with pytest.raises(ValueError, match="must be a JSON array"):
        CdsSettings(issuers_json='{"iss": "x"}')
    loopback = {"iss": "https://ehr.example", "clinic": "c1", "jwks_url": "http://127.0.0.1:9/jwks"}
    assert CdsSettings(issuers_json=json.dumps([loopback])).issuers()["https://ehr.example"].clinic_id == "c1"
