"""CDS data access without a server: FHIR origins, prefetch failures, data gaps, valid R4 made readable,
discovery per hook, the CDS and CORS settings."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date

import httpx
import pytest
from pydantic import ValidationError

from naltrack.cds.auth import CdsSettings, verifier_from_settings
from naltrack.cds.cards import SUMMARY_MAX
from naltrack.cds.data_gaps import DataGap, gap_card
from naltrack.cds.fhir_data import FETCH_FAILED, FhirOrigins, failure_of, gather, origin_of, render_template
from naltrack.cds.hooks import SERVICES, parse_request
from naltrack.cds.problems import CdsProblem
from naltrack.cds.r4_leniency import UNKNOWN_AGE_YEARS, make_readable
from naltrack.config import CDS_HOOKS_SANDBOX, Settings

TODAY = date(2026, 3, 12)
#: The context fields each hook defines (CDS Hooks 2.0 hook definitions): prefetch tokens may name only these.
HOOK_CONTEXT = {
    "patient-view": ("userId", "patientId", "encounterId"),
    "order-select": ("userId", "patientId", "encounterId", "selections", "draftOrders"),
    "order-sign": ("userId", "patientId", "encounterId", "draftOrders"),
}
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _request(**extra: object) -> bytes:
    return json.dumps({"hook": "patient-view", "hookInstance": "h", "context": {"patientId": "p1"},
                       **extra}).encode()


@pytest.mark.parametrize(("url", "origin"), [
    ("https://EHR.example.org/fhir/R4", "https://ehr.example.org"),
    ("https://ehr.example.org:443/fhir", "https://ehr.example.org"),
    ("http://ehr.example.org:8080/fhir", "http://ehr.example.org:8080"),
    ("http://[::1]:9000/x", "http://[::1]:9000"),
    ("ftp://ehr.example.org/", None),
    ("https://", None),
    ("http://host:99999/", None),
])
def test_origin_of_normalises_scheme_host_and_port(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_only_configured_origins_and_loopback_in_the_demo_are_allowed() -> None:
    origins = FhirOrigins.parse("https://ehr.example.org, http://fhir.example.org:8080")
    assert origins.allows("https://ehr.example.org/fhir/R4")
    assert origins.allows("http://fhir.example.org:8080/base")
    assert not origins.allows("http://ehr.example.org/fhir")  # another scheme is another origin
    assert not origins.allows("https://ehr.example.org.evil.example/fhir")
    assert not origins.allows("http://127.0.0.1:8000/fhir") and not origins.allows("http://169.254.169.254/")
    demo = FhirOrigins.parse("", loopback=True)
    assert demo.allows("http://127.0.0.1:5000/fhir") and demo.allows("http://localhost:1/")
    assert demo.allows("http://[::1]:8080/") and not demo.allows("http://10.0.0.5/fhir")
    with pytest.raises(ValueError, match="'ehr.example.org' is not an http"):
        FhirOrigins.parse("ehr.example.org")


def test_templates_encode_what_the_context_puts_in_a_url() -> None:
    request = parse_request(json.dumps({"hook": "patient-view", "hookInstance": "h",
                                        "context": {"patientId": "a/../b?x=1"}}).encode(),
                            SERVICES["naltrexone-patient-view"])
    assert render_template("Patient/{{context.patientId}}", request) == "Patient/a%2F..%2Fb%3Fx%3D1"


def test_a_patient_reference_in_context_is_read_as_its_id() -> None:
    body = json.dumps({"hook": "patient-view", "hookInstance": "h", "context": {"patientId": "Patient/p7"}})
    assert parse_request(body.encode(), SERVICES["naltrexone-patient-view"]).patient_id == "p7"
    bad = json.dumps({"hook": "patient-view", "hookInstance": "h", "context": {"patientId": "Patient/"}})
    with pytest.raises(CdsProblem, match="is not a Patient id") as caught:
        parse_request(bad.encode(), SERVICES["naltrexone-patient-view"])
    assert caught.value.path == "context.patientId"


@pytest.mark.parametrize(("value", "said"), [
    ({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "forbidden"}]},
     "the EHR answered with an OperationOutcome (forbidden)"),
    ({"resourceType": "OperationOutcome"}, "the EHR answered with an OperationOutcome (no detail)"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "OperationOutcome", "issue": [
        {"severity": "fatal", "diagnostics": "timeout"}]}}]}, "the EHR answered with an OperationOutcome (timeout)"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "OperationOutcome", "issue": [
        {"severity": "warning", "diagnostics": "paged"}]}}]}, None),
    ({"resourceType": "Bundle", "entry": []}, None),
    ({"resourceType": "OperationOutcome", "issue": "junk"}, "the EHR answered with an OperationOutcome (no detail)"),
])
def test_an_operation_outcome_is_a_failure_with_its_words(value: object, said: str | None) -> None:
    assert failure_of(value) == said


def test_gather_reports_each_missing_key_and_412s_only_the_patient() -> None:
    service = SERVICES["opioid-order-on-naltrexone"]
    request = parse_request(json.dumps({
        "hook": "order-sign", "hookInstance": "h",
        "context": {"patientId": "p1", "draftOrders": {"resourceType": "Bundle", "entry": []}},
        "prefetch": {"patient": {"resourceType": "Patient", "id": "p1"}, "medicationRequests": None,
                     "medicationStatements": {"resourceType": "OperationOutcome"}}}).encode(), service)
    found = asyncio.run(gather(request, service, None, 1.0))
    assert [r["id"] for r in found.resources] == ["p1"]
    assert [(g.key, g.reason) for g in found.gaps] == [
        ("medicationRequests", "was not prefetched and no fhirServer was given"),
        ("medicationAdministrations", "was not prefetched and no fhirServer was given"),
        ("medicationStatements", "the EHR answered with an OperationOutcome (no detail) and no fhirServer was given")]


def test_every_failed_query_reads_the_same() -> None:
    service = SERVICES["naltrexone-patient-view"]
    request = parse_request(_request(fhirServer="http://127.0.0.1:9/fhir"), service)

    def answer(status: int | None) -> str:
        def handler(req: httpx.Request) -> httpx.Response:
            if status is None:
                raise httpx.ConnectError("connection refused", request=req)
            return httpx.Response(status, json={})

        async def run() -> str:
            async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
                with pytest.raises(CdsProblem) as caught:
                    await gather(request, service, client, 1.0, FhirOrigins(loopback=True))
                return caught.value.detail

        return asyncio.run(run())

    details = {answer(status) for status in (None, 401, 404, 500, 503, 302)}
    assert details == {f"prefetch.patient: {FETCH_FAILED}"}


def test_the_gap_card_names_every_gap_and_leads_with_the_medication_list() -> None:
    card = gap_card([DataGap("conditions", "was not prefetched"), DataGap("medicationStatements", FETCH_FAILED)])
    assert card is not None
    shown = card.as_json()
    assert shown["indicator"] == "warning" and "overrideReasons" not in shown
    assert shown["summary"].startswith(f"naltrack could not read the medication list: {FETCH_FAILED}")
    assert len(shown["summary"]) <= SUMMARY_MAX
    assert "- the problem list: was not prefetched" in shown["detail"]
    assert gap_card([]) is None


@pytest.mark.parametrize(("birth", "read"), [("1980", "1980-12-31"), ("1980-02", "1980-02-29"),
                                            ("1981-02", "1981-02-28"), ("2026", "2026-03-12"),
                                            ("1980-05-04", "1980-05-04"), ("1980-13", "1980-13"),
                                            ("0000", "0000")])
def test_a_partial_birth_date_is_read_as_its_last_day(birth: str, read: str) -> None:
    resources, gaps = make_readable([{"resourceType": "Patient", "id": "p", "birthDate": birth}], TODAY,
                                    ages_matter=True)
    assert resources[0]["birthDate"] == read and gaps == []


def test_no_birth_date_is_an_adult_said_on_the_card_where_age_matters() -> None:
    resources, gaps = make_readable([{"resourceType": "Patient", "id": "p"}], TODAY, ages_matter=True)
    assert resources[0]["birthDate"] == f"{TODAY.year - UNKNOWN_AGE_YEARS}-01-01"
    assert [g.key for g in gaps] == ["patient"] and "no birth date" in gaps[0].reason
    assert make_readable([{"resourceType": "Patient", "id": "p"}], TODAY, ages_matter=False)[1] == []


def _statement(status: str, **dates: object) -> dict[str, object]:
    return {"resourceType": "MedicationStatement", "id": "m", "status": status, "subject": {"reference": "Patient/p"},
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "7804"}]}, **dates}


def test_undated_medications_are_current_when_active_else_left_out_and_named() -> None:
    read, gaps = make_readable([_statement("active")], TODAY, ages_matter=False)
    assert read[0]["effectiveDateTime"] == "2026-03-12" and "read as taken today" in gaps[0].reason
    read, gaps = make_readable([_statement("completed")], TODAY, ages_matter=False)
    assert read == [] and gaps == [DataGap("MedicationStatement/m", "7804 has no date: naltrack could not tell "
                                                                    "when it was taken")]
    read, gaps = make_readable([_statement("completed", effectivePeriod={"end": "2026-03-01"})], TODAY,
                               ages_matter=False)
    assert read[0]["effectivePeriod"] == {"start": "2026-03-01", "end": "2026-03-01"} and gaps == []
    dated = _statement("completed", dateAsserted="2026-03-01")
    assert make_readable([dated], TODAY, ages_matter=False) == ([dated], [])
    junk = _statement("stopped", dosageInstruction=7, medicationCodeableConcept={"coding": "x"})
    assert make_readable([junk], TODAY, ages_matter=False)[1][0].reason.startswith("a medication has no date")


def test_each_discovery_entry_declares_one_hook_and_templates_only_its_context() -> None:
    assert len({(s.advice, s.hook) for s in SERVICES.values()}) == len(SERVICES) == 5
    for service in SERVICES.values():
        assert service.hook in service.accepts
        for template in service.prefetch.values():
            for token in re.findall(r"\{\{\s*context\.(\w+)\s*\}\}", template):
                assert token in HOOK_CONTEXT[service.hook], (service.id, template)


def test_anonymous_calls_are_refused_unless_allowed_and_the_demo_does_not_allow_them() -> None:
    assert verifier_from_settings(CdsSettings().for_mode(demo=False)).anonymous is False
    assert verifier_from_settings(CdsSettings().for_mode(demo=True)).anonymous is False
    assert verifier_from_settings(CdsSettings(anonymous="allow").for_mode(demo=False)).anonymous is True
    with pytest.raises(ValidationError, match="anonymous"):
        CdsSettings(anonymous="yes")  # type: ignore[arg-type]
    assert CdsSettings().for_mode(demo=True).fhir_origin_policy().loopback is True
    assert CdsSettings().for_mode(demo=False).fhir_origin_policy().loopback is False
    assert CdsSettings(fhir_origins="https://ehr.example.org").fhir_origin_policy().allowed == {
        "https://ehr.example.org"}
    with pytest.raises(ValidationError, match="not an http"):
        CdsSettings(fhir_origins="ehr.example.org")


def test_cors_origins_are_none_by_default_and_the_sandbox_in_the_demo() -> None:
    assert Settings().cors_origin_list() == ()
    assert Settings(demo=True).cors_origin_list() == (CDS_HOOKS_SANDBOX,)
    assert Settings(demo=True, cors_origins="").cors_origin_list() == ()
    assert Settings(cors_origins="https://a.example/, https://b.example").cors_origin_list() == (
        "https://a.example", "https://b.example")
