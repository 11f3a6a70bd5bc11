"""FHIR exchange use cases: disclose a patient's record as FHIR R4, in-program FHIR reads.

A disclosure outside the program (an export, ``$everything`` for a named recipient) goes through
:func:`naltrack.services.consents.disclose_all`: the patient's consent must name the recipient and the
purpose (42 CFR 2.31); only the record categories that consent covers leave, and the Patient only as
far as :func:`naltrack.services.consents.disclosed_patient` allows (the REST disclosure uses the same
function); the disclosure, its audit entry and the delivery happen in one transaction, so one that
fails is not recorded; every resource carries the DS4P Part 2 labels and the bundle carries the
redisclosure notice (42 CFR 2.32). A read inside the program (a clinician of the patient's clinic) is
authorized by the role matrix and audited like any other read. A stored value the FHIR writer cannot
render leaves that one record out, named (:class:`~naltrack.adapters.fhir.r4_export.ChartExport`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from naltrack.adapters.fhir.r4_common import (
    IDENTIFIER_SYSTEM,
    FhirResource,
    ValidationProblem,
    fhir_id,
    find_problems,
    part2_labels,
    validate_resource,
)
from naltrack.adapters.fhir.r4_export import ChartExport, as_bundle, render_chart, sensitivities
from naltrack.adapters.fhir.r4_privacy import consent_resource, disclosure_audit_event
from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import Conflict, InvalidInput
from naltrack.domain.patients import Patient
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.roles import CLINICAL_CATEGORIES, KIND_CATEGORY
from naltrack.services import consents as consent_cases
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.context import AppContext
from naltrack.services.records import chart_view
from naltrack.services.security_ports import Disclosure, SecureUnitOfWork
from naltrack.services.unit_of_work import chart_in

NOTICE_SYSTEM = "urn:naltrack:part2-notice"


@dataclass(frozen=True)
class DisclosedRecord:
    """What left the program: the resources, the notice, the disclosure id and the categories, and the
    records that could not be written as FHIR R4 (left out, each named)."""

    patient_id: str
    resources: list[FhirResource]
    notice: str
    disclosure_id: str | None
    categories: tuple[str, ...]
    problems: tuple[ValidationProblem, ...] = ()

    def bundle(self, bundle_type: str = "collection") -> FhirResource:
        bundle = as_bundle(self.resources, bundle_type, f"disclosure-{self.disclosure_id or 'read'}")
        bundle["meta"] = {"tag": [{"system": NOTICE_SYSTEM, "code": "42CFR2.32", "display": self.notice}]}
        return bundle


def only_categories(chart: PatientChart, categories: tuple[str, ...]) -> PatientChart:
    """The chart with the record kinds outside ``categories`` emptied; the patient as
    :func:`~naltrack.services.consents.disclosed_patient` lets them leave (no pregnancy status without labs)."""
    keep = set(categories)
    changes: dict[str, Any] = {f.name: () for f in fields(PatientChart)
                               if f.name != "patient" and KIND_CATEGORY.get(f.name) not in keep}
    shown = consent_cases.disclosed_patient(chart.patient, categories)
    if shown is not None:
        changes["patient"] = shown
    elif "labs" not in keep:  # pregnancy status travels with the labs (a test result or its report)
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


@dataclass(frozen=True)
class RenderedDisclosure:
    """One patient's consented records as FHIR, before the disclosure is recorded."""

    chart: PatientChart
    export: ChartExport

    @property
    def labels(self) -> list[dict[str, Any]]:
        return part2_labels(sensitivities(self.chart))


def render_disclosure(uow: SecureUnitOfWork, patient: Patient, categories: tuple[str, ...]) -> RenderedDisclosure:
    """``patient``'s records of ``categories`` as FHIR R4 (:func:`render_chart`), the Patient reduced to what
    the consent lets leave; :class:`Conflict` when the Patient itself cannot be written."""
    try:
        chart = only_categories(chart_in(uow, patient), categories)
    except InvalidInput as error:
        raise unreadable(patient.id, error) from error
    shown = consent_cases.disclosed_patient(patient, categories)
    export = render_chart(chart, demographics=shown is not None, clinic=uow.clinics.find(patient.clinic_id))
    require_patient(export, patient.id)
    return RenderedDisclosure(chart, ChartExport(with_versions(export.resources, chart), export.problems))


def unreadable(patient_id: str, error: InvalidInput) -> Conflict:
    """A stored value that the record's own checks refuse on reading (stored before a limit was enforced):
    a :class:`Conflict` naming the patient and the value, so that the face answers it, never a 500."""
    return Conflict(f"Patient/{patient_id}: a stored record cannot be read ({error}); correct it before it "
                    "can be read or exported")


def require_patient(export: ChartExport, patient_id: str) -> None:
    """Raise :class:`Conflict` naming the stored values when the export has no Patient (it could not be written)."""
    if export.resources and export.resources[0]["resourceType"] == "Patient":
        return
    label = f"Patient/{fhir_id(patient_id)}"
    why = "; ".join(f"{p.path}: {p.message}" for p in export.problems if p.resource == label)
    raise Conflict(f"{label} cannot be written as FHIR R4 ({why or 'no Patient'}); correct the stored patient")


def disclose_record(ctx: AppContext, actor: Actor, patient_id: str, recipient: str, purpose: str,
                    now: datetime) -> DisclosedRecord:
    """Disclose what the patient's consent allows to ``recipient``; raises ``DisclosureRefused`` otherwise.

    The records are written as FHIR inside the transaction that records the disclosure, so a disclosure
    that cannot be made (a Patient that cannot be written) is not recorded as made.
    """
    with ctx.uow() as uow:
        categories = consented_categories(uow, patient_id, recipient, purpose, now)
    # With no consent, ask for every category: the refusal reads the same whether or not a consent exists.
    asked = categories or CLINICAL_CATEGORIES
    delivered: list[DisclosedRecord] = []

    def deliver(uow: SecureUnitOfWork, made: list[Disclosure]) -> None:
        for disclosure in made:
            rendered = render_disclosure(uow, uow.patients.get(disclosure.patient_id), disclosure.categories)
            resources = rendered.export.resources
            resources += disclosure_resources(uow, disclosure, disclosed_references(resources), actor, rendered.labels)
            delivered.append(DisclosedRecord(disclosure.patient_id, resources, disclosure.notice, disclosure.id,
                                             disclosure.categories, tuple(rendered.export.problems)))

    try:
        consent_cases.disclose_all(ctx, actor, [(patient_id, asked)], recipient, purpose, now, deliver)
    except InvalidInput as error:  # what is asked is never empty: a refused value is a stored one
        raise unreadable(patient_id, error) from error
    return delivered[0]


def disclosed_references(resources: list[FhirResource]) -> list[str]:
    """``Type/id`` of each record a disclosure carries (not the Provenance and Organization beside them)."""
    beside = ("Provenance", "Organization")
    return [f"{r['resourceType']}/{r['id']}" for r in resources if r["resourceType"] not in beside]


def disclosure_resources(uow: SecureUnitOfWork, disclosure: Disclosure, records: list[str],
                         actor: Actor, labels: list[dict[str, Any]]) -> list[FhirResource]:
    """The Consent that allowed the disclosure and the AuditEvent that records it travel with it, labelled."""
    out: list[FhirResource] = []
    consent = uow.security.find_consent(disclosure.consent_id) if disclosure.consent_id is not None else None
    if consent is not None:
        out.append(consent_resource(consent, labels, disclosure.disclosed_at))
    out.append(disclosure_audit_event(
        event_id=fhir_id(f"disclosure-{disclosure.id}"), recorded=disclosure.disclosed_at,
        patient_id=disclosure.patient_id, actor=actor.user.username, recipient=disclosure.recipient,
        purpose=disclosure.purpose, labels=labels, records=records))
    for resource in out:
        validate_resource(resource)
    return out


def read_record(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> DisclosedRecord:
    """A read inside the program: the categories the actor's role may read, audited. A record that cannot
    be written as FHIR is left out and named; a Patient that cannot be written is a :class:`Conflict`."""
    try:
        chart: PatientChart = chart_view(ctx, actor, patient_id, "fhir-everything", lambda chart: chart, now)
    except InvalidInput as error:  # the request names only a patient: a refused value is a stored one
        raise unreadable(patient_id, error) from error
    with ctx.uow() as uow:
        clinic = uow.clinics.find(chart.patient.clinic_id)
    export = render_chart(chart, clinic=clinic)
    require_patient(export, patient_id)
    return DisclosedRecord(patient_id, with_versions(export.resources, chart), ctx.redisclosure_notice, None,
                           CLINICAL_CATEGORIES, tuple(export.problems))


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


@dataclass(frozen=True)
class PatientMatches:
    """One page of a Patient search, the number of matches, and the patients that could not be written."""

    page: list[FhirResource]
    total: int
    problems: tuple[ValidationProblem, ...]


def _clinic_patients(uow: SecureUnitOfWork, clinic_id: str) -> Iterator[tuple[str, FhirResource]]:
    """Each patient of the clinic with their Patient resource, rendered but not yet validated (only the
    patients shown are: a search of a large clinic validates one page, not the clinic)."""
    clinic = uow.clinics.find(clinic_id)
    total = uow.patients.count(clinic_id=clinic_id)
    for patient in uow.patients.search(clinic_id=clinic_id, limit=max(total, 1), offset=0):
        chart = PatientChart(patient=replace(patient, reproductive=None))
        export = render_chart(chart, provenance=False, validate=False, clinic=clinic)
        if export.resources and export.resources[0]["resourceType"] == "Patient":
            yield patient.id, with_versions(export.resources[:1], chart)[0]


def search_patients(ctx: AppContext, actor: Actor, matches: Callable[[FhirResource], bool], offset: int,
                    count: int | None, now: datetime) -> PatientMatches:
    """The actor's clinic's Patients (as FHIR) that ``matches`` accepts, paged; one audit entry per patient shown.

    The parameters are tested on the rendered resource, so a search finds what a read returns. A matching
    Patient that fails validation is named in ``problems`` instead of shown, never stops the search.
    """
    access = Access(actor=actor, action="read", category="demographics", now=now, record_type="patients")

    def body(uow: SecureUnitOfWork, access: Access) -> PatientMatches:
        authorize(uow, access)
        found = [(pid, resource) for pid, resource in _clinic_patients(uow, actor.clinic_id) if matches(resource)]
        page: list[FhirResource] = []
        problems: list[ValidationProblem] = []
        for patient_id, resource in found[offset:][:count] if count is not None else found[offset:]:
            wrong = find_problems(resource)
            problems += wrong
            if not wrong:
                page.append(resource)
                access.wrote("patients", patient_id, patient_id, detail="shown by a FHIR Patient search")
        return PatientMatches(page, len(found), tuple(problems))

    return run_audited(ctx.uow, access, body)
