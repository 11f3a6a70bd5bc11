"""The clinic's schedule for a day, and booking an appointment for a patient."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.care import APPOINTMENT_KINDS, Appointment
from naltrack.domain.errors import InvalidInput
from naltrack.services import patients as patient_cases
from naltrack.services import records as record_cases
from naltrack.services.schedule import get_schedule
from naltrack.web.context import actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render
from naltrack.web.routes.recording import base_fields

router = APIRouter()
APPOINTMENT_FIELDS = {"appointment.kind": "kind", "appointment.starts_at": "starts_at",
                      "appointment.duration_min": "duration_min"}


@page(router, "/schedule")
def schedule(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    raw_day = request.query_params.get("day", "")
    try:
        day = date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        day = None
    shown = get_schedule(web_of(request).ctx, actor_of(request, user), day, web.now())
    context = page_context(request, user, "Schedule", day=shown.day, visits=shown.visits,
                           previous=shown.day - timedelta(days=1), following=shown.day + timedelta(days=1),
                           today=shown.today)
    return render(request, "pages/record.html", "partials/schedule.html", context)


@page(router, "/patients/{patient_id}/appointments/new", methods=("GET", "POST"))
def book(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    pid = request.path_params["patient_id"]
    patient = patient_cases.get_patient(web_of(request).ctx, actor_of(request, user), pid, web.now())
    if form is None:
        tomorrow = web.today(user) + timedelta(days=1)
        state = FormState(values={"kind": "injection", "starts_at": f"{tomorrow.isoformat()}T09:00",
                                  "duration_min": "30"})
        return _form(request, user, patient, state)
    state = FormState.from_form(form)
    starts_at = state.moment("starts_at", web.zone(user))
    duration = state.number("duration_min", 5, 480, "minutes")
    values: dict[str, Any] = {"kind": state.choice("kind", APPOINTMENT_KINDS), "starts_at": starts_at,
                              "duration_min": int(duration or 30),
                              "clinician": state.text("clinician", required=False, max_length=100)}
    if state.ok:
        def build(base: record_cases.NewRecord) -> Appointment:
            return Appointment(**base_fields(base), **values)
        try:
            record_cases.create_record(web_of(request).ctx, actor_of(request, user), "appointments", pid, build,
                                       web.now())
            return redirect(request, f"/schedule?day={starts_at.date().isoformat() if starts_at else ''}")
        except InvalidInput as error:
            state.apply(error, APPOINTMENT_FIELDS)
    return _form(request, user, patient, state, 422)


def _form(request: Request, user: Any, patient: Any, state: FormState, status: int = 200) -> Response:
    context = page_context(request, user, "Book an appointment", patient=patient, form=state,
                           kinds=[(k, k) for k in APPOINTMENT_KINDS])
    return render(request, "pages/record.html", "partials/appointment_form.html", context, status_code=status)
