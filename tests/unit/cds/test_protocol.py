"""CDS Hooks request checks, prefetch templates, feedback parsing and JWT claims, without a server."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from naltrack.cds.auth import CdsSettings, JwtVerifier, TrustedIssuer, verifier_from_settings
from naltrack.cds.cards import SUMMARY_MAX, Card, summary_with_source
from naltrack.cds.feedback import FeedbackLog, IssuedCard, parse_feedback
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


def test_feedback_items_are_checked_and_enriched_with_the_issued_card() -> None:
    log = FeedbackLog()
    log.remember("c1", IssuedCard("opioid-order-on-naltrexone", "IX-OPIOID", "p1", "critical"))
    recorded = log.record("opioid-order-on-naltrexone", {"feedback": [
        {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-03-12T10:00:00-05:00",
         "overrideReason": {"reason": {"code": "benefit-outweighs-risk"}, "userComment": "ICU"}}]}, "EHR")
    assert (recorded[0].rule, recorded[0].patient_id, recorded[0].override_code) == ("IX-OPIOID", "p1",
                                                                                      "benefit-outweighs-risk")


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


def test_jwt_claims_are_required_and_checked() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    verifier = JwtVerifier({"https://ehr.example": TrustedIssuer("https://ehr.example", "County EHR",
                                                                 {"k1": key.public_key()})},
                           required=True, audience="https://cds.example/cds-services")
    url = "https://internal:8000/cds-services/x"
    caller = verifier.verify("Bearer " + _token(key, aud="https://cds.example/cds-services"), url)
    assert caller.name == "County EHR"
    with pytest.raises(CdsProblem, match="jti"):
        verifier.verify("Bearer " + _token(key, jti=None), url)
    with pytest.raises(CdsProblem, match="expired"):
        verifier.verify("Bearer " + _token(key, exp=int(time.time()) - 3600), url)
    with pytest.raises(CdsProblem, match="Bearer JWT is required"):
        verifier.verify("Basic abc", url)


def test_verification_is_on_by_default_and_issuers_come_from_settings() -> None:
    settings = CdsSettings()
    assert settings.jwt_required is None and settings.issuers() == {}
    assert verifier_from_settings(settings).required is True
    assert JwtVerifier({}, required=False, audience=None).verify(None, "u").name == "unverified EHR"
