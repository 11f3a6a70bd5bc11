"""Recording a suicide-risk safety assessment: what closes a PHQ-9 item 9 alert (domain/safety.py).

Reached from the alert on the chart and on the dashboard, and from a PHQ-9 whose item 9 is
above 0; ``next`` says where to go back after saving (a path of this site only). Prescribers
and counselors write it; the assessor's role is the signed-in user's, never typed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.chart import PatientChart
from naltrack.domain.observations import QuestionnaireResponse
from naltrack.domain.rules.monitoring import phq9_item9
from naltrack.domain.safety import ACTION_LABELS, RISK_LABELS, RISK_LEVELS, SAFETY_ACTIONS, SafetyAssessment
from naltrack.services.records import NewRecord
from naltrack.web.context import WebUser, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.routes.recording import base_fields, chart_for, form_page, local_now, save_record

router = APIRouter()
CATEGORY = "safety-assessments"
TEMPLATE = "safety_form"
TITLE = "Suicide-risk safety assessment"
#: Domain field -> form field, for errors raised by the constructor or the use case.
FIELDS = {"safety_assessment.assessed_at": "assessed_at", "safety_assessment.risk_level": "risk_level",
          "safety_assessment.actions": "actions", "safety_assessment.assessed_by": "assessed_by",
          "safety_assessment.follow_up_on": "follow_up_on", "safety_assessment.note": "note",
          "safety_assessment.response_id": "response_id", "assessed_at": "assessed_at"}


def item9_responses(chart: PatientChart) -> list[QuestionnaireResponse]:
    """The patient's PHQ-9s with item 9 above 0, newest first."""
    responses = [q for q in chart.responses_to("phq-9")
                 if (len(q.answers) >= 9 and q.answers[8] > 0) or "item-9-positive" in q.flags]
    return sorted(responses, key=lambda q: q.completed_at, reverse=True)


def back_to(request: Request, patient_id: str, value: str | None) -> str:
    """Where to return after saving: a path of this site (``next``), else the chart's alerts."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) <= 200:
        return value
    return f"/patients/{patient_id}#alerts"


def _extra(chart: PatientChart, back: str, today: date, zone: tzinfo) -> dict[str, Any]:
    responses = item9_responses(chart)
    open_alerts = phq9_item9(chart, today)
    return {
        "responses": [(q.id, _label(q, zone)) for q in responses],
        "risk_levels": [(r, RISK_LABELS[r]) for r in RISK_LEVELS],
        "actions": [(a, ACTION_LABELS[a]) for a in SAFETY_ACTIONS],
        "open_alert": open_alerts[0] if open_alerts else None,
        "back": back,
    }


def _label(response: QuestionnaireResponse, zone: tzinfo) -> str:
    """The response as the clinic reads it: its local date and time, and the answer to item 9."""
    answered = f"answered {response.answers[8]:g}" if len(response.answers) >= 9 else "positive"
    return f"PHQ-9 of {response.completed_at.astimezone(zone):%Y-%m-%d %H:%M}, item 9 {answered}"


def _defaults(request: Request, user: WebUser, chart: PatientChart, back: str) -> FormState:
    asked = request.query_params.get("response", "")
    known = [q.id for q in item9_responses(chart)]
    return FormState(values={"assessed_at": local_now(request, user), "assessed_by": user.user.username,
                             "response_id": asked if asked in known else (known[0] if known else ""),
                             "next": back})


def _parse(request: Request, user: WebUser, state: FormState, chart: PatientChart) -> dict[str, Any]:
    """The assessment's values; an error sits next to each field that is wrong."""
    actions = tuple(a for a in SAFETY_ACTIONS if state.raw(f"action_{a}") == "yes")
    if not actions:
        state.add_error("actions", "choose at least one action taken")
    response_id = state.raw("response_id") or None
    if response_id is not None and response_id not in {q.id for q in item9_responses(chart)}:
        state.add_error("response_id", f"{response_id!r} is not a PHQ-9 of this patient with item 9 above 0")
    return {"assessed_at": state.moment("assessed_at", web_of(request).zone(user)),
            "risk_level": state.choice("risk_level", RISK_LEVELS), "actions": actions,
            "follow_up_on": state.day("follow_up_on", required=False),
            "assessed_by": state.text("assessed_by", max_length=100),
            "note": state.text("note", required=False, max_length=2000),
            "response_id": response_id, "assessor_role": user.role}


@page(router, "/patients/{patient_id}/safety-assessments/new", methods=("GET", "POST"))
def safety_assessment(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, CATEGORY)
    web = web_of(request)
    today, zone = web.today(user), web.zone(user)
    pid = chart.patient.id
    if form is None:
        back = back_to(request, pid, request.query_params.get("next"))
        state = _defaults(request, user, chart, back)
        return form_page(request, user, chart, TEMPLATE, TITLE, state, **_extra(chart, back, today, zone))
    state = FormState.from_form(form)
    back = back_to(request, pid, state.raw("next"))
    values = _parse(request, user, state, chart)
    if state.ok:
        def build(base: NewRecord) -> SafetyAssessment:
            return SafetyAssessment(**base_fields(base), **values)

        if save_record(request, user, state, "safety_assessments", build, FIELDS) is not None:
            return redirect(request, back)
    return form_page(request, user, chart, TEMPLATE, TITLE, state, 422, **_extra(chart, back, today, zone))
