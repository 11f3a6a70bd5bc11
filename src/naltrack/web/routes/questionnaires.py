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
from naltrack.instruments.scoring import FLAGS, Score
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


def _answers(instrument: Instrument, state: FormState) -> list[float | None]:
    """The points of each answer; an item the form skips (BAM item 5 after 0 days of alcohol) may be left out
    (``None``). A required answer missing or not allowed is an error on its field (and ``nan`` here)."""
    answers: list[float | None] = []
    for item in instrument.items:
        skipped = item.skipped_when is not None and _chosen(answers, instrument, item.skipped_when[0]) == \
            item.skipped_when[1]
        if item.is_continuous:
            value = state.number(item.link_id, float(item.low or 0), float(item.high or 0))
        else:
            allowed = tuple(f"{a:g}" for a in item.allowed)
            choice = state.choice(item.link_id, allowed, required=not skipped)
            value = float(choice) if choice is not None else None
        answers.append(value if value is not None or skipped else float("nan"))
    return answers


def _chosen(answers: list[float | None], instrument: Instrument, link_id: str) -> float | None:
    index = next(n for n, item in enumerate(instrument.items) if item.link_id == link_id)
    return answers[index] if index < len(answers) else None


def skip_hints(instrument: Instrument) -> dict[str, str]:
    """What the form says beside an item it skips: when to leave it out (BAM item 5: after item 4 "0 days")."""
    numbers = {item.link_id: item.number or str(n) for n, item in enumerate(instrument.items, start=1)}
    hints = {}
    for item in instrument.items:
        if item.skipped_when is not None:
            asked = next(i for i in instrument.items if i.link_id == item.skipped_when[0])
            answer = asked.option_labels[asked.allowed.index(item.skipped_when[1])]
            hints[item.link_id] = f"Leave out when item {numbers[asked.link_id]} is “{answer}”."
    return hints


def subscale_lines(instrument: Instrument, result: Score) -> list[dict[str, Any]]:
    """Each subscale of a scored response in words: label, score, highest score and, where it is clinically
    significant, what its flag means."""
    scores = dict(result.subscales)
    return [{"name": sub.name, "label": sub.label, "value": scores[sub.name], "max": instrument.subscale_max(sub),
             "concern": FLAGS[sub.flag].meaning if sub.flag in result.flags else None}
            for sub in instrument.subscales]


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
                           result=result, subscales=subscale_lines(instrument, result) if result else [],
                           subscale_flags={sub.flag for sub in instrument.subscales}, hints=skip_hints(instrument))
    return render(request, "pages/record.html", "partials/questionnaire.html", context, status_code=status)


def _score_and_save(request: Request, user: WebUser, patient: Any, instrument: Instrument, answers: list[float | None],
                    state: FormState) -> Score | None:
    web = web_of(request)
    try:
        result = score_answers(patient.sex_at_birth, instrument.id, answers)
    except InvalidInput as error:  # an answer the instrument refuses (a skipped item answered): on its field
        field = next((item.link_id for item in instrument.items
                      if str(error.field).startswith(f"{instrument.id}.{item.link_id} ")), "_form")
        state.add_error(field, f"{error.value!r} {error.rule}" if field != "_form" else
                        f"{error.field}: {error.value!r} {error.rule}")
        return None

    def build(new: NewRecord) -> QuestionnaireResponse:
        return score_response(new.patient.sex_at_birth, instrument.id, answers, completed_at=new.recorded_at,
                              **new.fields)

    saved = record_cases.create_record(web_of(request).ctx, actor_of(request, user), "questionnaires", patient.id,
                                       build, web.now())
    state.values["saved_id"] = saved.id  # a PHQ-9 item 9 flag links the safety assessment to this response
    return result
