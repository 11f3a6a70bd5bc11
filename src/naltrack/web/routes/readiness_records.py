"""What the readiness check reads, recorded on the web: the last use of a substance, a naloxone challenge,
and a hypersensitivity to naltrexone or a kit component (clinical.md §2.1, §2.2, §2.5). Each post goes through
the record use case (:func:`naltrack.services.records.create_record`) and returns to the readiness checklist."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.observations import (
    ALLERGY_SUBSTANCES,
    CHALLENGE_PROTOCOL,
    CHALLENGE_ROUTE_LABELS,
    CHALLENGE_SIGNS,
    SUBSTANCES,
    Allergy,
    NaloxoneChallenge,
    SubstanceUseReport,
)
from naltrack.services.records import NewRecord
from naltrack.web.context import require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.routes.recording import base_fields, chart_for, form_page, local_now, save_record

router = APIRouter()

SUBSTANCE_LABELS = {
    "heroin": "Heroin", "fentanyl": "Fentanyl (illicit)", "prescription-opioids": "Prescription opioids",
    "methadone": "Methadone", "buprenorphine": "Buprenorphine", "alcohol": "Alcohol", "cocaine": "Cocaine",
    "methamphetamine": "Methamphetamine", "benzodiazepines": "Benzodiazepines", "cannabis": "Cannabis",
    "kratom": "Kratom"}
ALLERGY_LABELS = {"naltrexone": "Naltrexone", "polylactide-co-glycolide": "PLG microspheres (the XR-NTX polymer)",
                  "carboxymethylcellulose": "Carboxymethylcellulose (the XR-NTX diluent)", "other": "Other"}
CHALLENGE_RESULTS = ("passed", "failed", "equivocal")
FIELDS = {"substance_use.last_use": "last_use", "substance_use.substance": "substance",
          "naloxone_challenge.performed_at": "performed_at", "naloxone_challenge.equivocal": "result",
          "allergy.substance": "substance", "allergy.reaction": "reaction", "performed_at": "performed_at",
          "reported_on": "reported_on", "last_use": "last_use"}


def _back(chart_patient_id: str) -> str:
    return f"/patients/{chart_patient_id}/readiness"


@page(router, "/patients/{patient_id}/substance-use/new", methods=("GET", "POST"))
def last_use(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "substance-use")
    t = web_of(request).ctx.thresholds
    extra: dict[str, Any] = {"substances": [(s, SUBSTANCE_LABELS[s]) for s in SUBSTANCES],
                             "free": {"short": t.opioid_free_days_short, "fentanyl": t.opioid_free_days_fentanyl,
                                      "methadone": t.opioid_free_days_methadone,
                                      "buprenorphine": t.opioid_free_days_buprenorphine}}
    today = web_of(request).today(user).isoformat()
    if form is None:
        state = FormState(values={"substance": "fentanyl", "reported_on": today})
        return form_page(request, user, chart, "substance_use_form", "Last use", state, **extra)
    state = FormState.from_form(form)
    values: dict[str, Any] = {"substance": state.choice("substance", SUBSTANCES), "last_use": state.day("last_use"),
              "reported_on": state.day("reported_on"), "route": state.text("route", required=False, max_length=64)}
    if state.ok:
        def build(base: NewRecord) -> SubstanceUseReport:
            return SubstanceUseReport(**base_fields(base), **values)

        if save_record(request, user, state, "substance_use", build, FIELDS) is not None:
            return redirect(request, _back(chart.patient.id))
    return form_page(request, user, chart, "substance_use_form", "Last use", state, 422, **extra)


@page(router, "/patients/{patient_id}/naloxone-challenges/new", methods=("GET", "POST"))
def naloxone_challenge(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "labs")
    extra: dict[str, Any] = {"signs": CHALLENGE_SIGNS, "protocol": CHALLENGE_PROTOCOL,
                             "routes": list(CHALLENGE_ROUTE_LABELS.items())}
    if form is None:
        state = FormState(values={"route": "sc", "performed_at": local_now(request, user)})
        return form_page(request, user, chart, "naloxone_form", "Naloxone challenge", state, **extra)
    state = FormState.from_form(form)
    result = state.choice("result", CHALLENGE_RESULTS)
    signs = tuple(s for s in CHALLENGE_SIGNS if state.raw(f"sign_{s}") == "yes")
    values: dict[str, Any] = {"route": state.choice("route", ("sc", "iv")),
              "performed_at": state.moment("performed_at", web_of(request).zone(user)),
              "passed": result == "passed", "equivocal": result == "equivocal", "signs": signs}
    if state.ok:
        def build(base: NewRecord) -> NaloxoneChallenge:
            return NaloxoneChallenge(**base_fields(base), **values)

        if save_record(request, user, state, "naloxone_challenges", build, FIELDS) is not None:
            return redirect(request, _back(chart.patient.id))
    return form_page(request, user, chart, "naloxone_form", "Naloxone challenge", state, 422, **extra)


@page(router, "/patients/{patient_id}/allergies/new", methods=("GET", "POST"))
def allergy(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "allergies")
    extra: dict[str, Any] = {"substances": [(s, ALLERGY_LABELS[s]) for s in ALLERGY_SUBSTANCES]}
    if form is None:
        state = FormState(values={"substance": "naltrexone", "criticality": "high"})
        return form_page(request, user, chart, "allergy_form", "Allergy", state, **extra)
    state = FormState.from_form(form)
    values: dict[str, Any] = {"substance": state.choice("substance", ALLERGY_SUBSTANCES),
              "reaction": state.text("reaction", required=False, max_length=200),
              "criticality": state.choice("criticality", ("low", "high", "unable-to-assess"))}
    if state.ok:
        def build(base: NewRecord) -> Allergy:
            return Allergy(**base_fields(base), **values)

        if save_record(request, user, state, "allergies", build, FIELDS) is not None:
            return redirect(request, _back(chart.patient.id))
    return form_page(request, user, chart, "allergy_form", "Allergy", state, 422, **extra)
