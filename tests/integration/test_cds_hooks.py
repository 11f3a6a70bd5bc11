"""CDS Hooks 2.0 over real HTTP: uvicorn on a loopback port, EHR-shaped requests, a FHIR server on loopback.

The requests are written here in the shape EHRs send (draftOrders bundles, prefetch keyed by the
discovery templates) and in the shape of the CDC opioid CDS IG's example requests (anchors.md
§3.1, §5.3: a Recommendation 12 patient-view with an OUD condition), with synthetic patients.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from jwt.algorithms import ECAlgorithm

from naltrack.cds.auth import CdsSettings, JwtVerifier, StaticKeys, TrustedIssuer, verifier_from_settings
from naltrack.cds.engine import CdsEngine
from naltrack.cds.fhir_data import FhirOrigins
from naltrack.cds.router import build_cds_router

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TODAY = date(2026, 3, 12)
NOW = datetime(2026, 3, 12, 16, 0, tzinfo=UTC)
PID = "ehr-pt-42"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    def __init__(self, app: FastAPI) -> None:
        self.port = _port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off", ws="none"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)


def _engine(**kw: Any) -> CdsEngine:
    verifier = kw.pop("verifier", JwtVerifier({}, anonymous=True))
    return CdsEngine(verifier=verifier, clock=lambda: NOW, timezone="UTC", fhir_origins=FhirOrigins(loopback=True),
                     **kw)


@pytest.fixture()
def cds_url() -> Iterator[str]:
    app = FastAPI()
    app.include_router(build_cds_router(_engine()))
    with LiveServer(app) as url:
        yield url


# EHR-shaped pieces ----------------------------------------------------------------------------

def patient(pid: str = PID) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1985-07-01",
            "name": [{"family": "Rowe", "given": ["Mara"]}]}


def vivitrol_statement(last_dose: date, pid: str = PID) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "id": "ms-viv", "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "637213",
                                                      "display": "naltrexone 380 MG Injection"}]},
            "subject": {"reference": f"Patient/{pid}"},
            "effectivePeriod": {"start": "2026-01-01", "end": last_dose.isoformat()}}


def draft(rid: str, code: str, display: str, pid: str = PID) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": "draft", "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": display}],
                                          "text": display},
            "subject": {"reference": f"Patient/{pid}"},
            "dosageInstruction": [{"text": "1 tablet every 6 hours as needed for pain"}]}


def bundle(*resources: dict[str, Any], kind: str = "searchset") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}


def order_request(hook: str, drafts: list[dict[str, Any]], prefetch: dict[str, Any] | None,
                  **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hookInstance": str(uuid.uuid4()), "hook": hook, "fhirServer": None,
        "context": {"userId": "Practitioner/ehr-doc-7", "patientId": PID, "encounterId": "enc-1",
                    "draftOrders": bundle(*drafts, kind="collection")},
    }
    if hook == "order-select":
        body["context"]["selections"] = [f"MedicationRequest/{drafts[-1]['id']}"]
    if prefetch is not None:
        body["prefetch"] = prefetch
    body.update(extra)
    if body["fhirServer"] is None:
        del body["fhirServer"]
    return body


def _prefetch_on_vivitrol(last_dose: date = date(2026, 3, 2)) -> dict[str, Any]:
    return {"patient": patient(), "medicationRequests": bundle(), "medicationAdministrations": bundle(),
            "medicationStatements": bundle(vivitrol_statement(last_dose))}


OXYCODONE = ("draft-oxy", "7804", "oxycodone")


# Tests ----------------------------------------------------------------------------------------

def test_discovery_lists_each_service_once_per_hook_with_prefetch_templates(cds_url: str) -> None:
    services = httpx.get(f"{cds_url}/cds-services").json()["services"]
    assert {s["id"]: s["hook"] for s in services} == {
        "naltrexone-order-check": "order-sign", "naltrexone-order-check-select": "order-select",
        "opioid-order-on-naltrexone": "order-select", "opioid-order-on-naltrexone-sign": "order-sign",
        "naltrexone-patient-view": "patient-view"}
    opioid = next(s for s in services if s["id"] == "opioid-order-on-naltrexone")
    assert opioid["prefetch"]["patient"] == "Patient/{{context.patientId}}"


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_opioid_order_for_a_patient_on_vivitrol_gets_a_critical_card(cds_url: str, hook: str) -> None:
    body = order_request(hook, [draft("draft-nsaid", "1364445", "apixaban 5 MG Oral Tablet"), draft(*OXYCODONE)],
                         _prefetch_on_vivitrol())
    response = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body)
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "critical"
    assert "2026-03-30" in card["summary"] and len(card["summary"]) < 140
    assert card["source"]["label"] == "naltrack"
    assert card["suggestions"][0]["actions"][0]["resourceId"] == "MedicationRequest/draft-oxy"


def test_no_card_when_the_last_vivitrol_dose_was_more_than_28_days_ago(cds_url: str) -> None:
    body = order_request("order-sign", [draft(*OXYCODONE)], _prefetch_on_vivitrol(TODAY - timedelta(days=29)))
    response = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body)
    assert response.json() == {"cards": []}


def test_naltrexone_order_after_fentanyl_four_days_ago_is_critical(cds_url: str) -> None:
    fentanyl_use = {"resourceType": "Observation", "id": "su-1", "status": "final",
                    "code": {"coding": [{"system": "urn:naltrack:observation", "code": "last-use-fentanyl"}]},
                    "subject": {"reference": f"Patient/{PID}"}, "effectiveDateTime": "2026-03-12",
                    "valueDateTime": "2026-03-08"}
    prefetch = {"patient": patient(), "observations": bundle(fentanyl_use)}
    body = order_request("order-sign", [draft("draft-viv", "637213", "naltrexone 380 MG Injection")], prefetch)
    card = httpx.post(f"{cds_url}/cds-services/naltrexone-order-check", json=body).json()["cards"][0]
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("Do not start XR-naltrexone")


def test_cdc_rec12_style_patient_view_counts_vivitrol_as_moud(cds_url: str) -> None:
    oud = {"resourceType": "Condition", "id": "oud", "clinicalStatus": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "191865004",
                             "display": "Combined opioid with other drug dependence"}]},
        "subject": {"reference": f"Patient/{PID}"}, "recordedDate": "2026-01-05"}
    base = {"hookInstance": str(uuid.uuid4()), "hook": "patient-view",
            "context": {"userId": "Practitioner/ehr-doc-7", "patientId": PID}}
    treated = {**base, "prefetch": {"patient": patient(), "conditions": bundle(oud), "medicationRequests": bundle(),
                                    "medicationAdministrations": bundle(),
                                    "medicationStatements": bundle(vivitrol_statement(date(2026, 3, 2)))}}
    cards = httpx.post(f"{cds_url}/cds-services/naltrexone-patient-view", json=treated).json()["cards"]
    assert [c["indicator"] for c in cards] == ["info", "info"]
    assert "Treated for opioid use disorder with naltrexone" in cards[1]["summary"]
    untreated = {**base, "prefetch": {"patient": patient(), "conditions": bundle(oud), "medicationRequests": bundle(),
                                      "medicationAdministrations": bundle(), "medicationStatements": bundle()}}
    cards = httpx.post(f"{cds_url}/cds-services/naltrexone-patient-view", json=untreated).json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]


def test_lapsed_protection_is_critical_with_a_naloxone_suggestion(cds_url: str) -> None:
    body = {"hookInstance": str(uuid.uuid4()), "hook": "patient-view", "context": {"patientId": PID},
            "prefetch": {"patient": patient(), "medicationStatements": bundle(vivitrol_statement(date(2026, 2, 1)))}}
    card = httpx.post(f"{cds_url}/cds-services/naltrexone-patient-view", json=body).json()["cards"][0]
    assert card["indicator"] == "critical"
    assert card["suggestions"][0]["actions"][0]["resource"]["medicationCodeableConcept"]["coding"][0]["code"] \
        == "1725059"


# Without prefetch: the FHIR server -----------------------------------------------------------

class FhirServer:
    """A FHIR-like server on loopback: bearer token required, MedicationStatement paged in two."""

    def __init__(self, token: str = "ehr-token") -> None:
        self.seen_tokens: list[str | None] = []
        app = FastAPI()
        resources = {"Patient": [patient()], "MedicationStatement": [vivitrol_statement(date(2026, 3, 2))]}

        @app.get("/fhir/{kind}/{rid}")
        def read(kind: str, rid: str, request: Request) -> JSONResponse:
            self.seen_tokens.append(request.headers.get("authorization"))
            if request.headers.get("authorization") != f"Bearer {token}":
                return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
            found = [r for r in resources.get(kind, []) if r["id"] == rid]
            return JSONResponse(found[0] if found else {}, status_code=200 if found else 404)

        @app.get("/fhir/{kind}")
        def search(kind: str, request: Request, page: int = 1) -> JSONResponse:
            self.seen_tokens.append(request.headers.get("authorization"))
            if request.headers.get("authorization") != f"Bearer {token}":
                return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
            items = resources.get(kind, [])
            result = bundle(*items) if page == 2 or kind != "MedicationStatement" else bundle()
            if kind == "MedicationStatement" and page == 1:
                result["link"] = [{"relation": "next", "url": f"{self.url}/fhir/{kind}?page=2"}]
            return JSONResponse(result)

        self.live = LiveServer(app)
        self.url = ""

    def __enter__(self) -> FhirServer:
        self.url = self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__()


def test_without_prefetch_the_service_queries_the_fhir_server_with_the_token(cds_url: str) -> None:
    with FhirServer() as fhir:
        body = order_request("order-sign", [draft(*OXYCODONE)], None, fhirServer=f"{fhir.url}/fhir",
                             fhirAuthorization={"access_token": "ehr-token", "token_type": "Bearer",
                                                "expires_in": 300, "scope": "patient/*.read", "subject": "cds"})
        response = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body)
    assert response.status_code == 200
    assert [c["indicator"] for c in response.json()["cards"]] == ["critical"]
    assert set(fhir.seen_tokens) == {"Bearer ehr-token"}


def test_fhir_server_refusing_the_token_gives_412(cds_url: str) -> None:
    with FhirServer() as fhir:
        body = order_request("order-sign", [draft(*OXYCODONE)], None, fhirServer=f"{fhir.url}/fhir",
                             fhirAuthorization={"access_token": "wrong", "token_type": "Bearer"})
        response = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body)
    assert response.status_code == 412
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["path"] == "prefetch.patient"


def test_no_prefetch_and_no_fhir_server_gives_412_naming_the_prefetch_key(cds_url: str) -> None:
    response = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone",
                          json=order_request("order-sign", [draft(*OXYCODONE)], None))
    assert response.status_code == 412
    assert "prefetch.patient" in response.json()["detail"]


# Bad requests -------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "path"), [
    (b"{not json", "(body)"),
    (b"[]", "(body)"),
    (b'{"hookInstance": "x", "context": {"patientId": "p"}}', "hook"),
    (b'{"hook": "order-sign", "hookInstance": "x"}', "context"),
    (b'{"hook": "order-sign", "hookInstance": "x", "context": {}}', "context.patientId"),
    (b'{"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p"}}', "context.draftOrders"),
    (b'{"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}}', "hook"),
    (b'{"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p", "draftOrders": '
     b'{"resourceType": "Bundle", "entry": [{"resource": 7}]}}}', "context.draftOrders.entry[0].resource"),
    (b'{"hook": "order-sign", "hookInstance": "x", "fhirServer": "ftp://x", "context": {"patientId": "p", '
     b'"draftOrders": {"resourceType": "Bundle"}}}', "fhirServer"),
])
def test_malformed_requests_get_400_problem_json_naming_the_path(cds_url: str, body: bytes, path: str) -> None:
    response = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", content=body,
                          headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["path"] == path


def test_unknown_service_is_404(cds_url: str) -> None:
    assert httpx.post(f"{cds_url}/cds-services/nope", json={}).status_code == 404


def test_a_prefetched_resource_the_reader_rejects_is_400_not_500(cds_url: str) -> None:
    bad = {**patient(), "birthDate": "not-a-date"}
    body = order_request("order-sign", [draft(*OXYCODONE)], {"patient": bad})
    response = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body)
    assert response.status_code == 400
    assert "birthDate" in response.json()["detail"]


@pytest.mark.parametrize("when", ["1979-13-40", "2026-03-02T10:30:00", "2026-02-30T10:30:00Z"])
def test_an_administration_with_an_impossible_date_is_400_naming_the_element(cds_url: str, when: str) -> None:
    given = {"resourceType": "MedicationAdministration", "id": "ma-viv", "status": "completed",
             "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "637213"}]},
             "subject": {"reference": f"Patient/{PID}"}, "effectiveDateTime": when}
    prefetch = {"patient": patient(), "medicationAdministrations": bundle(given)}
    body = order_request("order-sign", [draft(*OXYCODONE)], prefetch)
    response = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["path"] == "prefetch"
    assert f"Bundle.entry[1].resource.effectiveDateTime: '{when}'" in problem["detail"]


# Feedback -----------------------------------------------------------------------------------

def test_feedback_records_accepted_and_overridden_cards() -> None:
    ehr = Ehr()
    engine = _engine(verifier=verifier_from_settings(ehr.settings()))
    app = FastAPI()
    app.include_router(build_cds_router(engine))
    with LiveServer(app) as url:
        service = f"{url}/cds-services/opioid-order-on-naltrexone"
        body = order_request("order-sign", [draft(*OXYCODONE)], _prefetch_on_vivitrol())
        card = httpx.post(service, json=body, headers=ehr.headers(service)).json()["cards"][0]
        feedback = {"feedback": [
            {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-03-12T16:01:00Z",
             "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}]},
            {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-03-12T16:02:00Z",
             "overrideReason": {"reason": card["overrideReasons"][1], "userComment": "ICU, monitored"}},
        ]}
        response = httpx.post(f"{service}/feedback", json=feedback, headers=ehr.headers(f"{service}/feedback"))
        bad = httpx.post(f"{service}/feedback", headers=ehr.headers(f"{service}/feedback"),
                         json={"feedback": [{"card": "x", "outcome": "ignored", "outcomeTimestamp": "2026-03-12"}]})
        anonymous = httpx.post(f"{service}/feedback", json=feedback)
    assert response.json() == {"recorded": 2}
    records = engine.feedback.records
    assert [(r.outcome, r.rule, r.patient_id, r.recorded_at) for r in records] == [
        ("accepted", "IX-OPIOID", PID, NOW), ("overridden", "IX-OPIOID", PID, NOW)]
    assert records[1].override_code == "monitored-setting"
    assert records[1].reported_at == datetime(2026, 3, 12, 16, 2, tzinfo=UTC)
    assert bad.status_code == 400 and bad.json()["path"] == "feedback[0].outcome"
    assert anonymous.status_code == 401 and len(records) == 2


# JWT ----------------------------------------------------------------------------------------

@pytest.fixture()
def ehr_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def _token(key: ec.EllipticCurvePrivateKey, aud: str, *, iss: str = "https://ehr.example.org",
           jti: str | None = None, kid: str = "ehr-1") -> str:
    now = int(time.time())
    claims = {"iss": iss, "aud": aud, "exp": now + 300, "iat": now, "jti": jti or str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": kid})


class Ehr:
    """A trusted EHR: its issuer, its clinic in naltrack, its signing key, and the JWKS naltrack is given."""

    def __init__(self, iss: str = "https://ehr.example.org", clinic: str = "clinic-1") -> None:
        self.iss, self.clinic = iss, clinic
        self.key = ec.generate_private_key(ec.SECP384R1())

    def jwks(self) -> dict[str, Any]:
        public = ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": "ehr-1", "use": "sig", "alg": "ES384"}]}

    def entry(self, **source: Any) -> dict[str, Any]:
        return {"iss": self.iss, "name": "County Hospital EHR", "clinic": self.clinic, **(source or
                                                                                          {"jwks": self.jwks()})}

    def settings(self, **kw: Any) -> CdsSettings:
        return CdsSettings(issuers_json=json.dumps([self.entry()]), **kw)

    def headers(self, service_url: str, kid: str = "ehr-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {_token(self.key, service_url, iss=self.iss, kid=kid)}"}


def test_jwt_verification_accepts_the_trusted_ehr_and_refuses_others(ehr_key: ec.EllipticCurvePrivateKey) -> None:
    public = ehr_key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    issuer = TrustedIssuer("https://ehr.example.org", "County Hospital EHR", "clinic-1",
                           StaticKeys({"ehr-1": serialization.load_pem_public_key(public)}))
    verifier = JwtVerifier({issuer.iss: issuer})
    app = FastAPI()
    app.include_router(build_cds_router(_engine(verifier=verifier)))
    with LiveServer(app) as url:
        service = f"{url}/cds-services/opioid-order-on-naltrexone"
        body = order_request("order-sign", [draft(*OXYCODONE)], _prefetch_on_vivitrol())

        def call(token: str | None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return httpx.post(service, json=body, headers=headers)

        replayed = _token(ehr_key, service, jti="once")
        assert call(replayed).status_code == 200
        assert call(replayed).status_code == 401
        assert call(None).status_code == 401
        assert call(_token(ehr_key, "https://elsewhere.example/cds-services/x")).status_code == 401
        assert call(_token(ehr_key, service, iss="https://rogue.example")).status_code == 401
        other_key = ec.generate_private_key(ec.SECP384R1())
        refused = call(_token(other_key, service))
    assert refused.status_code == 401
    assert refused.json()["path"] == "Authorization"


def test_the_ehrs_keys_come_from_its_jwks_url_or_a_jwks_file(tmp_path: Path) -> None:
    ehr, impostor = Ehr(), Ehr()  # the impostor signs as the same issuer and kid with another key
    fetched: list[str] = []
    keys = FastAPI()

    @keys.get("/jwks.json")
    def jwks() -> dict[str, Any]:
        fetched.append("jwks")
        return ehr.jwks()

    (tmp_path / "jwks.json").write_text(json.dumps(ehr.jwks()))
    with LiveServer(keys) as keys_url:
        for source in ({"jwks_url": f"{keys_url}/jwks.json"}, {"jwks_file": str(tmp_path / "jwks.json")}):
            settings = CdsSettings(issuers_json=json.dumps([ehr.entry(**source)]))
            app = FastAPI()
            app.include_router(build_cds_router(_engine(verifier=verifier_from_settings(settings))))
            with LiveServer(app) as url:
                service = f"{url}/cds-services/opioid-order-on-naltrexone"
                body = order_request("order-sign", [draft(*OXYCODONE)], _prefetch_on_vivitrol())
                answers = [httpx.post(service, json=body, headers=signer.headers(service, kid)).status_code
                           for signer, kid in ((ehr, "ehr-1"), (ehr, "ehr-1"), (impostor, "ehr-1"), (ehr, "ehr-9"))]
            assert answers == [200, 200, 401, 401], source
    assert fetched == ["jwks"]  # kept; an unknown kid fetches again at most every 30 s


def test_a_vivitrol_administration_recorded_by_the_ehr_counts_as_naltrexone_on_board(cds_url: str) -> None:
    given = {"resourceType": "MedicationAdministration", "id": "ma-viv", "status": "completed",
             "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "637213"}]},
             "subject": {"reference": f"Patient/{PID}"}, "effectiveDateTime": "2026-03-02T10:30:00-05:00",
             "dosage": {"dose": {"value": 380, "unit": "mg"}}}
    prefetch = {"patient": patient(), "medicationAdministrations": bundle(given), "medicationRequests": bundle(),
                "medicationStatements": bundle()}
    body = order_request("order-sign", [draft(*OXYCODONE)], prefetch)
    cards = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body).json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical"]
    assert "2026-03-30" in cards[0]["summary"]


def test_the_sandbox_medication_prescribe_hook_is_read_like_order_select(cds_url: str) -> None:
    body = order_request("order-sign", [draft(*OXYCODONE)], _prefetch_on_vivitrol())
    body["hook"] = "medication-prescribe"
    body["context"]["medications"] = body["context"].pop("draftOrders")
    cards = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body).json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical"]


# Blockade after an XR-NTX injection -------------------------------------------------------------

def vivitrol_injection(given: str, pid: str = PID) -> dict[str, Any]:
    """A complete XR-NTX administration (side, kit lot and expiry, needle, performer): an injection record."""
    return {"resourceType": "MedicationAdministration", "id": "ma-inj", "status": "completed",
            "subject": {"reference": f"Patient/{pid}"}, "medicationReference": {"reference": "#kit"},
            "contained": [{"resourceType": "Medication", "id": "kit", "code": {"coding": [
                {"system": RXNORM, "code": "637213", "display": "naltrexone 380 MG Injection"}]},
                "batch": {"lotNumber": "VX26001", "expirationDate": "2027-01-31"}}],
            "extension": [{"url": "urn:naltrack:fhir:extension:needle-length",
                           "valueQuantity": {"value": 2.0, "unit": "in"}}],
            "effectiveDateTime": given, "performer": [{"actor": {"display": "RN Kim"}}],
            "dosage": {"site": {"text": "left gluteal"}, "dose": {"value": 380.0, "unit": "mg"}}}


def test_an_opioid_ordered_on_days_1_to_28_after_an_injection_and_through_the_blocked_through_day_is_critical(
        ) -> None:
    """The blockade estimate: blocked through day 32 after the injection of 2026-03-02 (docs/pk.md), at least
    the label's 28 days (clinical.md §1.2, §3); the day after it ends, no card."""
    clock = {"now": NOW}
    engine = _engine()
    engine.clock = lambda: clock["now"]
    app = FastAPI()
    app.include_router(build_cds_router(engine))
    prefetch = {"patient": patient(), "medicationAdministrations": bundle(vivitrol_injection("2026-03-02T10:00:00Z")),
                "medicationRequests": bundle(), "medicationStatements": bundle()}
    found: dict[int, list[str]] = {}
    with LiveServer(app) as url:
        for day in (1, 2, 10, 20, 27, 28, 29, 32, 33, 40):
            clock["now"] = datetime(2026, 3, 2, 16, tzinfo=UTC) + timedelta(days=day)
            body = order_request("order-select", [draft(*OXYCODONE)], prefetch)
            cards = httpx.post(f"{url}/cds-services/opioid-order-on-naltrexone", json=body).json()["cards"]
            found[day] = [c["indicator"] for c in cards]
            if cards:
                assert "2026-04-03" in cards[0]["summary"]
    assert found == {day: ["critical"] if day <= 32 else [] for day in found}


def _statement(code: str, display: str) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "id": f"ms-{code}", "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": display}]},
            "subject": {"reference": f"Patient/{PID}"}, "effectivePeriod": {"start": "2026-01-01"}}


@pytest.mark.parametrize(("listed", "ordered", "indicator", "names"), [
    (("1551468", "Contrave"), OXYCODONE, "warning", "oxycodone"),  # partial blockade by Contrave's naltrexone
    (("864706", "methadone 10 MG Oral Tablet"), ("draft-con", "1551468", "Contrave"), "critical", "bupropion"),
    (("1010604", "buprenorphine 8 MG / naloxone 2 MG Sublingual Film"), ("draft-con", "1551468", "Contrave"),
     "critical", "bupropion"),
])
def test_contrave_against_opioids_over_http(cds_url: str, listed: tuple[str, str], ordered: tuple[str, str, str],
                                            indicator: str, names: str) -> None:
    prefetch = {"patient": patient(), "medicationRequests": bundle(), "medicationAdministrations": bundle(),
                "medicationStatements": bundle(_statement(*listed))}
    body = order_request("order-sign", [draft(*ordered)], prefetch)
    cards = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body).json()["cards"]
    assert [(c["indicator"], c["summary"].split()[0].rstrip(":"), c["source"]["label"]) for c in cards] == \
        [(indicator, names, "naltrack")]
