"""Intake: register a patient (with a phone number, optional) and, for a clinician, open the treatment episode.

Both records are built and checked before anything is stored, so a bad value saves neither. A
patient of the clinic with the same family name, first given name and birth date stops the
registration (409) with their names, birth dates, MRNs and charts, until the registrar ticks that
this is a different person. Only this form asks: the REST API's ``POST /patients`` registers what
an EHR integration sends, deliberately, without the check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.episodes import INDICATIONS, LEVELS_OF_CARE, Episode
from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import SEXES, Patient
from naltrack.domain.person_data import ContactPoint
from naltrack.domain.security.roles import AccessDenied
from naltrack.services import patients as patient_cases
from naltrack.services.security import new_id
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render

router = APIRouter()
FIELDS = {"patient.given_name": "given_name", "patient.family_name": "family_name", "patient.mrn": "mrn",
          "patient.birth_date": "birth_date", "patient.sex_at_birth": "sex_at_birth",
          "episode.indication": "indication", "episode.level_of_care": "level_of_care", "episode.start": "start",
          "telecom.value": "phone"}


def _form(request: Request, user: WebUser, state: FormState, status: int = 200,
          duplicates: tuple[Patient, ...] = ()) -> Response:
    context = page_context(request, user, "Intake", form=state, sexes=[(s, s) for s in SEXES],
                           indications=[(i, i) for i in INDICATIONS], levels=[(lv, lv) for lv in LEVELS_OF_CARE],
                           with_episode=user.may("episodes", "create"), duplicates=duplicates)
    return render(request, "pages/record.html", "partials/intake.html", context, status_code=status)


@page(router, "/patients/new", methods=("GET", "POST"))
def intake(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    if not user.may("demographics", "create"):
        raise AccessDenied(user.role, "demographics", "create")
    web = web_of(request)
    if form is None:
        return _form(request, user, FormState(values={"start": web.today(user).isoformat(), "indication": "OUD",
                                                      "level_of_care": "OP"}))
    state = FormState.from_form(form)
    values = {"given_name": state.text("given_name", max_length=100),
              "family_name": state.text("family_name", max_length=100), "birth_date": state.day("birth_date"),
              "sex_at_birth": state.choice("sex_at_birth", SEXES), "mrn": state.text("mrn", required=False,
                                                                                       max_length=64)}
    episode = None
    if user.may("episodes", "create"):
        episode = {"indication": state.choice("indication", INDICATIONS),
                   "level_of_care": state.choice("level_of_care", LEVELS_OF_CARE), "start": state.day("start")}
    if state.ok:
        try:
            return _register(request, user, state, values, episode)
        except InvalidInput as error:
            state.apply(error, FIELDS)
    return _form(request, user, state, 422)


def _register(request: Request, user: WebUser, state: FormState, values: dict[str, Any],
              episode: dict[str, Any] | None) -> Response:
    """Save, unless a patient of the clinic may be the same person and the registrar has not said otherwise."""
    phone = state.raw("phone")
    values["telecom"] = (ContactPoint("phone", phone, "mobile"),) if phone else ()
    if state.raw("different_person") != "yes":
        web = web_of(request)
        duplicates = patient_cases.find_possible_duplicates(
            web.ctx, actor_of(request, user), values["family_name"], values["given_name"], values["birth_date"],
            web.now())
        if duplicates:
            return _form(request, user, state, 409, duplicates)
    return _save(request, user, values, episode)


def _save(request: Request, user: WebUser, values: dict[str, Any], episode: dict[str, Any] | None) -> Response:
    """The patient and the first episode of care in one audited transaction: both, or neither."""
    web = web_of(request)

    def first_records(patient: Patient) -> list[Episode]:
        return [] if episode is None else [Episode(id=new_id(), patient_id=patient.id, **episode)]

    patient = patient_cases.register_patient(
        web_of(request).ctx, actor_of(request, user),
        lambda base: Patient(id=base["id"], clinic_id=base["clinic_id"], **values), web.now(),
        first_records=first_records)
    return redirect(request, f"/patients/{patient.id}")
