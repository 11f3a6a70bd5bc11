"""What the readiness check reads, recorded on the web: the last use of a substance, a naloxone challenge,
and a hypersensitivity to naltrexone or a kit component (clinical.md §2.1, §2.2, §2.5). Each form is a
:class:`~naltrack.web.record_forms.RecordForm`: its post goes through the record use case and returns to the
readiness checklist."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.chart import PatientChart
from naltrack.domain.observations import (
    ALLERGY_LABELS,
    ALLERGY_SUBSTANCES,
    CHALLENGE_PROTOCOL,
    CHALLENGE_ROUTE_LABELS,
    CHALLENGE_SIGNS,
    SUBSTANCE_LABELS,
    SUBSTANCES,
    Allergy,
    NaloxoneChallenge,
    SubstanceUseReport,
)
from naltrack.web.context import WebUser, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page
from naltrack.web.record_forms import RecordForm, serve_record_form
from naltrack.web.routes.recording import local_now

router = APIRouter()

CHALLENGE_RESULTS = ("passed", "failed", "equivocal")
FIELDS = {"substance_use.last_use": "last_use", "substance_use.substance": "substance",
          "naloxone_challenge.performed_at": "performed_at", "naloxone_challenge.equivocal": "result",
          "allergy.substance": "substance", "allergy.reaction": "reaction", "performed_at": "performed_at",
          "reported_on": "reported_on", "last_use": "last_use"}


def _back(patient_id: str, kind: str) -> str:
    return f"/patients/{patient_id}/readiness"


def _substance_defaults(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    return {"substance": "fentanyl", "reported_on": web_of(request).today(user).isoformat()}


def _substance_extra(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    t = web_of(request).ctx.thresholds
    return {"substances": [(s, SUBSTANCE_LABELS[s]) for s in SUBSTANCES],
            "free": {"short": t.opioid_free_days_short, "fentanyl": t.opioid_free_days_fentanyl,
                     "methadone": t.opioid_free_days_methadone, "buprenorphine": t.opioid_free_days_buprenorphine}}


def _substance_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    return {"substance": state.choice("substance", SUBSTANCES), "last_use": state.day("last_use"),
            "reported_on": state.day("reported_on"), "route": state.text("route", required=False, max_length=64)}


LAST_USE = RecordForm(kind="substance_use", record_type=SubstanceUseReport, category="substance-use",
                      template="substance_use_form", title="Last use", parse=_substance_parse, fields=FIELDS,
                      defaults=_substance_defaults, extra=_substance_extra, back=_back)


@page(router, "/patients/{patient_id}/substance-use/new", methods=("GET", "POST"))
def last_use(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_record_form(request, form, LAST_USE)


def _challenge_defaults(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    return {"route": "sc", "performed_at": local_now(request, user)}


def _challenge_extra(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    return {"signs": CHALLENGE_SIGNS, "protocol": CHALLENGE_PROTOCOL, "routes": list(CHALLENGE_ROUTE_LABELS.items())}


def _challenge_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    result = state.choice("result", CHALLENGE_RESULTS)
    return {"route": state.choice("route", ("sc", "iv")),
            "performed_at": state.moment("performed_at", web_of(request).zone(user)),
            "passed": result == "passed", "equivocal": result == "equivocal",
            "signs": tuple(s for s in CHALLENGE_SIGNS if state.raw(f"sign_{s}") == "yes")}


CHALLENGE = RecordForm(kind="naloxone_challenges", record_type=NaloxoneChallenge, category="labs",
                       template="naloxone_form", title="Naloxone challenge", parse=_challenge_parse, fields=FIELDS,
                       defaults=_challenge_defaults, extra=_challenge_extra, back=_back)


@page(router, "/patients/{patient_id}/naloxone-challenges/new", methods=("GET", "POST"))
def naloxone_challenge(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_record_form(request, form, CHALLENGE)


def _allergy_defaults(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    return {"substance": "naltrexone", "criticality": "high"}


def _allergy_extra(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    return {"substances": [(s, ALLERGY_LABELS[s]) for s in ALLERGY_SUBSTANCES]}


def _allergy_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    return {"substance": state.choice("substance", ALLERGY_SUBSTANCES),
            "reaction": state.text("reaction", required=False, max_length=200),
            "criticality": state.choice("criticality", ("low", "high", "unable-to-assess"))}


ALLERGY = RecordForm(kind="allergies", record_type=Allergy, category="allergies", template="allergy_form",
                     title="Allergy", parse=_allergy_parse, fields=FIELDS, defaults=_allergy_defaults,
                     extra=_allergy_extra, back=_back)


@page(router, "/patients/{patient_id}/allergies/new", methods=("GET", "POST"))
def allergy(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_record_form(request, form, ALLERGY)
