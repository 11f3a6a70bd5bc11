"""One CDS Hooks call, from request body to cards: verify the caller, parse, gather the FHIR data,
link the EHR's patient to naltrack's, decide the Part 2 disclosure, advise, remember the cards for feedback.

Part 2 (42 CFR 2.31, 2.32; DESIGN.md "Privacy"): cards built from naltrack's own records disclose them
to the calling EHR. Only a verified caller, configured for one clinic, is ever linked to a naltrack
patient of that clinic, by identifier and agreeing demographics, and :class:`LocalRecords` is the one call
that links, decides and records the disclosure (:func:`naltrack.services.cds.disclose_to_cds`). An anonymous
caller, a patient not linked, or a disclosure not consented gets
an answer from the data the EHR sent only, which discloses nothing. Cards of an answer that drew on
naltrack's records carry the redisclosure notice (42 CFR 2.32).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx

from naltrack.cds import advice
from naltrack.cds.auth import Caller, JwtVerifier
from naltrack.cds.cards import Card, with_part2_notice
from naltrack.cds.data_gaps import DataGap, gap_card
from naltrack.cds.feedback import FeedbackLog, RateLimit
from naltrack.cds.fhir_data import FhirOrigins, Gathered, gather
from naltrack.cds.hooks import SERVICES, HookRequest, ServiceDefinition, parse_request
from naltrack.cds.patient_link import demographics_of, ehr_patient
from naltrack.cds.problems import CdsProblem, bad_request, precondition_failed
from naltrack.cds.r4_leniency import make_readable
from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import DomainError
from naltrack.domain.identity import Demographics
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT
from naltrack.services.cds import LinkedChart
from naltrack.services.cds_state import IssuedCard

#: Record categories a CDS answer draws on (the Part 2 consent must cover each).
CDS_CATEGORIES = ("demographics", "diagnoses", "regimens", "administrations", "medications")

ChartReader = Callable[[list[dict[str, Any]], str], PatientChart]


class LocalRecords(Protocol):
    """naltrack's own charts: the disclosure, to a verified caller of ``clinic_id``, of the chart of the patient
    the demographics describe (identifier and agreeing demographics, consent naming ``recipient``), decided,
    recorded and audited in one step; ``None`` when there are no local records at all."""

    def disclose(self, *, clinic_id: str, demographics: Demographics, recipient: str, caller: str, purpose: str,
                 categories: tuple[str, ...], service_id: str, now: datetime) -> LinkedChart | None: ...


class NoLocalRecords:
    def disclose(self, **_: Any) -> LinkedChart | None:
        return None


def default_chart_reader(resources: list[dict[str, Any]], patient_id: str) -> PatientChart:
    """The one FHIR -> domain mapping: the bundle reader, on a collection Bundle of the resources."""
    from naltrack.adapters.fhir.bundle_reader import read_bundle

    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    return read_bundle(bundle)


@dataclass(frozen=True)
class Basis:
    """What an answer rests on: the chart, what could not be seen, the zone of its days, and the naltrack
    patient whose records it drew on (``None``: the EHR's data only)."""

    chart: PatientChart
    gaps: list[DataGap]
    zone: tzinfo
    linked_patient: str | None


@dataclass
class CdsEngine:
    verifier: JwtVerifier
    feedback: FeedbackLog = field(default_factory=FeedbackLog)
    feedback_rate: RateLimit = field(default_factory=lambda: RateLimit(60))
    local: LocalRecords = field(default_factory=NoLocalRecords)
    read_chart: ChartReader = default_chart_reader
    thresholds: Thresholds = DEFAULT
    clock: Callable[[], datetime] = field(default_factory=lambda: (lambda: datetime.now().astimezone()))
    timezone: str = "America/New_York"
    fhir_timeout_s: float = 5.0
    fhir_origins: FhirOrigins = field(default_factory=FhirOrigins)
    client: httpx.AsyncClient | None = None
    redisclosure_notice: str = REDISCLOSURE_NOTICE_DEFAULT

    def service(self, service_id: str) -> ServiceDefinition:
        found = SERVICES.get(service_id)
        if found is None:
            raise CdsProblem(404, "Not Found", f"no CDS service {service_id!r}", "id")
        return found

    async def call(self, service_id: str, body: bytes, authorization: str | None, url: str) -> dict[str, Any]:
        """Verify the caller (``Authorization``, the URL called) and answer."""
        self.service(service_id)
        return await self.answer(service_id, body, await self.verifier.verify(authorization, url))

    async def answer(self, service_id: str, body: bytes, caller: Caller) -> dict[str, Any]:
        """The cards for ``body`` from ``caller`` (already verified)."""
        service = self.service(service_id)
        request = parse_request(body, service)
        now = self.clock()
        basis = await self._basis(request, service, caller, now)
        cards = self._advise(service.advice, request, basis.chart, now.astimezone(basis.zone).date(), basis.zone)
        missing = gap_card(basis.gaps)  # what could not be seen is said, never left to read as "no problem"
        if missing is not None:
            cards.append(missing)
        if caller.verified and cards:  # an anonymous caller's feedback is never tied to a card
            issued = [(c.uuid, IssuedCard(service.id, c.rule, request.patient_id, c.indicator, caller.iss,
                                          basis.linked_patient)) for c in cards]
            await asyncio.to_thread(self.feedback.remember, issued, now)
        shown = cards if basis.linked_patient is None else [with_part2_notice(c, self.redisclosure_notice)
                                                            for c in cards]
        return {"cards": [c.as_json() for c in shown]}

    async def _basis(self, request: HookRequest, service: ServiceDefinition, caller: Caller,
                     now: datetime) -> Basis:
        """The chart to advise on, what could not be seen, the zone, and the naltrack patient drawn on."""
        gathered = await self._gather(request, service)
        resources, gaps = make_readable(gathered.resources, now.astimezone(ZoneInfo(self.timezone)).date(),
                                        ages_matter=service.advice == "naltrexone-order-check")
        if not any(r.get("resourceType") == "Patient" for r in resources):
            raise precondition_failed("prefetch.patient", f"Patient/{request.patient_id} could not be had")
        try:
            theirs = self.read_chart(resources, request.patient_id)
        except DomainError as error:  # the reader names the element path of anything it cannot read
            raise bad_request("prefetch", f"a resource cannot be read: {error}") from error
        # Linked last: a disclosure is recorded only for an answer that is then given.
        linked = await self._linked(caller, gathered.resources, request.patient_id, service.id, now)
        zone = linked.zone if linked is not None else ZoneInfo(self.timezone)
        local = linked.chart if linked is not None else None
        chart = theirs if local is None else merge_charts(local, theirs)
        return Basis(chart, gathered.gaps + gaps, zone, None if local is None else local.patient.id)

    async def _linked(self, caller: Caller, resources: list[dict[str, Any]], patient_id: str, service_id: str,
                      now: datetime) -> LinkedChart | None:
        """naltrack's chart of the EHR's patient when linked and consented; an anonymous caller never looks."""
        if caller.iss is None or caller.clinic_id is None:
            return None
        resource = ehr_patient(resources, patient_id)
        demographics = demographics_of(resource) if resource is not None else Demographics()
        # The same work whether or not anyone is linked (services.cds), off the event loop.
        return await asyncio.to_thread(functools.partial(
            self.local.disclose, clinic_id=caller.clinic_id, demographics=demographics, recipient=caller.iss,
            caller=caller.name, purpose="treatment", categories=CDS_CATEGORIES, service_id=service_id, now=now))

    async def _gather(self, request: HookRequest, service: ServiceDefinition) -> Gathered:
        if request.fhir_server is None or self.client is not None \
                or not self.fhir_origins.allows(request.fhir_server):
            # No FHIR server to ask: no HTTP client is built, which costs milliseconds.
            return await gather(request, service, self.client, self.fhir_timeout_s, self.fhir_origins)
        async with httpx.AsyncClient() as client:
            return await gather(request, service, client, self.fhir_timeout_s, self.fhir_origins)

    def _advise(self, service_id: str, request: HookRequest, chart: PatientChart, today: date,
                tz: tzinfo) -> list[Card]:
        t = self.thresholds
        if service_id == "naltrexone-patient-view":
            return advice.patient_view(chart, today, tz, t)
        drafts = advice.draft_medications(_selected(request))
        if service_id == "naltrexone-order-check":
            return advice.order_check(chart, drafts, today, tz, t)
        return advice.opioid_on_naltrexone(chart, drafts, today, tz, t)


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
