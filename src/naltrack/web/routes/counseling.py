"""Recording a counseling session, with a free or a structured note (DAP or BIRP), or a mutual-help meeting the
patient attended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.care import (
    NOTE_FORMATS,
    NOTE_SECTIONS,
    SESSION_KINDS,
    CounselingSession,
    Fellowship,
    NoteFormat,
    NoteSection,
    SupportGroupAttendance,
)
from naltrack.domain.limits import FREE_TEXT_MAX_LENGTH
from naltrack.services.records import NewRecord
from naltrack.web.context import WebUser, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.routes.recording import base_fields, chart_for, form_page, save_record

router = APIRouter()
FELLOWSHIPS: tuple[str, ...] = get_args(Fellowship)
FORMAT_LABELS = {"free": "Free note", "dap": "DAP (Data, Assessment, Plan)",
                 "birp": "BIRP (Behavior, Intervention, Response, Plan)"}
SECTION_NAMES: list[str] = sorted({name for parts in NOTE_SECTIONS.values() for name, _ in parts})
FIELDS: dict[str, str] = {
    "counseling.kind": "kind", "counseling.duration_min": "duration_min", "counseling.counselor": "counselor",
    "counseling.held_on": "held_on", "held_on": "held_on", "support_group.fellowship": "fellowship",
    "support_group.attended_on": "attended_on", "attended_on": "attended_on", "counseling.group_id": "group_id",
    "counseling.note_sections": "note_format", "counseling.note": "note", **{s: s for s in SECTION_NAMES}}


def note_format_of(request: Request, state: FormState) -> NoteFormat:
    """The note format of the form: posted, else asked for in the address, else free."""
    chosen = state.raw("note_format") or request.query_params.get("format", "")
    return next((f for f in NOTE_FORMATS if f == chosen), "free")


def _extra(note_format: NoteFormat) -> dict[str, Any]:
    return {"kinds": [(k, k) for k in SESSION_KINDS], "fellowships": [(f, f) for f in FELLOWSHIPS],
            "formats": list(FORMAT_LABELS.items()), "note_format": note_format,
            "sections": NOTE_SECTIONS[note_format]}


def note_values(state: FormState, note_format: NoteFormat) -> dict[str, Any]:
    """The note of a session: free text, and the sections of a structured format (each required)."""
    sections = tuple(NoteSection(name, text) for name, _ in NOTE_SECTIONS[note_format]
                     if (text := state.text(name, max_length=FREE_TEXT_MAX_LENGTH)) is not None)
    state.choice("note_format", NOTE_FORMATS, required=False)  # a format not offered is an error; none is free
    return {"note_format": note_format, "note_sections": sections,
            "note": state.text("note", required=False, max_length=FREE_TEXT_MAX_LENGTH)}


def _session_values(state: FormState, note_format: NoteFormat) -> dict[str, Any]:
    duration = state.number("duration_min", 5, 480, "minutes")
    return {"kind": state.choice("kind", SESSION_KINDS), "held_on": state.day("held_on"),
            "duration_min": int(duration or 0), "counselor": state.text("counselor", max_length=100),
            "attended": state.raw("attended") == "yes",
            "group_id": state.text("group_id", required=False, max_length=64), **note_values(state, note_format)}


def _defaults(request: Request, user: WebUser, note_format: NoteFormat) -> FormState:
    today = web_of(request).today(user).isoformat()
    return FormState(values={"record": "session", "kind": "cbt", "held_on": today, "duration_min": "60",
                             "counselor": user.user.username, "attended": "yes", "attended_on": today,
                             "note_format": note_format})


@page(router, "/patients/{patient_id}/counseling/new", methods=("GET", "POST"))
def counseling(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "counseling")
    state = FormState.from_form(form) if form is not None else FormState()
    note_format = note_format_of(request, state)
    if form is None:
        return form_page(request, user, chart, "counseling_form", "Counseling", _defaults(request, user, note_format),
                         **_extra(note_format))
    cls: type[CounselingSession] | type[SupportGroupAttendance]
    if state.choice("record", ("session", "meeting")) == "meeting":
        values: dict[str, Any] = {"fellowship": state.choice("fellowship", FELLOWSHIPS),
                                  "attended_on": state.day("attended_on")}
        kind, cls = "support_groups", SupportGroupAttendance
    else:
        values, kind, cls = _session_values(state, note_format), "counseling", CounselingSession
    if state.ok:
        def build(base: NewRecord) -> Any:
            return cls(**base_fields(base), **values)

        if save_record(request, user, state, kind, build, FIELDS) is not None:
            return redirect(request, f"/patients/{chart.patient.id}?recorded={kind}")
    return form_page(request, user, chart, "counseling_form", "Counseling", state, 422, **_extra(note_format))
