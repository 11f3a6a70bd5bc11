"""CDS Hooks and naltrack's patients over real HTTP, on SQLite and PostgreSQL: linked only by an identifier
and agreeing demographics within the calling EHR's clinic, never by a bare id or a ``urn:naltrack:patient``
identifier; the 42 CFR 2.32 notice on cards that drew on naltrack's records; an answer's time does not tell
whether the patient is in the program.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.test_cds_hooks import PID, Ehr
from tests.integration.test_cds_part2 import (
    add_patient,
    disclosures_and_audit,
    ehr_patient,
    opioid_call,
    part2_server,
    program_with_patient,
)

from naltrack.cds.cards import PART2_NOTICE_TITLE
from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT

OTHER = "pt-other"


def _cards(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def test_an_ehr_patient_with_a_naltrack_id_but_another_name_and_birth_date_gets_nothing_of_naltracks(
        database_url: str, tmp_path: Path) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, ehr.iss)
    someone_else = ehr_patient(PID, family="Rowe", given="Mara", birth="1985-07-01")
    same_mrn_too = ehr_patient(PID, "H-4242", family="Rowe", given="Mara", birth="1985-07-01")
    no_identifier = ehr_patient(PID, None)
    with part2_server(storage, ehr, tmp_path) as url:
        answers = [_cards(opioid_call(url, ehr, p)) for p in (someone_else, same_mrn_too, no_identifier)]
    assert answers == [[], [], []]  # naltrack's injections would have drawn a critical card
    disclosures, audit = disclosures_and_audit(storage)
    assert disclosures == []
    assert [(e.outcome, e.patient_id, e.clinic_id) for e in audit] == [("denied", None, "clinic-1")] * 3
    assert all(e.detail.startswith("no naltrack patient linked") for e in audit)
    storage.close()


@pytest.mark.parametrize(("birth", "given"), [("1988-03", "Ada"), ("1988-03-14", "Ida")])
def test_a_partial_birth_date_or_another_given_name_does_not_link(database_url: str, tmp_path: Path, birth: str,
                                                                   given: str) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, ehr.iss)
    with part2_server(storage, ehr, tmp_path) as url:
        assert _cards(opioid_call(url, ehr, ehr_patient("ehr-1", given=given, birth=birth))) == []
        # Written differently but the same person: case, accents and spacing do not matter.
        same = _cards(opioid_call(url, ehr, ehr_patient("ehr-1", family=" QUILL", given="Adá")))
    assert [c["indicator"] for c in same] == ["critical"]
    disclosures, _ = disclosures_and_audit(storage)
    assert len(disclosures) == 1
    storage.close()


def test_no_identifier_selects_a_patient_of_another_clinic(database_url: str, tmp_path: Path) -> None:
    ehr = Ehr(clinic="clinic-1")
    storage = program_with_patient(database_url, ehr.iss, pid=OTHER, clinic="clinic-2", mrn="H-4242")
    add_patient(storage, "pt-local", "clinic-1", "H-0001")
    with part2_server(storage, ehr, tmp_path) as url:
        by_mrn = _cards(opioid_call(url, ehr, ehr_patient("ehr-5", "H-4242")))
        by_export_id = _cards(opioid_call(url, ehr, ehr_patient("ehr-5", None, naltrack_id=OTHER)))
        by_naltrack_mrn = opioid_call(url, ehr, {**ehr_patient("ehr-5", None), "identifier": [
            {"system": "urn:naltrack:mrn:clinic-2", "value": f"MRN-{OTHER}"}]})
    assert by_mrn == by_export_id == _cards(by_naltrack_mrn) == []
    disclosures, audit = disclosures_and_audit(storage, OTHER)
    assert disclosures == [] and all(e.patient_id is None and e.clinic_id == "clinic-1" for e in audit)
    storage.close()


def test_the_clinics_own_mrn_links_within_the_clinic(database_url: str, tmp_path: Path) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, ehr.iss)
    with part2_server(storage, ehr, tmp_path) as url:
        cards = _cards(opioid_call(url, ehr, {**ehr_patient("ehr-9", None), "identifier": [
            {"system": "urn:naltrack:mrn:clinic-1", "value": f"MRN-{PID}"}]}))
    assert [c["indicator"] for c in cards] == ["critical"]
    storage.close()


def test_a_naltrack_id_naming_another_patient_than_the_one_linked_cancels_the_link(database_url: str,
                                                                                   tmp_path: Path) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, ehr.iss)
    add_patient(storage, OTHER, "clinic-1", "H-9999")
    with part2_server(storage, ehr, tmp_path) as url:
        conflicting = _cards(opioid_call(url, ehr, ehr_patient("ehr-3", "H-4242", naltrack_id=OTHER)))
        agreeing = _cards(opioid_call(url, ehr, ehr_patient("ehr-3", "H-4242", naltrack_id=PID)))
    assert conflicting == []
    assert [c["indicator"] for c in agreeing] == ["critical"]
    assert disclosures_and_audit(storage, OTHER)[0] == []
    storage.close()


def test_only_the_patient_named_by_patient_id_is_linked_not_another_patient_in_the_prefetch(
        database_url: str, tmp_path: Path) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, ehr.iss)
    someone = ehr_patient("ehr-other", "H-4242", naltrack_id=PID)  # naltrack's patient, but not this call's
    with part2_server(storage, ehr, tmp_path) as url:
        service = f"{url}/cds-services/naltrexone-patient-view"

        def view(patient: dict[str, Any]) -> httpx.Response:
            body = {"hook": "patient-view", "hookInstance": "h-1", "context": {"patientId": "ehr-unknown"},
                    "prefetch": {"patient": patient}}
            return httpx.post(service, json=body, headers=ehr.headers(service), timeout=30)

        other_patient = _cards(view(someone))
        two_patients = view({"resourceType": "Bundle", "type": "searchset", "entry": [
            {"resource": someone}, {"resource": ehr_patient("ehr-unknown", None)}]})
    assert all("2026-04" not in c["summary"] for c in other_patient)  # nothing of naltrack's injections
    assert two_patients.status_code == 400 and "exactly one Patient" in two_patients.json()["detail"]
    disclosures, audit = disclosures_and_audit(storage)
    assert disclosures == [] and [(e.outcome, e.patient_id) for e in audit] == [("denied", None)]
    storage.close()


def test_cards_that_drew_on_naltracks_records_carry_the_2_32_notice(database_url: str, tmp_path: Path) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, ehr.iss)
    with part2_server(storage, ehr, tmp_path) as url:
        linked = _cards(opioid_call(url, ehr, ehr_patient()))
        service = f"{url}/cds-services/opioid-order-on-naltrexone"
        ehr_only = _cards(httpx.post(service, headers=ehr.headers(service), timeout=30, json={
            "hook": "order-sign", "hookInstance": "h-2", "context": {"patientId": "ehr-2", "draftOrders": {
                "resourceType": "Bundle", "entry": [{"resource": {
                    "resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
                    "subject": {"reference": "Patient/ehr-2"}, "medicationCodeableConcept": {"coding": [
                        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7804"}]}}}]}},
            "prefetch": {"patient": ehr_patient("ehr-2", None), "medicationStatements": {
                "resourceType": "Bundle", "entry": [{"resource": {
                    "resourceType": "MedicationStatement", "id": "ms", "status": "active",
                    "subject": {"reference": "Patient/ehr-2"}, "effectivePeriod": {"start": "2026-03-02"},
                    "medicationCodeableConcept": {"coding": [
                        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "637213"}]}}}]},
                "medicationRequests": {"resourceType": "Bundle"},
                "medicationAdministrations": {"resourceType": "Bundle"}}}))
    assert [c["indicator"] for c in linked] == ["critical"]
    assert linked[0]["detail"].endswith(f"**{PART2_NOTICE_TITLE}:** {REDISCLOSURE_NOTICE_DEFAULT}")
    assert [c["indicator"] for c in ehr_only] == ["critical"]
    assert PART2_NOTICE_TITLE not in ehr_only[0]["detail"]
    storage.close()


# Membership timing ----------------------------------------------------------------------------------

ROUNDS = 40


def test_the_answer_time_does_not_tell_a_member_from_a_non_member(database_url: str, tmp_path: Path) -> None:
    """Members (an identifier and demographics naltrack links) against non-members (the same request with an
    MRN naltrack does not hold), no consent for this EHR. Calls are interleaved, alternating which goes first,
    after a warm-up. Statistic: the difference of the two medians must be under the request-to-request noise,
    the interquartile range of all the calls (at least 2 ms: the timer and the loopback's jitter). Before
    linking did the same work either way, members took ~47 ms against ~10 ms."""
    ehr = Ehr()
    storage = program_with_patient(database_url, "another recipient")
    member, stranger = ehr_patient("ehr-m", "H-4242"), ehr_patient("ehr-n", "H-0000")
    times: dict[str, list[float]] = {"member": [], "stranger": []}
    with part2_server(storage, ehr, tmp_path) as url, httpx.Client() as client:
        def timed(kind: str, resource: dict[str, Any]) -> None:
            started = time.perf_counter()
            response = opioid_call(url, ehr, resource, client=client)
            times[kind].append(time.perf_counter() - started)
            assert _cards(response) == []

        for _ in range(5):  # warm-up: connections, caches, first queries
            timed("member", member)
            timed("stranger", stranger)
        times = {"member": [], "stranger": []}
        for n in range(ROUNDS):
            pair = [("member", member), ("stranger", stranger)]
            for kind, resource in pair if n % 2 else reversed(pair):
                timed(kind, resource)
    difference = abs(statistics.median(times["member"]) - statistics.median(times["stranger"]))
    quartiles = statistics.quantiles(times["member"] + times["stranger"], n=4)
    noise = max(quartiles[2] - quartiles[0], 0.002)
    assert difference < noise, (difference, noise, statistics.median(times["member"]))
    _, audit = disclosures_and_audit(storage)
    assert len(audit) == 2 * (ROUNDS + 5) and {e.outcome for e in audit} == {"denied"}
    storage.close()
