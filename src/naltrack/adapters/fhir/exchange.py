"""FHIR exchange use cases: disclose a patient's record as FHIR R4, in-program FHIR reads.

A disclosure outside the program (an export, ``$everything`` for a named recipient) goes through
:func:`naltrack.services.consents.disclose`: the patient's consent must name the recipient and the
purpose (42 CFR 2.31); only the record categories that consent covers leave; the disclosure and
an audit entry are written in one transaction; every resource carries the DS4P Part 2 labels and
the bundle carries the redisclosure notice (42 CFR 2.32). A read inside the program (a clinician
of the patient's clinic) is authorized by the role matrix and audited like any other read.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from naltrack.adapters.fhir.r4_common import (
    IDENTIFIER_SYSTEM,
    FhirResource,
    fhir_id,
    part2_labels,
    validate_resource,
)
from naltrack.adapters.fhir.r4_export import as_bundle, export_chart, sensitivities
from naltrack.adapters.fhir.r4_privacy import consent_resource, disclosure_audit_event
from naltrack.domain.chart import PatientChart
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.roles import CLINICAL_CATEGORIES, KIND_CATEGORY
from naltrack.services import consents as consent_cases
from naltrack.services.context import AppContext
from naltrack.services.records import chart_in, chart_view
from naltrack.services.security_ports import Disclosure, SecureUnitOfWork, SecureUnitOfWorkFactory

NOTICE_SYSTEM = "urn:naltrack:part2-notice"


@dataclass(frozen=True)
class DisclosedRecord:
    """What left the program: the resources, the notice, the disclosure id and the categories."""

    patient_id: str
    resources: list[FhirResource]
    notice: str
    disclosure_id: str | None
    categories: tuple[str, ...]

    def bundle(self, bundle_type: str = "collection") -> FhirResource:
        bundle = as_bundle(self.resources, bundle_type, f"disclosure-{self.disclosure_id or 'read'}")
        bundle["meta"] = {"tag": [{"system": NOTICE_SYSTEM, "code": "42CFR2.32", "display": self.notice}]}
        return bundle


def only_categories(chart: PatientChart, categories: tuple[str, ...]) -> PatientChart:
    """The chart with the record kinds outside ``categories`` emptied (demographics always stay)."""
    keep = set(categories)
    changes: dict[str, Any] = {f.name: () for f in fields(PatientChart)
               if f.name != "patient" and KIND_CATEGORY.get(f.name) not in keep}
    if "labs" not in keep:  # pregnancy status travels with the labs (a test result or its report)
        changes["patient"] = replace(chart.patient, reproductive=None)
    return replace(chart, **changes)


def consented_categories(uow: SecureUnitOfWork, patient_id: str, recipient: str, purpose: str,
                         now: datetime) -> tuple[str, ...]:
    """The clinical categories of the broadest consent in force for this recipient and purpose."""
    best: tuple[str, ...] = ()
    for consent in uow.security.consents_for(patient_id):
        if consent.is_in_force(now) and consent.covers(recipient, purpose, ()):
            cats = tuple(c for c in consent.categories if c in CLINICAL_CATEGORIES)
            if len(cats) > len(best):
                best = cats
    return best


def disclose_record(ctx: AppContext, actor: Actor, patient_id: str, recipient: str, purpose: str,
                    now: datetime) -> DisclosedRecord:
    """Disclose what the patient's consent allows to ``recipient``; raises ``DisclosureRefused`` otherwise."""
    with ctx.uow() as uow:
        categories = consented_categories(uow, patient_id, recipient, purpose, now)
    # With no consent, ask for every category: the refusal reads the same whether or not a consent exists.
    asked = categories or CLINICAL_CATEGORIES
    package = consent_cases.disclose(ctx, actor, patient_id, recipient, purpose, asked, now)
    with ctx.uow() as uow:  # what the audited disclosure above allowed, read whole
        chart = only_categories(chart_in(uow, uow.patients.get(patient_id)), asked)
    resources = with_versions(export_chart(chart), chart)
    resources += _disclosure_resources(ctx.uow, package.disclosure, resources, actor, chart, now)
    return DisclosedRecord(patient_id, resources, package.notice, package.disclosure.id, asked)


def _disclosure_resources(uow_factory: SecureUnitOfWorkFactory, disclosure: Disclosure,
                          resources: list[FhirResource], actor: Actor, chart: PatientChart,
                          now: datetime) -> list[FhirResource]:
    """The Consent that allowed the disclosure and the AuditEvent that records it travel with it."""
    out: list[FhirResource] = []
    if disclosure.consent_id is not None:
        with uow_factory() as uow:
            consent = uow.security.find_consent(disclosure.consent_id)
        if consent is not None:
            out.append(consent_resource(consent, part2_labels(sensitivities(chart)), now))
    out.append(disclosure_audit_event(
        event_id=fhir_id(f"disclosure-{disclosure.id}"), recorded=now, patient_id=disclosure.patient_id,
        actor=actor.user.username, recipient=disclosure.recipient, purpose=disclosure.purpose,
        records=[f"{r['resourceType']}/{r['id']}" for r in resources if r["resourceType"] != "Provenance"]))
    for resource in out:
        validate_resource(resource)
    return out


def read_record(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> DisclosedRecord:
    """A read inside the program: the categories the actor's role may read, audited."""
    chart: PatientChart = chart_view(ctx, actor, patient_id, "fhir-everything", lambda chart: chart, now)
    return DisclosedRecord(patient_id, with_versions(export_chart(chart), chart), ctx.redisclosure_notice, None,
                           CLINICAL_CATEGORIES)


def record_versions(chart: PatientChart) -> dict[str, int]:
    """The version of every record of ``chart`` (the patient's included), by record id."""
    versions = {chart.patient.id: chart.patient.version}
    for f in fields(PatientChart):
        if f.name != "patient":
            versions.update({record.id: record.version for record in getattr(chart, f.name)
                             if isinstance(getattr(record, "version", None), int)})
    return versions


def with_versions(resources: list[FhirResource], chart: PatientChart) -> list[FhirResource]:
    """``meta.versionId`` on each resource whose naltrack identifier names a record of ``chart`` that has a version.

    The record is found by the resource's ``urn:naltrack:<kind>`` identifier (or, for the Patient, its id).
    """
    versions = record_versions(chart)
    for resource in resources:
        given = resource.get("identifier", ())  # a list, or one Identifier (QuestionnaireResponse)
        keys = [i.get("value") for i in ([given] if isinstance(given, dict) else given)
                if str(i.get("system", "")).startswith(IDENTIFIER_SYSTEM)]
        if resource["resourceType"] == "Patient":
            keys = [resource["id"]]
        version = next((versions[k] for k in keys if k in versions), None)
        if version is not None:
            resource.setdefault("meta", {})["versionId"] = str(version)
    return resources


def search(resources: list[FhirResource], resource_type: str, params: dict[str, Any]) -> list[FhirResource]:
    """Resources of one type matching ``_id`` and ``code`` (system|code or code) search parameters."""
    out = [r for r in resources if r["resourceType"] == resource_type]
    if "_id" in params:
        ids = set(str(params["_id"]).split(","))
        out = [r for r in out if r["id"] in ids]
    if "code" in params:
        wanted = {c.split("|")[-1] for c in str(params["code"]).split(",")}
        out = [r for r in out if _codes(r) & wanted]
    return out


def _codes(resource: FhirResource) -> set[str]:
    concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    return {str(c.get("code")) for c in concept.get("coding", [])}
