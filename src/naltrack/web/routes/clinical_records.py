"""The rest of what the rules read, recorded on the web: pregnancy and breastfeeding (with a urine hCG result), a
medication taken outside the program (found by name in the catalog and the RxNorm code table), an adverse event and
its follow-up, and an OUD or AUD diagnosis (found by name in the code table, or entered as a code).

The record forms are :class:`~naltrack.web.record_forms.RecordForm` s; a follow-up is a correction of the stored
adverse event (:func:`~naltrack.web.record_forms.serve_correction_form`). Pregnancy is part of the patient, so its
form updates the patient (:func:`naltrack.services.patients.update_patient`, versioned); an hCG result joins the
status as the FHIR import reads one (:func:`naltrack.domain.observations.combine_reproductive`). Limits (grade,
doses, days) are the domain's: its error comes back beside the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any, cast, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.care import ADVERSE_EVENT_KINDS, OUTCOMES, AdverseEvent, InjectionSiteDetails
from naltrack.domain.chart import PatientChart
from naltrack.domain.code_search import describe_medication, find_diagnosis, search_diagnoses, search_medications
from naltrack.domain.episodes import Diagnosis
from naltrack.domain.errors import AccessDenied, InvalidInput
from naltrack.domain.observations import MedicationSource, MedicationUse, combine_reproductive
from naltrack.domain.patients import Patient, ReproductiveStatus
from naltrack.domain.records import ClinicalRecord, current
from naltrack.errors import StaleVersion
from naltrack.services import patients as patient_cases
from naltrack.web.chart_view import in_words
from naltrack.web.context import WebUser, actor_of, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.record_forms import RecordForm, chart_page, serve_correction_form, serve_record_form
from naltrack.web.routes.recording import form_page

router = APIRouter()

#: Matches a search shows.
SEARCH_LIMIT = 15
ANSWERS = {"yes": True, "no": False, "unknown": None}
SOURCES: tuple[str, ...] = get_args(MedicationSource)
#: Domain fields (their last part) -> form fields.
FIELDS = {"start": "start", "end": "end", "last_dose": "last_dose", "source": "source", "days_supply": "days_supply",
          "daily_dose_mg": "daily_dose_mg", "rxnorm": "rxnorm", "kind": "kind", "onset": "onset",
          "ctcae_grade": "ctcae_grade", "outcome": "outcome", "resolved_on": "resolved_on", "site": "site_side",
          "side": "site_side", "induration_cm": "induration_cm", "injection_id": "injection_id",
          "description": "description", "system": "system", "code": "code", "display": "display",
          "clinical_status": "clinical_status"}


def _amount(state: FormState, name: str, whole: bool = False, required: bool = False) -> Any:
    """A number as typed (its limits are the domain's), or ``None``."""
    text = state.raw(name)
    if not text:
        if required:
            state.add_error(name, "is required")
        return None
    try:
        return int(text) if whole else float(text)
    except ValueError:
        state.add_error(name, f"{text!r} is not a {'whole number' if whole else 'number'}")
        return None


def _day_until(state: FormState, name: str, today: date, required: bool = True) -> date | None:
    """A date that is not after the clinic's today."""
    day = state.day(name, required=required)
    if day is not None and day > today:
        state.add_error(name, f"{day} is after today ({today})")
        return None
    return day


# --- pregnancy and breastfeeding --------------------------------------------------------------

def _answer(value: bool | None) -> str:
    return next(text for text, meant in ANSWERS.items() if meant is value)


def _reproductive(state: FormState, today: date) -> ReproductiveStatus | None:
    """The status from the answers and an hCG result, combined as the FHIR import combines dated findings."""
    pregnant, breastfeeding = state.choice("pregnant", tuple(ANSWERS)), state.choice("breastfeeding", tuple(ANSWERS))
    as_of = _day_until(state, "as_of", today)
    hcg = state.choice("hcg", ("positive", "negative"), required=bool(state.raw("hcg_on")))
    hcg_on = _day_until(state, "hcg_on", today, required=hcg is not None)
    if not state.ok or pregnant is None or breastfeeding is None or as_of is None:
        return None
    findings = [(as_of, ANSWERS[pregnant], ANSWERS[breastfeeding])]
    if hcg is not None and hcg_on is not None:
        findings.append((hcg_on, hcg == "positive", None))
    return combine_reproductive(findings)


def _pregnancy_page(request: Request, user: WebUser, patient: Patient, state: FormState, status: int = 200) -> Response:
    answers = [(a, a.capitalize()) for a in ANSWERS]
    return form_page(request, user, PatientChart(patient=patient), "pregnancy_form", "Pregnancy status", state,
                     status, answers=answers, current=patient.reproductive)


@page(router, "/patients/{patient_id}/pregnancy", methods=("GET", "POST"))
def pregnancy(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    for category, action in (("clinical-views", "read"), ("demographics", "update")):
        if not user.may(category, action):
            raise AccessDenied(user.role, category, action)
    web, actor = web_of(request), actor_of(request, user)
    patient = patient_cases.get_patient(web.ctx, actor, request.path_params["patient_id"], web.now())
    if form is None:
        known = patient.reproductive or ReproductiveStatus(None, None, web.today(user))
        return _pregnancy_page(request, user, patient, FormState(values={
            "pregnant": _answer(known.pregnant), "breastfeeding": _answer(known.breastfeeding),
            "as_of": web.today(user).isoformat(), "version": str(patient.version)}))
    state = FormState.from_form(form)
    status, version = _reproductive(state, web.today(user)), state.version()
    if version is None:
        state.notice = "Not saved: the form does not say which version of the patient it changes. Reload it."
    if status is not None and version is not None:
        try:
            patient_cases.update_patient(web.ctx, actor, patient.id, version, lambda new: replace(
                patient, reproductive=status, version=new["version"]), web.now())
            return redirect(request, chart_page(patient.id, "pregnancy"))
        except StaleVersion:
            state.notice = "Not saved: someone changed this patient's record meanwhile. Reload the form to see it."
            return _pregnancy_page(request, user, patient, state, 409)
    return _pregnancy_page(request, user, patient, state, 422)


# --- medications ------------------------------------------------------------------------------

def _search_text(request: Request) -> str:
    return (request.query_params.get("q") or "").strip()


def _medication_extra(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    text = _search_text(request)
    matches = [(m.code, f"{m.display} ({m.code})", m.group) for m in search_medications(text, SEARCH_LIMIT)]
    listed = [describe_medication(m.rxnorm) for m in current(chart.medications)]
    return {"q": text, "matches": matches, "listed": listed, "sources": [(s, s.capitalize()) for s in SOURCES]}


def _medication_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    typed = state.raw("rxnorm_code")
    if typed and not typed.isdigit():
        state.add_error("rxnorm_code", f"{typed!r} is not an RxNorm code (RxCUI, digits only); search by name instead")
    code = typed or state.raw("rxnorm")
    if not code:
        state.add_error("rxnorm", "is required: search by name and choose one, or enter an RxNorm code")
    return {"rxnorm": code, "start": state.day("start"), "end": state.day("end", required=False),
            "last_dose": state.day("last_dose", required=False),
            "source": state.choice("source", SOURCES),
            "days_supply": _amount(state, "days_supply", whole=True), "daily_dose_mg": _amount(state, "daily_dose_mg")}


MEDICATION = RecordForm(kind="medications", record_type=MedicationUse, category="medications",
                        template="medication_form", title="Medication", parse=_medication_parse, fields=FIELDS,
                        defaults=lambda r, u, c: {"start": web_of(r).today(u), "source": "reported"},
                        extra=_medication_extra)


@page(router, "/patients/{patient_id}/medications/new", methods=("GET", "POST"))
def medication(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_record_form(request, form, MEDICATION)


# --- adverse events and their follow-up -------------------------------------------------------

def _adverse_extra(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    shots = sorted(current(chart.injections), key=lambda i: i.given_at, reverse=True)
    return {"kinds": [(k, in_words(k)) for k in ADVERSE_EVENT_KINDS], "outcomes": [(o, in_words(o)) for o in OUTCOMES],
            "injections": [(i.id, f"{i.given_at.astimezone(web_of(request).zone(user)):%Y-%m-%d}, {i.side} buttock, "
                                  f"lot {i.lot}") for i in shots]}


def _site(state: FormState) -> InjectionSiteDetails | None:
    """The site's details when a side is given (an injection-site reaction needs one: the domain says so)."""
    side = state.choice("site_side", ("left", "right"), required=False)
    induration = _amount(state, "induration_cm")
    if side is None:
        return None
    try:
        return InjectionSiteDetails(side, induration, necrosis=state.raw("necrosis") == "yes",  # type: ignore[arg-type]
                                    surgical_referral=state.raw("surgical_referral") == "yes")
    except InvalidInput as error:
        state.apply(error, FIELDS)
        return None


def _adverse_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    return {"kind": state.choice("kind", ADVERSE_EVENT_KINDS), "onset": state.day("onset"),
            "ctcae_grade": _amount(state, "ctcae_grade", whole=True, required=True),
            "outcome": state.choice("outcome", OUTCOMES),
            "resolved_on": state.day("resolved_on", required=False), "site": _site(state),
            "description": state.text("description", required=False, max_length=500),
            "injection_id": state.raw("injection_id") or None}


ADVERSE_EVENT = RecordForm(kind="adverse_events", record_type=AdverseEvent, category="adverse-events",
                           template="adverse_event_form", title="Adverse event", parse=_adverse_parse, fields=FIELDS,
                           extra=_adverse_extra,
                           defaults=lambda r, u, c: {"onset": web_of(r).today(u), "outcome": "not-resolved"})
FOLLOW_UP = replace(ADVERSE_EVENT, title="Adverse event follow-up")


def _as_entered(record: ClinicalRecord) -> dict[str, Any]:
    """A stored adverse event (the form's kind) as the follow-up form's values."""
    record = cast(AdverseEvent, record)
    site = record.site
    return {"kind": record.kind, "onset": record.onset, "ctcae_grade": record.ctcae_grade, "outcome": record.outcome,
            "resolved_on": record.resolved_on, "description": record.description, "injection_id": record.injection_id,
            "site_side": site.side if site else None, "induration_cm": f"{site.induration_cm:g}" if site and
            site.induration_cm is not None else None, "necrosis": "yes" if site and site.necrosis else None,
            "surgical_referral": "yes" if site and site.surgical_referral else None}


@page(router, "/patients/{patient_id}/adverse-events/new", methods=("GET", "POST"))
def adverse_event(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_record_form(request, form, ADVERSE_EVENT)


@page(router, "/patients/{patient_id}/adverse-events/{record_id}/follow-up", methods=("GET", "POST"))
def adverse_event_follow_up(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_correction_form(request, form, FOLLOW_UP, _as_entered)


# --- diagnoses --------------------------------------------------------------------------------

SYSTEMS = (("icd10cm", "ICD-10-CM"), ("snomed", "SNOMED CT"))


def _diagnosis_extra(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    names = dict(SYSTEMS)
    matches = [(f"{m.system}|{m.code}", f"{m.code} {m.display} ({m.kind.upper()}, {names[m.system]})")
               for m in search_diagnoses(_search_text(request), SEARCH_LIMIT)]
    return {"q": _search_text(request), "matches": matches, "systems": list(SYSTEMS),
            "statuses": [(s, in_words(s)) for s in ("active", "in-remission", "resolved")]}


def _diagnosis_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    common = {"onset": state.day("onset", required=False),
              "clinical_status": state.choice("clinical_status", ("active", "in-remission", "resolved"))}
    picked = state.raw("pick")
    if picked:
        system, _, code = picked.partition("|")
        match = find_diagnosis(system, code)
        if match is None:
            state.add_error("pick", f"{picked!r} is not a code of the OUD and AUD code table")
            return common
        return {**common, "system": match.system, "code": match.code, "display": match.display}
    chosen, typed = state.choice("system", tuple(dict(SYSTEMS))), state.text("code", max_length=20)
    known = find_diagnosis(chosen, typed) if chosen and typed else None
    display = state.text("display", required=known is None, max_length=200) or (known.display if known else None)
    return {**common, "system": chosen, "code": typed, "display": display}


DIAGNOSIS = RecordForm(kind="diagnoses", record_type=Diagnosis, category="diagnoses", template="diagnosis_form",
                       title="Diagnosis", parse=_diagnosis_parse, fields=FIELDS,
                       defaults=lambda r, u, c: {"clinical_status": "active", "system": "icd10cm"},
                       extra=_diagnosis_extra)


@page(router, "/patients/{patient_id}/diagnoses/new", methods=("GET", "POST"))
def diagnosis(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_record_form(request, form, DIAGNOSIS)
