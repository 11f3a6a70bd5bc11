"""Questionnaires as forms: the score and band appear on submit (naltrack.domain.questionnaires)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import QuestionnaireResponse
from naltrack.domain.questionnaires import score_answers, score_response
from naltrack.domain.security.roles import AccessDenied
from naltrack.instruments.definitions import Instrument, get_instrument, instrument_ids
from naltrack.instruments.scoring import Score
from naltrack.services import patients as patient_cases
from naltrack.services import records as record_cases
from naltrack.services.records import NewRecord
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page
from naltrack.web.rendering import render

router = APIRouter()


def _patient(request: Request, user: WebUser, action: str) -> Any:
    if not user.may("questionnaires", action):
        raise AccessDenied(user.role, "questionnaires", action)
    web = web_of(request)
    return patient_cases.get_patient(web_of(request).ctx, actor_of(request, user), request.path_params["patient_id"],
                                     web.now())


def _instrument(request: Request) -> Instrument:
    try:
        return get_instrument(request.path_params["instrument"])
    except InvalidInput as error:
        from naltrack.domain.errors import NotFound

        raise NotFound("instrument", request.path_params["instrument"]) from error


@page(router, "/patients/{patient_id}/questionnaires")
def questionnaire_list(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    patient = _patient(request, user, "create")
    context = page_context(request, user, "Questionnaires", patient=patient,
                           instruments=[get_instrument(i) for i in instrument_ids()])
    return render(request, "pages/record.html", "partials/questionnaire_list.html", context)


def _answers(instrument: Instrument, state: FormState) -> list[float]:
    answers: list[float] = []
    for item in instrument.items:
        if item.is_continuous:
            value = state.number(item.link_id, float(item.low or 0), float(item.high or 0))
        else:
            allowed = tuple(f"{a:g}" for a in item.allowed)
            choice = state.choice(item.link_id, allowed)
            value = float(choice) if choice is not None else None
        answers.append(value if value is not None else float("nan"))
    return answers


@page(router, "/patients/{patient_id}/questionnaires/{instrument}", methods=("GET", "POST"))
def questionnaire(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    patient = _patient(request, user, "create")
    instrument = _instrument(request)
    state = FormState.from_form(form or {})
    result: Score | None = None
    status = 200
    if form is not None:
        answers = _answers(instrument, state)
        if state.ok:
            result = _score_and_save(request, user, patient, instrument, answers, state)
        status = 200 if result is not None else 422
    context = page_context(request, user, instrument.title, patient=patient, instrument=instrument, form=state,
                           result=result)
    return render(request, "pages/record.html", "partials/questionnaire.html", context, status_code=status)


def _score_and_save(request: Request, user: WebUser, patient: Any, instrument: Instrument, answers: list[float],
                    state: FormState) -> Score | None:
    web = web_of(request)
    try:
        result = score_answers(patient.sex_at_birth, instrument.id, answers)
    except InvalidInput as error:
        state.add_error("_form", f"{error.field}: {error.value!r} {error.rule}")
        return None

    def build(new: NewRecord) -> QuestionnaireResponse:
        return score_response(new.patient.sex_at_birth, instrument.id, answers, completed_at=new.recorded_at,
                              **new.fields)

    saved = record_cases.create_record(web_of(request).ctx, actor_of(request, user), "questionnaires", patient.id,
                                       build, web.now())
    state.values["saved_id"] = saved.id  # a PHQ-9 item 9 flag links the safety assessment to this response
    return result
