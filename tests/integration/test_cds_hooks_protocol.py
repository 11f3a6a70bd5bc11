"""CDS Hooks 2.0 by the letter, over real HTTP (uvicorn on loopback): what could not be seen is said,
CORS with preflight for browser clients, one discovery entry per hook, fhirServer limited to configured
origins, the documented body limit, valid R4 accepted.

Requests are shaped like the CDC opioid CDS IG's example requests and US Core / Synthea resources
(anchors.md §3.1, §5), with synthetic patients.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests.integration.test_cds_hooks import (
    NOW,
    OXYCODONE,
    PID,
    LiveServer,
    _prefetch_on_vivitrol,
    bundle,
    draft,
    order_request,
    patient,
    vivitrol_statement,
)

from naltrack.api.app import create_app
from naltrack.cds.auth import JwtVerifier
from naltrack.cds.engine import CdsEngine
from naltrack.cds.fhir_data import FETCH_FAILED, FhirOrigins
from naltrack.cds.router import build_cds_router
from naltrack.config import CDS_HOOKS_SANDBOX, Settings

OPIOID = "/cds-services/opioid-order-on-naltrexone"
MEDICATION_KEYS = ("medicationRequests", "medicationAdministrations", "medicationStatements")


def _engine(origins: FhirOrigins | None = None) -> CdsEngine:
    return CdsEngine(verifier=JwtVerifier({}, anonymous=True), clock=lambda: NOW, timezone="UTC",
                     fhir_origins=origins or FhirOrigins(loopback=True))


def _serve(engine: CdsEngine) -> LiveServer:
    app = FastAPI()
    app.include_router(build_cds_router(engine))
    return LiveServer(app)


@pytest.fixture()
def cds_url() -> Iterator[str]:
    with _serve(_engine()) as url:
        yield url


class EhrFhir:
    """A FHIR server on loopback: Patient, and one answer per resource type (a status, a bundle, a next link)."""

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.hits: list[tuple[str, str | None]] = []
        self.answers = answers or {}
        app = FastAPI()

        @app.get("/fhir/{path:path}")
        def any_path(path: str, request: Request) -> JSONResponse:
            self.hits.append((request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                              request.headers.get("authorization")))
            kind = path.split("/")[0]
            answer = self.answers.get(kind)
            if isinstance(answer, int):
                return JSONResponse({"resourceType": "OperationOutcome"}, status_code=answer)
            if answer is not None:
                return JSONResponse(answer)
            return JSONResponse(patient() if kind == "Patient" else bundle())

        self.live = LiveServer(app)
        self.url = ""

    def __enter__(self) -> EhrFhir:
        self.url = self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__()


def _on_vivitrol_today() -> dict[str, Any]:
    """For the whole app, whose clock is the real one: the last XR-NTX dose three days ago."""
    today = datetime.now(UTC).date()
    statement = vivitrol_statement(today - timedelta(days=3))
    statement["effectivePeriod"]["start"] = (today - timedelta(days=30)).isoformat()
    return {**_prefetch_on_vivitrol(), "medicationStatements": bundle(statement)}


def _with_server(url: str, prefetch: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return order_request("order-sign", [draft(*OXYCODONE)], prefetch, fhirServer=f"{url}/fhir",
                         fhirAuthorization={"access_token": "ehr-token", "token_type": "Bearer"}, **extra)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the socket is


# 1. Data that could not be seen ----------------------------------------------------------------

@pytest.mark.parametrize("status", [401, 404, 500, 503])
def test_a_medication_list_the_fhir_server_refuses_is_said_on_a_warning_card(cds_url: str, status: int) -> None:
    with EhrFhir({"MedicationStatement": status}) as fhir:
        response = httpx.post(cds_url + OPIOID, json=_with_server(fhir.url))
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]
    assert cards[0]["summary"].startswith(f"naltrack could not read the medication list: {FETCH_FAILED}")
    assert len(cards[0]["summary"]) < 140
    assert "the medication list (statements)" in cards[0]["detail"]
    assert cards[0]["source"]["topic"]["code"] == "CDS-DATA-MISSING"


def test_an_operation_outcome_in_the_prefetch_is_said_with_its_diagnostics(cds_url: str) -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "forbidden", "diagnostics": "MedicationStatement search not permitted"}]}
    prefetch = {**_prefetch_on_vivitrol(), "medicationStatements": outcome}
    response = httpx.post(cds_url + OPIOID, json=order_request("order-sign", [draft(*OXYCODONE)], prefetch))
    cards = response.json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]
    assert cards[0]["summary"].startswith("naltrack could not read the medication list: the EHR answered with an "
                                          "OperationOutcome")
    assert "the medication list (statements): the EHR answered with an OperationOutcome (MedicationStatement " \
           "search not permitted) and no fhirServer was given" in cards[0]["detail"]


def test_a_prefetch_holding_only_the_patient_is_never_an_empty_answer(cds_url: str) -> None:
    body = order_request("order-sign", [draft(*OXYCODONE)], {"patient": patient()})
    cards = httpx.post(cds_url + OPIOID, json=body).json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]
    assert cards[0]["summary"].startswith(
        "naltrack could not read the medication list: was not prefetched and no fhirServer was given")
    assert all(f"the medication list ({kind})" in cards[0]["detail"]
               for kind in ("orders", "administrations", "statements"))


def test_a_complete_prefetch_without_naltrexone_is_still_no_cards(cds_url: str) -> None:
    prefetch = {"patient": patient(), **{key: bundle() for key in MEDICATION_KEYS}}
    body = order_request("order-sign", [draft(*OXYCODONE)], prefetch)
    assert httpx.post(cds_url + OPIOID, json=body).json() == {"cards": []}


def test_the_critical_card_stays_first_when_part_of_the_record_is_missing(cds_url: str) -> None:
    prefetch = {k: v for k, v in _prefetch_on_vivitrol().items() if k != "medicationRequests"}
    cards = httpx.post(cds_url + OPIOID, json=order_request("order-sign", [draft(*OXYCODONE)], prefetch)).json()
    assert [c["indicator"] for c in cards["cards"]] == ["critical", "warning"]
    assert "the medication list (orders)" in cards["cards"][1]["detail"]


@pytest.mark.parametrize("patient_answer", [500, 503, 401])
def test_no_patient_is_412_and_a_closed_port_reads_like_a_refusal(cds_url: str, patient_answer: int) -> None:
    with EhrFhir({"Patient": patient_answer}) as fhir:
        refused = httpx.post(cds_url + OPIOID, json=_with_server(fhir.url))
    closed = httpx.post(cds_url + OPIOID, json=_with_server(f"http://127.0.0.1:{_closed_port()}"))
    assert refused.status_code == closed.status_code == 412
    assert refused.json()["detail"] == closed.json()["detail"] == f"prefetch.patient: {FETCH_FAILED}"


# 2. CORS ---------------------------------------------------------------------------------------

@pytest.fixture()
def app_url(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The whole app; ``{"cds_anonymous": "allow"}`` sets NALTRACK_CDS_ANONYMOUS as ``make demo`` does."""
    params = dict(getattr(request, "param", {}))
    if "cds_anonymous" in params:
        monkeypatch.setenv("NALTRACK_CDS_ANONYMOUS", params.pop("cds_anonymous"))
    settings = Settings(data_dir=tmp_path, timezone="UTC", **params)
    with LiveServer(create_app(settings)) as url:
        yield url


def _preflight(url: str, origin: str, method: str = "POST") -> httpx.Response:
    return httpx.options(url, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                       "Access-Control-Request-Headers": "authorization,content-type"})


@pytest.mark.parametrize("app_url", [{"cors_origins": "https://ehr.example.org, https://other.example"}],
                         indirect=True)
@pytest.mark.parametrize(("path", "method"), [("/cds-services", "GET"), (OPIOID, "POST"),
                                              ("/cds-services/naltrexone-patient-view/feedback", "POST"),
                                              ("/fhir/R4/metadata", "GET"), ("/fhir/R4/Patient/pt-1", "GET")])
def test_a_browser_preflight_from_a_configured_origin_is_answered(app_url: str, path: str, method: str) -> None:
    response = _preflight(app_url + path, "https://ehr.example.org", method)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://ehr.example.org"
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert method in response.headers["access-control-allow-methods"]
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize("app_url", [{"cors_origins": "https://ehr.example.org"}], indirect=True)
def test_cors_is_for_configured_origins_and_the_interop_paths_only(app_url: str) -> None:
    refused = _preflight(app_url + "/cds-services", "https://evil.example")
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    for path in ("/api/v1/patients", "/", "/health"):
        response = _preflight(app_url + path, "https://ehr.example.org", "GET")
        assert "access-control-allow-origin" not in response.headers, path
    discovery = httpx.get(app_url + "/cds-services", headers={"Origin": "https://ehr.example.org"})
    assert discovery.headers["access-control-allow-origin"] == "https://ehr.example.org"
    assert len(discovery.json()["services"]) == 5
    unauthorized = httpx.post(app_url + OPIOID, json={}, headers={"Origin": "https://ehr.example.org"})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["access-control-allow-origin"] == "https://ehr.example.org"


def test_by_default_no_origin_is_allowed(app_url: str) -> None:
    response = _preflight(app_url + "/cds-services", CDS_HOOKS_SANDBOX, "GET")
    assert response.status_code == 403 and "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("app_url", [{"demo": True, "cds_anonymous": "allow"}], indirect=True)
def test_the_demo_lets_the_cds_hooks_sandbox_call_without_a_jwt(app_url: str) -> None:
    preflight = _preflight(app_url + OPIOID, CDS_HOOKS_SANDBOX)
    assert preflight.headers["access-control-allow-origin"] == CDS_HOOKS_SANDBOX
    response = httpx.post(app_url + OPIOID, json=order_request("order-sign", [draft(*OXYCODONE)],
                                                              _on_vivitrol_today()),
                          headers={"Origin": CDS_HOOKS_SANDBOX})
    assert response.status_code == 200
    assert [c["indicator"] for c in response.json()["cards"]] == ["critical"]


@pytest.mark.parametrize("app_url", [{}, {"demo": True}], indirect=True)
def test_without_anonymous_allowed_the_calling_ehr_must_send_a_jwt_demo_or_not(app_url: str) -> None:
    body = order_request("order-sign", [draft(*OXYCODONE)], _prefetch_on_vivitrol())
    response = httpx.post(app_url + OPIOID, json=body)
    assert response.status_code == 401
    assert response.json()["path"] == "Authorization"


# 3. One discovery entry per hook ---------------------------------------------------------------

def test_every_hook_of_a_service_has_its_own_discovery_entry(cds_url: str) -> None:
    services = httpx.get(cds_url + "/cds-services").json()["services"]
    assert len({s["id"] for s in services}) == len(services) == 5
    assert all("extension" not in s for s in services)
    by_hook = {(s["title"], s["hook"]) for s in services}
    assert ("Opioid order for a patient on naltrexone", "order-sign") in by_hook
    assert ("Naltrexone order check", "order-select") in by_hook
    sign = next(s for s in services if s["id"] == "opioid-order-on-naltrexone-sign")
    select = next(s for s in services if s["id"] == "opioid-order-on-naltrexone")
    assert sign["hook"] == "order-sign" and select["hook"] == "order-select"
    assert sign["prefetch"] == select["prefetch"]


@pytest.mark.parametrize(("service", "hook"), [("opioid-order-on-naltrexone-sign", "order-sign"),
                                               ("opioid-order-on-naltrexone", "order-select")])
def test_the_sign_and_select_entries_give_the_same_advice(cds_url: str, service: str, hook: str) -> None:
    body = order_request(hook, [draft(*OXYCODONE)], _prefetch_on_vivitrol())
    cards = httpx.post(f"{cds_url}/cds-services/{service}", json=body).json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical"]
    assert "2026-03-30" in cards[0]["summary"]


def test_the_order_check_answers_at_order_select_too(cds_url: str) -> None:
    body = order_request("order-select", [draft("draft-viv", "637213", "naltrexone 380 MG Injection")],
                         {"patient": patient(), "observations": bundle(), "conditions": bundle(),
                          "allergies": bundle(), **{key: bundle() for key in MEDICATION_KEYS}})
    response = httpx.post(cds_url + "/cds-services/naltrexone-order-check-select", json=body)
    assert response.status_code == 200
    assert response.json()["cards"]


# 4. fhirServer: configured origins only; the token stays at its origin ----------------------------

def test_a_fhir_server_outside_the_configured_origins_is_never_called() -> None:
    with EhrFhir() as fhir, _serve(_engine(FhirOrigins.parse("https://ehr.example.org"))) as url:
        response = httpx.post(url + OPIOID, json=_with_server(fhir.url))
    assert response.status_code == 412
    assert fhir.hits == []
    assert "is not an allowed origin (NALTRACK_CDS_FHIR_ORIGINS)" in response.json()["detail"]


def test_a_configured_origin_is_called_with_the_token() -> None:
    with EhrFhir() as fhir, _serve(_engine(FhirOrigins.parse(""))) as blocked:
        assert httpx.post(blocked + OPIOID, json=_with_server(fhir.url)).status_code == 412
        with _serve(_engine(FhirOrigins.parse(fhir.url))) as allowed:
            response = httpx.post(allowed + OPIOID, json=_with_server(fhir.url))
    assert response.status_code == 200 and response.json() == {"cards": []}
    assert {token for _, token in fhir.hits} == {"Bearer ehr-token"}


def test_a_next_link_to_another_origin_is_not_followed_with_the_token(cds_url: str) -> None:
    with EhrFhir() as elsewhere:
        page = {**bundle(vivitrol_statement(date(2026, 3, 2))),
                "link": [{"relation": "next", "url": f"{elsewhere.url}/fhir/MedicationStatement?page=2"}]}
        with EhrFhir({"MedicationStatement": page}) as fhir:
            response = httpx.post(cds_url + OPIOID, json=_with_server(fhir.url))
    assert elsewhere.hits == []
    cards = response.json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical", "warning"]
    assert "next page is on another server and was not read" in cards[1]["summary"]


def test_patient_id_given_as_a_reference_is_read_as_the_id() -> None:
    with EhrFhir() as fhir, _serve(_engine()) as url:
        body = _with_server(fhir.url)
        body["context"]["patientId"] = f"Patient/{PID}"
        response = httpx.post(url + OPIOID, json=body)
    assert response.status_code == 200
    assert f"/fhir/Patient/{PID}" in [path for path, _ in fhir.hits]
    assert f"/fhir/MedicationStatement?patient={PID}" in [path for path, _ in fhir.hits]


# 5. The documented 2 MB body limit, in the whole app ----------------------------------------------

def _padded(size: int) -> bytes:
    body = order_request("order-sign", [draft(*OXYCODONE)], _on_vivitrol_today())
    body["extension"] = {"org.example.padding": ""}
    bare = len(json.dumps(body).encode())
    body["extension"]["org.example.padding"] = "x" * (size - bare)
    encoded = json.dumps(body).encode()
    assert len(encoded) == size
    return encoded


@pytest.mark.parametrize("app_url", [{"demo": True, "cds_anonymous": "allow"}], indirect=True)
def test_a_body_just_under_2_mb_is_answered_and_just_over_is_413(app_url: str) -> None:
    headers = {"content-type": "application/json"}
    under = httpx.post(app_url + OPIOID, content=_padded(1_999_990), headers=headers, timeout=30)
    assert under.status_code == 200
    assert [c["indicator"] for c in under.json()["cards"]] == ["critical"]
    over = httpx.post(app_url + OPIOID, content=_padded(2_000_001), headers=headers, timeout=30)
    assert over.status_code == 413 and over.json()["path"] == "(body)"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield from (b"x" * 500_000 for _ in range(5))

    streamed = httpx.post(app_url + OPIOID, content=chunks(), headers=headers, timeout=30)
    assert streamed.status_code == 413


# 6. Valid R4 is accepted --------------------------------------------------------------------------

@pytest.mark.parametrize("birth", ["1980", "1980-05", None])
def test_a_partial_or_absent_birth_date_is_valid_r4(cds_url: str, birth: str | None) -> None:
    person = {k: v for k, v in patient().items() if k != "birthDate"}
    if birth is not None:
        person["birthDate"] = birth
    for service in ("opioid-order-on-naltrexone", "naltrexone-order-check"):
        drafts = [draft(*OXYCODONE)] if service.startswith("opioid") else [
            draft("draft-viv", "637213", "naltrexone 380 MG Injection")]
        prefetch = {**_prefetch_on_vivitrol(), "patient": person, "conditions": bundle(), "observations": bundle(),
                    "allergies": bundle()}
        response = httpx.post(f"{cds_url}/cds-services/{service}", json=order_request("order-sign", drafts, prefetch))
        assert response.status_code == 200, response.text
        said = [c["summary"] for c in response.json()["cards"]]
        assert any("could not read the patient: no birth date" in s for s in said) == (
            birth is None and service == "naltrexone-order-check")


def test_an_active_medication_statement_without_effective_is_taken_as_current(cds_url: str) -> None:
    undated = {k: v for k, v in vivitrol_statement(date(2026, 3, 2)).items() if k != "effectivePeriod"}
    prefetch = {**_prefetch_on_vivitrol(), "medicationStatements": bundle(undated)}
    response = httpx.post(cds_url + OPIOID, json=order_request("order-sign", [draft(*OXYCODONE)], prefetch))
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical", "warning"]
    assert "MedicationStatement/ms-viv: naltrexone 380 MG Injection has no date; being active, it was read as " \
           "taken today" in cards[1]["detail"]


def test_a_completed_medication_statement_without_any_date_is_named_not_guessed(cds_url: str) -> None:
    undated = {**{k: v for k, v in vivitrol_statement(date(2026, 3, 2)).items() if k != "effectivePeriod"},
               "status": "completed"}
    prefetch = {**_prefetch_on_vivitrol(), "medicationStatements": bundle(undated)}
    response = httpx.post(cds_url + OPIOID, json=order_request("order-sign", [draft(*OXYCODONE)], prefetch))
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]
    assert "naltrexone 380 MG Injection has no date: naltrack could not tell when it was taken" in cards[0]["detail"]


def test_a_hook_instance_is_any_string_and_unknown_members_are_ignored(cds_url: str) -> None:
    body = order_request("order-sign", [draft(*OXYCODONE)], _prefetch_on_vivitrol())
    body["hookInstance"] = str(uuid.uuid4())
    body["extension"] = {"com.example.ehr": {"tenant": "north"}}
    assert httpx.post(cds_url + OPIOID, json=body).status_code == 200
