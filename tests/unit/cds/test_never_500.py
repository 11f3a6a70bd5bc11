"""Whatever an EHR puts anywhere in a request, the services answer cards or a 4xx problem, never crash.

Property test: a rich, valid request (prefetch made from a whole exported chart, a draft order), one
element anywhere replaced by a value of the wrong shape.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.adapters.fhir.r4_export import export_chart
from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.cds.auth import JwtVerifier
from naltrack.cds.engine import CdsEngine
from naltrack.cds.problems import CdsProblem

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
KEYS = {"Condition": "conditions", "MedicationRequest": "medicationRequests",
        "MedicationAdministration": "medicationAdministrations", "MedicationStatement": "medicationStatements",
        "Observation": "observations", "QuestionnaireResponse": "observations", "AllergyIntolerance": "allergies"}
JUNK = [None, 1, "x", [], {}, [1], {"a": 1}, True, -1.5, "2026-13-45", {"coding": "x"}, [{"x": None}], ""]


def _base() -> dict[str, Any]:
    resources = export_chart(sample_chart(), provenance=False, labelled=False)
    prefetch: dict[str, Any] = {"patient": resources[0]}
    for resource in (r for r in resources[1:] if r["resourceType"] in KEYS):  # the clinic's Organization is no prefetch
        bundle = prefetch.setdefault(KEYS[resource["resourceType"]], {"resourceType": "Bundle", "type": "searchset",
                                                                      "entry": []})
        bundle["entry"].append({"resource": resource})
    draft = {"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-ada"},
             "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "7804"}]}}
    orders = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]}
    return {"hook": "order-sign", "hookInstance": "h1",
            "context": {"patientId": "pt-ada", "userId": "Practitioner/1", "draftOrders": orders},
            "prefetch": prefetch}


BASE = _base()


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


PATHS = list(_paths(BASE))
ENGINE = CdsEngine(verifier=JwtVerifier({}, anonymous=True),
                   clock=lambda: datetime(2026, 3, 12, 16, tzinfo=UTC), timezone="UTC")


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(PATHS), junk=st.sampled_from(JUNK),
       service=st.sampled_from(["opioid-order-on-naltrexone", "naltrexone-order-check"]))
def test_any_malformed_element_gives_cards_or_a_4xx_problem(path: tuple[Any, ...], junk: Any, service: str) -> None:
    body = json.loads(json.dumps(BASE))
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = junk
    try:
        answer = asyncio.run(ENGINE.call(service, json.dumps(body).encode(), None, "http://cds.test"))
    except CdsProblem as problem:
        assert problem.status in (400, 412), problem
        assert problem.path
    else:
        assert isinstance(answer["cards"], list)


def test_the_unchanged_request_gets_the_critical_opioid_card() -> None:
    answer = asyncio.run(ENGINE.call("opioid-order-on-naltrexone", json.dumps(BASE).encode(), None, "http://t"))
    assert [c["indicator"] for c in answer["cards"]] == ["critical"]
