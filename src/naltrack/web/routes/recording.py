"""Recording forms: an injection, an oral dose, a urine drug screen.

Each post parses the whole form first; the record is built and stored by one use case
(:func:`naltrack.services.records.create_record`, one audited transaction), so a bad
value leaves nothing behind and the form comes back with the entered values and the error
next to its field. A form carries the id of the patient's latest record of its kind
(``seen``): if someone else recorded one meanwhile, the form says so instead of recording
twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.administrations import NEEDLE_LENGTHS_IN, Injection, OralDose, suggest_injection_side
from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import DoseStopped, InvalidInput
from naltrack.domain.indications import active_regimen
from naltrack.domain.observations import ANALYTES, AnalyteResult, UrineDrugScreen
from naltrack.domain.records import current
from naltrack.domain.regimens import ORAL_MAX_SINGLE_DOSE_MG, offered_oral_dose_mg
from naltrack.domain.security.roles import KIND_CATEGORY, AccessDenied
from naltrack.services import patients as patient_cases
from naltrack.services import records as record_cases
from naltrack.services.records import MAX_PAGE, NewRecord, RecordFilter
from naltrack.web.chart_view import uds_grid
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.idempotency import create_once
from naltrack.web.pages import page, redirect
from naltrack.web.pre_dose import authorisation_from, pre_dose_view
from naltrack.web.rendering import render
from naltrack.web.round import kit_of_today, remember_kit, return_path

router = APIRouter()


#: What a role without clinical summaries may still see of a chart, kind by kind (each read audited).
PARTIAL_CHART_KINDS = ("episodes", "diagnoses", "substance_use", "drinking_days", "questionnaires", "counseling",
                       "support_groups", "appointments", "safety_assessments")


def permitted_chart(request: Request, user: WebUser, patient_id: str) -> PatientChart:
    """The chart of a role that may not read clinical summaries: only the kinds it may read."""
    web, actor, ctx = web_of(request), actor_of(request, user), web_of(request).ctx
    patient = patient_cases.get_patient(ctx, actor, patient_id, web.now())
    kinds = {kind: record_cases.list_records(ctx, actor, kind, patient_id, RecordFilter(), MAX_PAGE, 0,
                                             web.now()).items
             for kind in PARTIAL_CHART_KINDS if user.may(KIND_CATEGORY[kind])}
    return PatientChart(patient=patient, **kinds)


def chart_for(request: Request, user: WebUser, category: str, action: str = "create") -> PatientChart:
    """The chart behind a form that writes ``category``: whole for a clinician, else what the role may read."""
    if not user.may(category, action):
        raise AccessDenied(user.role, category, action)
    web = web_of(request)
    pid = request.path_params["patient_id"]
    if not user.may("clinical-views"):
        return permitted_chart(request, user, pid)
    chart: PatientChart = record_cases.chart_view(web_of(request).ctx, actor_of(request, user), pid,
                                                  f"form:{category}", lambda c: c, web.now())
    return chart


def local_now(request: Request, user: WebUser) -> str:
    """Now, as the value of a datetime-local field in the user's clinic's zone."""
    web = web_of(request)
    return web.now().astimezone(web.zone(user)).strftime("%Y-%m-%dT%H:%M")


def _latest_id(records: Any, when: str) -> str:
    rows = sorted(current(records), key=lambda r: getattr(r, when))
    return rows[-1].id if rows else ""


def base_fields(new: NewRecord) -> dict[str, Any]:
    """The id and provenance fields the use case hands to a builder."""
    return new.fields


def save_record(request: Request, user: WebUser, state: FormState, kind: str, build: record_cases.Builder,
                fields: Mapping[str, str]) -> Any | None:
    """Store the record, or put the domain error next to its field (or the pre-dose check's answer above the
    form) and return ``None``. A dose passes the check with the items ticked and a prescriber's override."""
    web = web_of(request)
    authorisation = authorisation_from(state, user)
    try:
        return create_once(request, user, state, lambda ctx: record_cases.create_record(
            ctx, actor_of(request, user), kind, request.path_params["patient_id"], build, web.now(), authorisation))
    except InvalidInput as error:
        state.apply(error, fields)
        return None
    except DoseStopped as stopped:
        levels = {f["level"] for f in stopped.findings}
        levels = {"stop"} if "stop" in levels else levels  # nothing overrides a stop: the rest is moot
        state.notice = ("Not recorded: the dose was not given. " + " ".join(
            text for level, text in (("stop", "Something stops it (below)."),
                                     ("override", "It is not ready, and only a prescriber's reason overrides that."),
                                     ("confirm", "Tick each item to confirm it.")) if level in levels))
        return None


def form_page(request: Request, user: WebUser, chart: PatientChart, template: str, title: str, state: FormState,
              status: int = 200, **extra: Any) -> Response:
    context = page_context(request, user, title, form=state, patient=chart.patient, **{"pre_dose": None, **extra})
    return render(request, "pages/record.html", f"partials/{template}.html", context, status_code=status)


# --- injection -----------------------------------------------------------------------------

INJECTION_FIELDS = {"injection.side": "side", "injection.lot": "lot", "injection.expiry": "expiry",
                    "injection.needle_length_in": "needle_length_in", "injection.given_at": "given_at",
                    "injection.given_by": "given_by", "given_at": "given_at"}


def _injection_extra(chart: PatientChart) -> dict[str, Any]:
    last = chart.last_injection()
    return {"last": last, "suggested": suggest_injection_side(last),
            "needles": [(f"{n:g}", f'{n:g} inch') for n in NEEDLE_LENGTHS_IN]}


@page(router, "/patients/{patient_id}/injections/new")
def injection_form(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "administrations")
    extra = _injection_extra(chart)
    last = extra["last"]
    state = FormState(values={"side": extra["suggested"], "given_at": local_now(request, user),
                              "given_by": user.user.username, "seen": _latest_id(chart.injections, "given_at"),
                              "needle_length_in": f"{last.needle_length_in:g}" if last else "",
                              "next": return_path(request) or "", **kit_of_today(request, web_of(request).today(user))})
    return form_page(request, user, chart, "injection_form", "Record an injection", state, **extra,
                     **pre_dose_view(request, user, chart, "xr-ntx", None))


@page(router, "/patients/{patient_id}/injections/new", methods=("POST",))
def injection_submit(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "administrations")
    extra = _injection_extra(chart)
    state = FormState.from_form(form or {})
    web = web_of(request)
    if state.raw("seen") != _latest_id(chart.injections, "given_at") and state.raw("confirm") != "yes":
        last = extra["last"]
        state.notice = (f"Someone else recorded an injection for this patient meanwhile ({last.given_at:%Y-%m-%d %H:%M}"
                        f", {last.side} buttock, by {last.given_by}). Check the chart; submit again only if this is "
                        "another injection.")
        state.values["seen"] = last.id
        state.values["side"] = extra["suggested"]
        return form_page(request, user, chart, "injection_form", "Record an injection", state, 409, **extra,
                         **pre_dose_view(request, user, chart, "xr-ntx", None))
    # Parsed values are None only with an error next to their field; then nothing is built.
    values: dict[str, Any] = {
        "side": state.choice("side", ("left", "right")), "lot": state.text("lot", max_length=40),
        "expiry": state.day("expiry"), "given_at": state.moment("given_at", web.zone(user)),
        "given_by": state.text("given_by", max_length=100),
        "needle_length_in": state.number("needle_length_in", min(NEEDLE_LENGTHS_IN), max(NEEDLE_LENGTHS_IN), "in"),
    }
    if state.ok:
        regimen = active_regimen(chart, web.today(user), form="xr-ntx")

        def build(base: NewRecord) -> Injection:
            return Injection(**base_fields(base), **values, regimen_id=regimen.id if regimen else None)

        if save_record(request, user, state, "injections", build, INJECTION_FIELDS) is not None:
            back = return_path(request, state.raw("next"))
            target = f"{back}?recorded=injection" if back else f"/patients/{chart.patient.id}?recorded=injection"
            return remember_kit(request, redirect(request, target), values["lot"], values["expiry"], web.today(user))
    return form_page(request, user, chart, "injection_form", "Record an injection", state,
                     409 if state.notice else 422, **extra,
                     **pre_dose_view(request, user, chart, "xr-ntx", values["given_at"]))


# --- oral dose -----------------------------------------------------------------------------

ORAL_FIELDS = {"oral_dose.dose_mg": "dose_mg", "oral_dose.taken_at": "taken_at", "oral_dose.dose_status": "dose_status",
               "oral_dose.observed_by": "observed_by", "taken_at": "taken_at"}


@page(router, "/patients/{patient_id}/oral-doses/new", methods=("GET", "POST"))
def oral_dose(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "administrations")
    web = web_of(request)
    if form is None:
        today = web.today(user)
        offered = offered_oral_dose_mg(active_regimen(chart, today, "oral"), today)
        state = FormState(values={"dose_mg": f"{offered:g}", "dose_status": "observed",
                                  "taken_at": local_now(request, user), "observed_by": user.user.username})
        return form_page(request, user, chart, "oral_form", "Record an oral dose", state,
                         max_single_mg=ORAL_MAX_SINGLE_DOSE_MG, **pre_dose_view(request, user, chart, "oral", None))
    state = FormState.from_form(form)
    status = state.choice("dose_status", ("observed", "taken", "missed"))
    values: dict[str, Any] = {
        "dose_mg": state.number("dose_mg", 1, 1000, "mg"), "dose_status": status,
        "taken_at": state.moment("taken_at", web.zone(user)),
        "observed_by": state.text("observed_by", required=status == "observed", max_length=100),
    }
    if state.ok:
        def build(base: NewRecord) -> OralDose:
            return OralDose(**base_fields(base), **values)

        if save_record(request, user, state, "oral_doses", build, ORAL_FIELDS) is not None:
            return redirect(request, f"/patients/{chart.patient.id}?recorded=oral-dose")
    return form_page(request, user, chart, "oral_form", "Record an oral dose", state, 409 if state.notice else 422,
                     max_single_mg=ORAL_MAX_SINGLE_DOSE_MG,
                     **pre_dose_view(request, user, chart, "oral", values["taken_at"]))


# --- urine drug screen ---------------------------------------------------------------------

SCREEN_FIELDS = {"screen.collected_at": "collected_at", "collected_at": "collected_at", "screen.results": "_form"}


@page(router, "/patients/{patient_id}/screens/new", methods=("GET", "POST"))
def urine_screen(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "urine-screens", "read" if form is None else "create")
    web = web_of(request)
    grid = {"uds": uds_grid(chart), "patient": chart.patient}
    if form is None:
        state = FormState(values={"collected_at": local_now(request, user)})
        return form_page(request, user, chart, "screen_form", "Urine drug screens", state, analytes=ANALYTES, view=grid)
    state = FormState.from_form(form)
    values: dict[str, Any] = {"collected_at": state.moment("collected_at", web.zone(user))}
    results = []
    all_negative = state.raw("all_negative") == "yes"
    for analyte in ANALYTES:
        value = state.raw(f"a_{analyte}")
        if not value and all_negative:
            value = state.values[f"a_{analyte}"] = "negative"
        if value:
            choice = state.choice(f"a_{analyte}", ("positive", "negative", "invalid"))
            if choice:
                results.append(AnalyteResult(analyte, choice))  # type: ignore[arg-type]  # checked just above
    if not results and state.ok:
        state.add_error("_form", "no analyte has a result: mark at least one positive, negative or invalid")
    if state.ok:
        def build(base: NewRecord) -> UrineDrugScreen:
            return UrineDrugScreen(**base_fields(base), **values, results=tuple(results))

        if save_record(request, user, state, "screens", build, SCREEN_FIELDS) is not None:
            return redirect(request, f"/patients/{chart.patient.id}?recorded=screen")
    return form_page(request, user, chart, "screen_form", "Urine drug screens", state, 422, analytes=ANALYTES,
                     view=grid)
