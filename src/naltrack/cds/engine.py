"""One CDS Hooks call, from request body to cards: verify the caller, parse, gather the FHIR data,
build the chart, decide the Part 2 disclosure, advise, remember the cards for feedback.

Part 2 (42 CFR 2.31; DESIGN.md "Privacy"): cards built from naltrack's own records disclose them
to the calling EHR. :class:`DisclosureGate` is the one call that decides (and records) that
disclosure; without a permit the service answers from the data the EHR sent only, which
discloses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx

from naltrack.cds import advice
from naltrack.cds.auth import Caller, JwtVerifier
from naltrack.cds.cards import Card
from naltrack.cds.data_gaps import DataGap, gap_card
from naltrack.cds.feedback import FeedbackLog, IssuedCard
from naltrack.cds.fhir_data import FhirOrigins, Gathered, gather
from naltrack.cds.hooks import SERVICES, HookRequest, ServiceDefinition, parse_request
from naltrack.cds.problems import CdsProblem, bad_request, precondition_failed
from naltrack.cds.r4_leniency import make_readable
from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import DomainError
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds

#: Record categories a CDS answer draws on (the Part 2 consent must cover each).
CDS_CATEGORIES = ("demographics", "diagnoses", "regimens", "administrations", "medications")

ChartReader = Callable[[list[dict[str, Any]], str], PatientChart]


class LocalRecords(Protocol):
    """naltrack's own charts, for patients the calling EHR and naltrack both know."""

    def find_chart(self, patient_id: str) -> PatientChart | None: ...

    def clinic_zone(self, patient_id: str) -> tzinfo | None:
        """The time zone of the patient's clinic (``Clinic.zone``), or ``None`` for an unknown patient."""


class DisclosureGate(Protocol):
    """Decides, and records, a disclosure of one patient's records to the calling EHR."""

    def permit(self, *, patient_id: str, recipient: str, purpose: str, categories: tuple[str, ...],
               now: datetime, service_id: str) -> bool: ...


class NoLocalRecords:
    def find_chart(self, patient_id: str) -> PatientChart | None:
        return None

    def clinic_zone(self, patient_id: str) -> tzinfo | None:
        return None


class DenyAll:
    def permit(self, *, patient_id: str, recipient: str, purpose: str, categories: tuple[str, ...],
               now: datetime, service_id: str) -> bool:
        return False


def default_chart_reader(resources: list[dict[str, Any]], patient_id: str) -> PatientChart:
    """The one FHIR -> domain mapping: the bundle reader, on a collection Bundle of the resources."""
    from naltrack.adapters.fhir.bundle_reader import read_bundle

    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    return read_bundle(bundle)


@dataclass
class CdsEngine:
    verifier: JwtVerifier
    feedback: FeedbackLog = field(default_factory=FeedbackLog)
    local: LocalRecords = field(default_factory=NoLocalRecords)
    gate: DisclosureGate = field(default_factory=DenyAll)
    read_chart: ChartReader = default_chart_reader
    thresholds: Thresholds = DEFAULT
    clock: Callable[[], datetime] = field(default_factory=lambda: (lambda: datetime.now().astimezone()))
    timezone: str = "America/New_York"
    fhir_timeout_s: float = 5.0
    fhir_origins: FhirOrigins = field(default_factory=FhirOrigins)
    client: httpx.AsyncClient | None = None

    def service(self, service_id: str) -> ServiceDefinition:
        found = SERVICES.get(service_id)
        if found is None:
            raise CdsProblem(404, "Not Found", f"no CDS service {service_id!r}", "id")
        return found

    async def call(self, service_id: str, body: bytes, authorization: str | None, url: str) -> dict[str, Any]:
        service = self.service(service_id)
        caller = self.verifier.verify(authorization, url)
        request = parse_request(body, service)
        now = self.clock()
        chart, local, gaps = await self._chart(request, service, caller, now)
        # Days are those of the patient's clinic when naltrack's records answer, else the configured zone.
        zone = (self.local.clinic_zone(chart.patient.id) if local else None) or ZoneInfo(self.timezone)
        cards = self._advise(service.advice, request, chart, now.astimezone(zone).date(), zone)
        missing = gap_card(gaps)  # what could not be seen is said, never left to read as "no problem"
        if missing is not None:
            cards.append(missing)
        out = []
        for card in cards:
            self.feedback.remember(card.uuid, IssuedCard(service.id, card.rule, request.patient_id, card.indicator))
            out.append(card.as_json())
        return {"cards": out}

    async def _chart(self, request: HookRequest, service: ServiceDefinition, caller: Caller,
                     now: datetime) -> tuple[PatientChart, bool, list[DataGap]]:
        """The chart to advise on, whether naltrack's own records are part of it, and what could not be seen."""
        gathered = await self._gather(request, service)
        resources, gaps = make_readable(gathered.resources, now.astimezone(ZoneInfo(self.timezone)).date(),
                                        ages_matter=service.advice == "naltrexone-order-check")
        gaps = gathered.gaps + gaps
        local = self._local_chart(request.patient_id, resources)
        if local is not None and not self.gate.permit(
                patient_id=local.patient.id, recipient=caller.name, purpose="treatment",
                categories=CDS_CATEGORIES, now=now, service_id=service.id):
            local = None
        has_patient = any(r.get("resourceType") == "Patient" for r in resources)
        if not has_patient and local is None:
            raise precondition_failed("prefetch.patient", f"Patient/{request.patient_id} could not be had")
        if not has_patient:
            return local, True, gaps  # type: ignore[return-value]
        try:
            theirs = self.read_chart(resources, request.patient_id)
        except DomainError as error:  # the reader names the element path of anything it cannot read
            raise bad_request("prefetch", f"a resource cannot be read: {error}") from error
        return (theirs, False, gaps) if local is None else (merge_charts(local, theirs), True, gaps)

    async def _gather(self, request: HookRequest, service: ServiceDefinition) -> Gathered:
        if request.fhir_server is None or self.client is not None \
                or not self.fhir_origins.allows(request.fhir_server):
            # No FHIR server to ask: no HTTP client is built, which costs milliseconds.
            return await gather(request, service, self.client, self.fhir_timeout_s, self.fhir_origins)
        async with httpx.AsyncClient() as client:
            return await gather(request, service, client, self.fhir_timeout_s, self.fhir_origins)

    def _local_chart(self, patient_id: str, resources: list[dict[str, Any]]) -> PatientChart | None:
        """naltrack's chart of the patient: by a ``urn:naltrack:patient`` identifier the EHR kept from an
        earlier naltrack export, else by the same id."""
        for candidate in (*naltrack_ids(resources), patient_id):
            chart = self.local.find_chart(candidate)
            if chart is not None:
                return chart
        return None

    def _advise(self, service_id: str, request: HookRequest, chart: PatientChart, today: date,
                tz: tzinfo) -> list[Card]:
        t = self.thresholds
        if service_id == "naltrexone-patient-view":
            return advice.patient_view(chart, today, tz, t)
        drafts = advice.draft_medications(_selected(request))
        if service_id == "naltrexone-order-check":
            return advice.order_check(chart, drafts, today, tz, t)
        return advice.opioid_on_naltrexone(chart, drafts, today, tz, t)


def naltrack_ids(resources: list[dict[str, Any]]) -> list[str]:
    """naltrack patient ids named by the EHR's Patient identifiers (system ``urn:naltrack:patient``)."""
    found = []
    for resource in resources:
        identifiers = resource.get("identifier") if resource.get("resourceType") == "Patient" else None
        for item in identifiers if isinstance(identifiers, list) else []:
            if isinstance(item, dict) and item.get("system") == "urn:naltrack:patient" and item.get("value"):
                found.append(str(item["value"]))
    return found


def _selected(request: HookRequest) -> list[dict[str, Any]]:
    """order-select: only the newly selected orders; order-sign: every draft order."""
    drafts = request.draft_orders
    if request.hook != "order-select" or not request.selections:
        return drafts
    chosen = set(request.selections)
    return [d for d in drafts if f"{d.get('resourceType')}/{d.get('id')}" in chosen] or drafts


def merge_charts(local: PatientChart, theirs: PatientChart) -> PatientChart:
    """naltrack's chart plus the EHR's records; naltrack's record wins when both have the same id."""
    changes: dict[str, Any] = {}
    for item in fields(PatientChart):
        if item.name == "patient":
            continue
        mine = getattr(local, item.name)
        ids = {r.id for r in mine}
        changes[item.name] = tuple(mine) + tuple(r for r in getattr(theirs, item.name) if r.id not in ids)
    return replace(local, **changes)
