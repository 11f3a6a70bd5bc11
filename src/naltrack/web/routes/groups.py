"""A group counseling session for several patients at once: one session per patient on the roster (attended or
missed), all sharing the group's name, stored as one batch (all or nothing, one audit entry each)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.care import CounselingSession
from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.roles import require_permitted
from naltrack.services import patients as patient_cases
from naltrack.services import records as record_cases
from naltrack.services.read_models import PatientRef
from naltrack.services.rosters import list_in_care
from naltrack.services.security import new_id
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.idempotency import create_once
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render
from naltrack.web.routes.counseling import FIELDS

router = APIRouter()
#: Patients listed at once under the roster's search.
ROSTER_SIZE = 30
MARKS = ("yes", "no")


def _chosen(state: FormState) -> dict[str, str]:
    """Patient id -> ``yes`` (attended) or ``no`` (missed), for each patient put on the roster."""
    return {name[2:]: value for name, value in state.values.items() if name.startswith("p_") and value in MARKS}


def _ref(patient: Patient) -> PatientRef:
    return PatientRef(patient.id, patient.display_name, patient.mrn)


def _roster(request: Request, user: WebUser, state: FormState) -> tuple[list[PatientRef], int]:
    """The patients already on the roster, then the clinic's patients found by the search (by name or MRN), or
    without a search those in an open episode; and how many the search or the list holds."""
    web, actor = web_of(request), actor_of(request, user)
    text = state.raw("q")[:100] or None
    if text:
        page = patient_cases.list_patients(web.ctx, actor, text, ROSTER_SIZE, 0, web.now())
        found, total = [_ref(p) for p in page.items], page.total
    else:
        care = list_in_care(web.ctx, actor, ROSTER_SIZE, web.now())
        found, total = list(care.items), care.total
    listed = {p.patient_id for p in found}
    kept = [_ref(patient_cases.get_patient(web.ctx, actor, pid, web.now())) for pid in _chosen(state)
            if pid not in listed]
    return [*kept, *found], total


def _group_page(request: Request, user: WebUser, state: FormState, status: int = 200) -> Response:
    recorded = request.query_params.get("recorded", "")
    roster, total = _roster(request, user, state)
    context = page_context(request, user, "Group session", form=state, roster=roster, total=total,
                           searched=bool(state.raw("q")), shown=ROSTER_SIZE,
                           recorded=int(recorded) if recorded.isdigit() else None)
    return render(request, "pages/record.html", "partials/group_form.html", context, status_code=status)


def _sessions(state: FormState) -> list[ClinicalRecord]:
    """One group session per patient on the roster; an error goes next to its field."""
    duration = state.number("duration_min", 5, 480, "minutes")
    shared: dict[str, Any] = {"kind": "group", "held_on": state.day("held_on"), "duration_min": int(duration or 0),
                              "counselor": state.text("counselor", max_length=100),
                              "group_id": state.text("group_id", max_length=64)}
    chosen = _chosen(state)
    if not chosen:
        state.add_error("_form", "no patient is on the roster: mark each member as attended or missed")
    if not state.ok:
        return []
    try:
        return [CounselingSession(id=new_id(), patient_id=pid, attended=mark == "yes", **shared)
                for pid, mark in chosen.items()]
    except InvalidInput as error:
        state.apply(error, FIELDS)
        return []


@page(router, "/groups/new", methods=("GET", "POST"))
def group_session(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    require_permitted(user.role, "counseling", "create")
    web = web_of(request)
    if form is None:
        today = web.today(user).isoformat()
        return _group_page(request, user, FormState(values={"held_on": today, "duration_min": "90",
                                                            "counselor": user.user.username}))
    state = FormState.from_form(form)
    if state.raw("action") == "search":
        return _group_page(request, user, state)
    sessions = _sessions(state)
    if state.ok:
        try:
            create_once(request, user, state, lambda ctx: record_cases.create_records(
                ctx, actor_of(request, user), sessions, web.now()))
            return redirect(request, f"/groups/new?recorded={len(sessions)}")
        except InvalidInput as error:
            state.apply(error, FIELDS)
    return _group_page(request, user, state, 422)
