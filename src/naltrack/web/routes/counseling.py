"""Recording a counseling session or a mutual-help meeting the patient attended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.care import SESSION_KINDS, CounselingSession, SupportGroupAttendance
from naltrack.services.records import NewRecord
from naltrack.web.context import require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.routes.recording import base_fields, chart_for, form_page, save_record

router = APIRouter()
FELLOWSHIPS = ("AA", "NA", "SMART", "other")
FIELDS = {"counseling.kind": "kind", "counseling.duration_min": "duration_min", "counseling.counselor": "counselor",
          "counseling.held_on": "held_on", "held_on": "held_on", "support_group.fellowship": "fellowship",
          "support_group.attended_on": "attended_on", "attended_on": "attended_on"}


@page(router, "/patients/{patient_id}/counseling/new", methods=("GET", "POST"))
def counseling(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "counseling")
    extra: dict[str, Any] = {"kinds": [(k, k) for k in SESSION_KINDS], "fellowships": [(f, f) for f in FELLOWSHIPS]}
    if form is None:
        today = web_of(request).today(user).isoformat()
        state = FormState(values={"record": "session", "kind": "cbt", "held_on": today, "duration_min": "60",
                                  "counselor": user.user.username, "attended": "yes", "attended_on": today})
        return form_page(request, user, chart, "counseling_form", "Counseling", state, **extra)
    state = FormState.from_form(form)
    cls: type[CounselingSession] | type[SupportGroupAttendance]
    if state.choice("record", ("session", "meeting")) == "meeting":
        values: dict[str, Any] = {"fellowship": state.choice("fellowship", FELLOWSHIPS),
                                  "attended_on": state.day("attended_on")}
        kind, cls = "support_groups", SupportGroupAttendance
    else:
        duration = state.number("duration_min", 5, 480, "minutes")
        values = {"kind": state.choice("kind", SESSION_KINDS), "held_on": state.day("held_on"),
                  "duration_min": int(duration or 0), "counselor": state.text("counselor", max_length=100),
                  "attended": state.raw("attended") == "yes",
                  "group_id": state.text("group_id", required=False, max_length=64),
                  "note": state.text("note", required=False, max_length=2000)}
        kind, cls = "counseling", CounselingSession
    if state.ok:
        def build(base: NewRecord) -> Any:
            return cls(**base_fields(base), **values)

        if save_record(request, user, state, kind, build, FIELDS) is not None:
            return redirect(request, f"/patients/{chart.patient.id}?recorded={kind}")
    return form_page(request, user, chart, "counseling_form", "Counseling", state, 422, **extra)
