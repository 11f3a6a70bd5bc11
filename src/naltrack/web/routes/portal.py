"""The patient portal's pages (mobile first): home, diary, side effects, questionnaires, disclosures, learning.

Each handler takes the signed-in patient (:func:`~naltrack.web.routes.portal_auth.require_patient`),
parses the form, calls one use case of ``services/portal.py`` and renders a template of
``templates/portal/``. No route takes a patient id: the use cases work on the principal's own patient.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import CRAVING_MAX
from naltrack.domain.side_effects import SEVERITIES, SEVERITY_LABELS, SIDE_EFFECT_KINDS, SIDE_EFFECT_LABELS
from naltrack.instruments.definitions import Instrument
from naltrack.services import portal as portal_cases
from naltrack.web.context import web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import redirect
from naltrack.web.portal_education import TOPICS, find_topic
from naltrack.web.routes.portal_auth import portal_page, portal_render, require_patient

router = APIRouter()
#: Whether the wallet card PDF is served (``routes/portal_documents.py``, registered beside this module).
WALLET_CARD = True
#: The item of the PHQ-9 whose answer above 0 shows the crisis resources (the instrument's flag says which).
CRISIS_FLAG = "item-9-positive"


def _page(request: Request, template: str, title: str, status: int = 200, **values: Any) -> Response:
    return portal_render(request, template, status, title=title, signed_in=True, **values)


@portal_page(router, "/portal")
def home(request: Request, form: Mapping[str, Any] | None) -> Response:
    actor = require_patient(request)
    web = web_of(request)
    view = portal_cases.get_home(web.ctx, actor, web.now())
    return _page(request, "home.html", "Home", home=view, saved=request.query_params.get("saved"),
                 wallet_card=WALLET_CARD)


def _diary_page(request: Request, form: FormState, status: int = 200) -> Response:
    actor = require_patient(request)
    web = web_of(request)
    diary_view = portal_cases.get_diary(web.ctx, actor, web.now())
    form.values.setdefault("day", diary_view.today.isoformat())
    return _page(request, "diary.html", "Drinking and craving diary", status, form=form, days=diary_view.days,
                 craving_max=CRAVING_MAX, cravings=range(CRAVING_MAX + 1))


@portal_page(router, "/portal/diary")
def diary(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _diary_page(request, FormState())


def _drinks(state: FormState) -> float | None:
    raw = state.raw("standard_drinks")
    if not raw:
        state.add_error("standard_drinks", "is required: enter 0 if you did not drink")
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        state.add_error("standard_drinks", "must be a number, such as 0, 2 or 3.5")
        return None
    return value


@portal_page(router, "/portal/diary", methods=("POST",))
def diary_submit(request: Request, form: Mapping[str, Any] | None) -> Response:
    actor = require_patient(request)
    state = FormState.from_form(form or {})
    day = state.day("day")
    drinks = _drinks(state)
    craving_raw = state.raw("craving")
    craving = int(craving_raw) if craving_raw.lstrip("-").isdigit() else None
    if craving_raw and craving is None:
        state.add_error("craving", f"must be a whole number from 0 to {CRAVING_MAX}")
    if state.ok and day is not None and drinks is not None:
        web = web_of(request)
        try:
            portal_cases.record_diary_day(web.ctx, actor, day, drinks, craving, web.now())
        except InvalidInput as error:
            name = str(error.field).rsplit(".", 1)[-1]
            state.add_error(name if name in ("day", "standard_drinks", "craving") else "_form", error.rule)
        else:
            return redirect(request, "/portal/diary?saved=1")
    return _diary_page(request, state, 422)


def _side_effects_page(request: Request, form: FormState, status: int = 200, saved: Any = None) -> Response:
    require_patient(request)
    kinds = [(k, SIDE_EFFECT_LABELS[k]) for k in SIDE_EFFECT_KINDS]
    severities = [(s, SEVERITY_LABELS[s]) for s in SEVERITIES]
    return _page(request, "side_effects.html", "Report a side effect", status, form=form, kinds=kinds,
                 severities=severities, saved=saved)


@portal_page(router, "/portal/side-effects")
def side_effects(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _side_effects_page(request, FormState())


@portal_page(router, "/portal/side-effects", methods=("POST",))
def side_effect_submit(request: Request, form: Mapping[str, Any] | None) -> Response:
    actor = require_patient(request)
    state = FormState.from_form(form or {})
    kind = state.choice("kind", SIDE_EFFECT_KINDS)
    severity = state.choice("severity", SEVERITIES)
    if state.ok and kind is not None and severity is not None:
        web = web_of(request)
        try:
            report = portal_cases.report_side_effect(web.ctx, actor, kind, severity, state.raw("other_text"),
                                                     web.now())
        except InvalidInput as error:
            state.add_error("other_text" if "other_text" in str(error.field) else "_form", error.rule)
        else:
            return _side_effects_page(request, FormState(), saved=report)
    return _side_effects_page(request, state, 422)


def _answers(instrument: Instrument, state: FormState) -> list[float | None]:
    """The points of each answer, as chosen; a missing answer is an error on its question."""
    answers: list[float | None] = []
    for item in instrument.items:
        allowed = tuple(f"{a:g}" for a in item.allowed)
        required = item.skipped_when is None
        choice = state.choice(item.link_id, allowed, required=required)
        answers.append(float(choice) if choice is not None else None)
    return answers


@portal_page(router, "/portal/questionnaires/{assignment_id}", methods=("GET", "POST"))
def questionnaire(request: Request, form: Mapping[str, Any] | None) -> Response:
    actor = require_patient(request)
    web = web_of(request)
    assignment, instrument = portal_cases.get_assignment(web.ctx, actor, request.path_params["assignment_id"],
                                                         web.now())
    state = FormState.from_form(form or {})
    done: portal_cases.Completed | None = None
    if form is not None and assignment.completed_at is None:
        answers = _answers(instrument, state)
        if state.ok:
            try:
                done = portal_cases.complete_assignment(web.ctx, actor, assignment.id, answers, web.now())
            except InvalidInput as error:
                state.add_error("_form", error.rule)
    crisis = done is not None and CRISIS_FLAG in done.score.flags
    status = 422 if form is not None and done is None and assignment.completed_at is None else 200
    options = {item.link_id: [(f"{a:g}", label) for a, label in zip(item.allowed, item.option_labels, strict=True)]
               for item in instrument.items}
    return _page(request, "questionnaire.html", instrument.title, status, instrument=instrument,
                 assignment=assignment, form=state, done=done, crisis=crisis, options=options)


@portal_page(router, "/portal/disclosures")
def disclosures(request: Request, form: Mapping[str, Any] | None) -> Response:
    actor = require_patient(request)
    web = web_of(request)
    listed = sorted(portal_cases.get_disclosures(web.ctx, actor, web.now()), key=lambda d: d.disclosed_at,
                    reverse=True)
    return _page(request, "disclosures.html", "Who your records were shared with", disclosures=listed)


@portal_page(router, "/portal/learn")
def learn(request: Request, form: Mapping[str, Any] | None) -> Response:
    require_patient(request)
    return _page(request, "learn.html", "Learn about your treatment", topics=TOPICS)


@portal_page(router, "/portal/learn/{topic}")
def learn_topic(request: Request, form: Mapping[str, Any] | None) -> Response:
    require_patient(request)
    topic = find_topic(request.path_params["topic"])
    return _page(request, "learn_topic.html", topic.title, topic=topic, topics=TOPICS)
