"""Codes of the terminology tables over real HTTP: the CDS Hooks services on a loopback uvicorn.

Draft orders are sent as an EHR sends them (an RxNorm coding with its display, in ``draftOrders``) for a
patient whose medication list has an XR-NTX dose ten days ago; the order-sign hook judges every draft of
a request, so each request carries a batch of drafts and each critical card names the draft it would
delete. OUD/AUD diagnoses are sent as prefetched Conditions to the order-check and patient-view services.
Every medication code of the tables goes over HTTP (about a second): 1,601 opioid and 319 buprenorphine or
methadone codes, each naltrexone code; the diagnoses, two requests each, are sampled: every third of the 270
OUD/AUD codes (all of them go through the advice in tests/unit/cds/test_terminology_sweep.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.integration.test_cds_hooks import (
    PID,
    LiveServer,
    _engine,
    _prefetch_on_vivitrol,
    bundle,
    draft,
    order_request,
    patient,
)

from naltrack.cds.router import build_cds_router
from naltrack.domain.terminology import ICD10CM, SNOMED, condition_table, rxnorm_table

OPIOID_SIGN = "/cds-services/opioid-order-on-naltrexone-sign"
ORDER_CHECK = "/cds-services/naltrexone-order-check"
PATIENT_VIEW = "/cds-services/naltrexone-patient-view"
OPIOID_CLASSES = frozenset({"opioid-analgesic", "opioid-antitussive", "opioid-antidiarrheal", "illicit-opioid",
                            "mixed-agonist-antagonist"})
MAT_CLASSES = frozenset({"buprenorphine-oud", "buprenorphine-pain", "methadone"})
BATCH = 60
PREFETCH_KEYS = ("conditions", "medicationRequests", "medicationAdministrations", "medicationStatements",
                 "observations", "allergies")


@pytest.fixture(scope="module")
def cds_url() -> Iterator[str]:
    app = FastAPI()
    app.include_router(build_cds_router(_engine()))
    with LiveServer(app) as url:
        yield url


def prefetch(**given: dict[str, Any]) -> dict[str, Any]:
    """Every prefetch key of the order-check and patient-view services (empty unless given): no data-gap card."""
    return {"patient": patient(), **{key: given.get(key, bundle()) for key in PREFETCH_KEYS}}


def on_xr_ntx() -> dict[str, Any]:
    return prefetch(medicationStatements=_prefetch_on_vivitrol()["medicationStatements"])


def codes_of(classes: frozenset[str]) -> list[tuple[str, str]]:
    return sorted((code, row["display"]) for code, row in rxnorm_table().items() if row["class"] in classes)


def critical_drafts(url: str, codes: list[tuple[str, str]]) -> set[str]:
    """The draft ids that drew a critical card, in batches of order-sign requests."""
    flagged: set[str] = set()
    for start in range(0, len(codes), BATCH):
        drafts = [draft(f"d{start + n}", code, display) for n, (code, display) in enumerate(codes[start:start + BATCH])]
        response = httpx.post(f"{url}{OPIOID_SIGN}", json=order_request("order-sign", drafts, on_xr_ntx()),
                              timeout=30)
        assert response.status_code == 200, response.text
        for card in response.json()["cards"]:
            if card["indicator"] == "critical":
                flagged |= {a["resourceId"].split("/")[1] for s in card["suggestions"] for a in s["actions"]
                            if a["type"] == "delete"}
    return flagged


@pytest.mark.parametrize(("classes", "count"), [(OPIOID_CLASSES, 1601), (MAT_CLASSES, 319)])
def test_every_opioid_buprenorphine_and_methadone_code_draws_a_critical_card(
        cds_url: str, classes: frozenset[str], count: int) -> None:
    codes = codes_of(classes)
    assert len(codes) == count
    flagged = critical_drafts(cds_url, codes)
    missed = [codes[n] for n in range(len(codes)) if f"d{n}" not in flagged]
    assert missed == []


def test_an_unclassifiable_draft_draws_an_information_card_naming_it(cds_url: str) -> None:
    body = order_request("order-select", [draft("d-herb", "999999903", "Mystery Herbal Relief capsule")],
                         on_xr_ntx())
    (card,) = httpx.post(f"{cds_url}/cds-services/opioid-order-on-naltrexone", json=body).json()["cards"]
    assert card["indicator"] == "info"
    assert card["summary"].startswith("naltrack could not tell whether Mystery Herbal Relief capsule contains an "
                                      "opioid; check before ordering")


def test_naltrexone_codes_go_to_the_order_check_not_the_opioid_card(cds_url: str) -> None:
    for code, row in sorted(rxnorm_table().items()):
        if not row["class"].startswith("naltrexone"):
            continue
        body = order_request("order-sign", [draft("d-ntx", code, row["display"])], on_xr_ntx())
        opioid = httpx.post(f"{cds_url}{OPIOID_SIGN}", json=body).json()["cards"]
        check = httpx.post(f"{cds_url}{ORDER_CHECK}", json=body).json()["cards"]
        if row["class"] == "naltrexone-not-mat":  # Contrave: not naltrexone therapy; its naltrexone duplicates
            assert ([c["indicator"] for c in opioid], check) == (["warning"], []), code
        else:
            assert (opioid, len(check)) == ([], 1), code


def condition(system: str, code: str, display: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "dx-1", "subject": {"reference": f"Patient/{PID}"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "code": {"coding": [{"system": system, "code": code, "display": display}]}, "recordedDate": "2026-01-05"}


def sampled_conditions() -> list[tuple[str, str, str, str]]:
    table = condition_table()
    return [(uri, code, row["display"], row["kind"]) for key, uri in (("snomed", SNOMED), ("icd10cm", ICD10CM))
            for code, row in sorted(table[key].items())][::3]


def test_sampled_oud_and_aud_codes_are_recognised_by_order_check_and_patient_view(cds_url: str) -> None:
    rows = sampled_conditions()
    assert len(rows) == 90 and {kind for *_, kind in rows} == {"oud", "aud"}
    assert {system for system, *_ in rows} == {SNOMED, ICD10CM}
    missed = []
    for system, code, display, kind in rows:
        given = prefetch(conditions=bundle(condition(system, code, display)))
        check = order_request("order-sign", [draft("d-viv", "637213", "naltrexone 380 MG Injection")], given)
        (readiness,) = httpx.post(f"{cds_url}{ORDER_CHECK}", json=check).json()["cards"]
        view = {"hookInstance": str(uuid.uuid4()), "hook": "patient-view", "context": {"patientId": PID},
                "prefetch": given}
        summaries = [c["summary"] for c in httpx.post(f"{cds_url}{PATIENT_VIEW}", json=view).json()["cards"]]
        untreated_oud = any("Opioid use disorder without medication treatment" in s for s in summaries)
        if "rule RDY-INDICATION" in readiness["detail"] or untreated_oud != (kind == "oud"):
            missed.append((code, display))
    assert missed == []
