"""The clinic's schedule for a day, booking an appointment for a patient, and marking a visit checked in, a no-show
or seen: each mark is a correction of the appointment (:func:`naltrack.services.records.correct_record`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.care import (
    APPOINTMENT_KIND_LABELS,
    APPOINTMENT_KINDS,
    APPOINTMENT_STATUS_LABELS,
    Appointment,
    next_statuses,
)
from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.errors import Conflict
from naltrack.services import patients as patient_cases
from naltrack.services import records as record_cases
from naltrack.services.context import AppContext
from naltrack.services.read_models import ScheduledVisit
from naltrack.services.schedule import get_schedule
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.idempotency import create_once
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render
from naltrack.web.routes.recording import base_fields

router = APIRouter()
APPOINTMENT_FIELDS = {"appointment.kind": "kind", "appointment.starts_at": "starts_at",
                      "appointment.duration_min": "duration_min"}
#: The button that moves a visit from one status to the next; a move back is an undo.
ACTION_WORDS = {("booked", "arrived"): "Checked in", ("booked", "noshow"): "No-show", ("arrived", "fulfilled"): "Seen",
                ("arrived", "booked"): "Undo check-in", ("noshow", "booked"): "Undo no-show"}


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _actions(visit: ScheduledVisit) -> list[tuple[str, str]]:
    return [(status, ACTION_WORDS[(visit.status, status)]) for status in next_statuses(visit.status)]


def _schedule_page(request: Request, user: WebUser, day: date | None, notice: str | None = None,
                   status: int = 200) -> Response:
    web = web_of(request)
    shown = get_schedule(web.ctx, actor_of(request, user), day, web.now())
    changed = request.query_params.get("changed", "")
    marked = next((v for v in shown.visits if v.appointment_id == changed), None)
    context = page_context(request, user, "Schedule", day=shown.day, visits=shown.visits,
                           previous=shown.day - timedelta(days=1), following=shown.day + timedelta(days=1),
                           today=shown.today, actions=_actions,
                           may_mark=user.may("schedule", "update"), marked=marked, notice=notice)
    return render(request, "pages/record.html", "partials/schedule.html", context, status_code=status)


@page(router, "/schedule")
def schedule(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _schedule_page(request, require_user(request), _day(request.query_params.get("day", "")))


@page(router, "/schedule/appointments/{appointment_id}/status", methods=("POST",))
def mark(request: Request, form: Mapping[str, Any] | None) -> Response:
    """Record a visit's next status (checked in, no-show, seen, or an undo) as a correction of the appointment,
    then show the schedule of its day. A stale version or a move the status does not allow redraws the schedule
    with a notice and saves nothing."""
    user = require_user(request)
    web = web_of(request)
    actor = actor_of(request, user)
    state = FormState.from_form(form or {})
    day = _day(state.raw("day"))
    record = record_cases.get_record(web.ctx, actor, "appointments", request.path_params["appointment_id"],
                                     web.now())
    assert isinstance(record, Appointment)  # noqa: S101  (the kind read is appointments)
    allowed = next_statuses(record.appointment_status)
    chosen = state.choice("status", allowed)
    target = next((status for status in allowed if status == chosen), None)
    version = state.version()
    if target is None or version is None:
        words = APPOINTMENT_STATUS_LABELS
        now_words, asked = words[record.appointment_status], words.get(state.raw("status"), "that")
        return _schedule_page(request, user, day, f"Not saved: a visit marked {now_words.lower()} cannot be marked "
                                                  f"{asked.lower()}.", 422)

    def build(base: record_cases.NewRecord) -> Appointment:
        return replace(record, **base_fields(base), appointment_status=target)

    saved: list[ClinicalRecord] = []  # empty when the same form was posted before: its answer is replayed

    def correct(ctx: AppContext) -> ClinicalRecord:
        saved.append(record_cases.correct_record(ctx, actor, "appointments", record.id, version, build, web.now()))
        return saved[0]

    try:
        create_once(request, user, state, correct)
    except Conflict:
        return _schedule_page(request, user, day, "Not saved: someone changed this visit meanwhile. "
                                                  "The schedule below shows it as it is now.", 409)
    changed = f"&changed={saved[0].id}" if saved else ""
    shown = day or record.starts_at.astimezone(web.zone(user)).date()
    return redirect(request, f"/schedule?day={shown.isoformat()}{changed}")


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
            create_once(request, user, state, lambda ctx: record_cases.create_record(
                ctx, actor_of(request, user), "appointments", pid, build, web.now()))
            return redirect(request, f"/schedule?day={starts_at.date().isoformat() if starts_at else ''}")
        except InvalidInput as error:
            state.apply(error, APPOINTMENT_FIELDS)
    return _form(request, user, patient, state, 422)


def _form(request: Request, user: Any, patient: Any, state: FormState, status: int = 200) -> Response:
    context = page_context(request, user, "Book an appointment", patient=patient, form=state,
                           kinds=[(k, APPOINTMENT_KIND_LABELS[k]) for k in APPOINTMENT_KINDS])
    return render(request, "pages/record.html", "partials/appointment_form.html", context, status_code=status)
