"""Part 2 through CDS Hooks over real HTTP, on SQLite and PostgreSQL: naltrack's records reach a verified EHR
only for a patient linked by identifier and agreeing demographics, under a consent naming its issuer; never an
anonymous caller, never a consent naming anything else. The helpers here (a program with one patient, the
EHR's Patient, the served services) are shared by test_cds_identity.py and test_cds_feedback.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.integration.test_cds_hooks import NOW, OXYCODONE, PID, Ehr, LiveServer, bundle, draft, order_request

from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.bootstrap import Storage, build_application
from naltrack.cds.router import build_cds_router
from naltrack.cds.wiring import build_engine
from naltrack.config import Settings
from naltrack.domain.patients import Clinic
from naltrack.domain.person_data import Identifier
from naltrack.domain.security.consent import Consent

#: The EHR's MRN system; naltrack records it as one of the patient's identifiers at intake or import.
EHR_MRN = "http://hospital.example.org/mrn"
CATEGORIES = ("demographics", "diagnoses", "regimens", "administrations", "medications")


def program_with_patient(database_url: str, consent_to: str | None, pid: str = PID,
                         clinic: str = "clinic-1", mrn: str = "H-4242") -> Storage:
    """naltrack's program: ``pid`` on XR-NTX (Ada Quill, 1988-03-14) holding the EHR's MRN ``mrn``."""
    storage = Storage(database_url)
    add_patient(storage, pid, clinic, mrn)
    if consent_to:
        with storage.secure_uow() as uow:
            uow.security.add_consent(Consent(
                id=f"c-{pid}", patient_id=pid, recipient=consent_to, purpose="treatment", categories=CATEGORIES,
                signed_on=date(2026, 1, 2), expires_on=date(2026, 12, 31)))
            uow.commit()
    return storage


def add_patient(storage: Storage, pid: str, clinic: str, mrn: str, last_injection: date = date(2026, 3, 2)) -> None:
    chart = sample_chart(pid, last_injection=last_injection)
    with storage.uow() as uow:
        if uow.clinics.find(clinic) is None:
            uow.clinics.add(Clinic(id=clinic, name=f"Riverside MAT {clinic}", timezone="UTC"))
        uow.patients.add(replace(chart.patient, clinic_id=clinic, identifiers=(Identifier(EHR_MRN, mrn),)))
        for record in [*chart.regimens, *chart.injections, *chart.episodes]:
            uow.records.add(record)
        uow.commit()


def ehr_patient(pid: str = PID, mrn: str | None = "H-4242", *, family: str = "Quill", given: str = "Ada",
                birth: str = "1988-03-14", naltrack_id: str | None = None) -> dict[str, Any]:
    """The EHR's Patient: its own id, its MRN, name and birth date (and an earlier naltrack export's id)."""
    identifiers = [{"system": EHR_MRN, "value": mrn}] if mrn else []
    if naltrack_id:
        identifiers.append({"system": "urn:naltrack:patient", "value": naltrack_id})
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": birth,
            "name": [{"family": family, "given": [given]}], "identifier": identifiers}


def part2_server(storage: Storage, ehr: Ehr, tmp_path: Path, **settings: Any) -> LiveServer:
    """naltrack's CDS services over ``storage``, trusting ``ehr``, its clock at :data:`NOW`."""
    engine = build_engine(build_application(Settings(data_dir=tmp_path, timezone="UTC"), storage=storage).ctx,
                          ehr.settings(**settings))
    engine.clock = lambda: NOW
    app = FastAPI()
    app.include_router(build_cds_router(engine))
    return LiveServer(app)


def opioid_call(url: str, ehr: Ehr | None, patient_resource: dict[str, Any],
                client: httpx.Client | None = None) -> httpx.Response:
    """An oxycodone order for the EHR's patient; the EHR knows nothing of the injections: only naltrack does."""
    service = f"{url}/cds-services/opioid-order-on-naltrexone"
    pid = patient_resource["id"]
    body = order_request("order-sign", [draft(*OXYCODONE, pid=pid)], {
        "patient": patient_resource, "medicationRequests": bundle(), "medicationAdministrations": bundle(),
        "medicationStatements": bundle()})
    body["context"]["patientId"] = pid
    post = client.post if client is not None else httpx.post
    return post(service, json=body, headers=ehr.headers(service) if ehr else {}, timeout=30)


def disclosures_and_audit(storage: Storage, pid: str = PID) -> tuple[list[Any], list[Any]]:
    with storage.secure_uow() as uow:
        return (uow.security.disclosures_for(pid),
                [e for e in uow.security.iter_audit() if e.action == "disclose"])


@pytest.mark.parametrize(("consented", "cards"), [(True, 1), (False, 0)])
def test_naltrack_records_reach_the_ehr_only_with_part2_consent(database_url: str, tmp_path: Path,
                                                                consented: bool, cards: int) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, ehr.iss if consented else None)
    with part2_server(storage, ehr, tmp_path) as url:
        response = opioid_call(url, ehr, ehr_patient())
    assert len(response.json()["cards"]) == cards
    disclosures, audit = disclosures_and_audit(storage)
    assert [(e.outcome, e.patient_id, e.clinic_id) for e in audit] == [
        ("allowed" if consented else "denied", PID, "clinic-1")]
    assert [(d.recipient, d.patient_id) for d in disclosures] == ([(ehr.iss, PID)] if consented else [])
    storage.close()


@pytest.mark.parametrize("recipient", ["unverified EHR", "anonymous", "County Hospital EHR"])
def test_a_consent_naming_anything_but_the_verified_issuer_discloses_nothing(
        database_url: str, tmp_path: Path, recipient: str) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, recipient)
    with part2_server(storage, ehr, tmp_path, anonymous="allow") as url:
        verified = opioid_call(url, ehr, ehr_patient())
        anonymous = opioid_call(url, None, ehr_patient())
    assert verified.json() == anonymous.json() == {"cards": []}
    disclosures, audit = disclosures_and_audit(storage)
    assert disclosures == []
    assert [(e.outcome, e.actor) for e in audit] == [("denied", "cds:County Hospital EHR")]  # anonymous: no look
    storage.close()


def test_the_ehr_patient_is_matched_by_its_identifier_and_demographics_not_by_an_export_id(
        database_url: str, tmp_path: Path) -> None:
    ehr = Ehr()
    storage = program_with_patient(database_url, ehr.iss)
    with part2_server(storage, ehr, tmp_path) as url:
        linked = opioid_call(url, ehr, ehr_patient("ehr-77", naltrack_id=PID)).json()["cards"]
        by_export_id_only = opioid_call(url, ehr, ehr_patient("ehr-78", mrn=None, naltrack_id=PID)).json()["cards"]
    assert [c["indicator"] for c in linked] == ["critical"]
    assert by_export_id_only == []
    disclosures, audit = disclosures_and_audit(storage)
    assert [d.patient_id for d in disclosures] == [PID]
    assert [(e.outcome, e.patient_id) for e in audit] == [("allowed", PID), ("denied", None)]
    storage.close()
