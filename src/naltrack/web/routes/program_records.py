"""The program around the medication, recorded on the web: a week of the drinking diary (one batch, all or nothing)
and an episode of care with its level of care, opened here and changed or closed as a correction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.chart import PatientChart
from naltrack.domain.drinking import WEEK_DAYS, heavy_drinking_from
from naltrack.domain.episodes import DISCHARGE_REASONS, INDICATION_LABELS, INDICATIONS, LEVELS_OF_CARE, Episode
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import DrinkingDay
from naltrack.domain.records import ClinicalRecord
from naltrack.services import records as record_cases
from naltrack.services.security import new_id
from naltrack.web.context import WebUser, actor_of, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.idempotency import create_once
from naltrack.web.pages import page, redirect
from naltrack.web.record_forms import RecordForm, chart_page, serve_correction_form, serve_record_form
from naltrack.web.routes.recording import chart_for, form_page

router = APIRouter()

LEVEL_LABELS = {"PHP": "Partial hospitalization (PHP)", "IOP": "Intensive outpatient (IOP)",
                "OP": "Outpatient (OP)", "aftercare": "Aftercare"}


# --- drinking diary ---------------------------------------------------------------------------

def _week(ending: date) -> list[date]:
    return [ending - timedelta(days=n) for n in range(WEEK_DAYS - 1, -1, -1)]


def _day_field(day: date) -> str:
    return f"drinks_{day.isoformat()}"


def _ending(request: Request, user: WebUser, state: FormState) -> date | None:
    """The last day of the week shown: the chosen one, at most today; yesterday by default."""
    today = web_of(request).today(user)
    if not state.raw("ending"):
        state.values["ending"] = (today - timedelta(days=1)).isoformat()
    ending = state.day("ending")
    if ending is not None and ending > today:
        state.add_error("ending", f"{ending.isoformat()} is after today ({today.isoformat()})")
        return None
    return ending


def _diary_page(request: Request, user: WebUser, chart: PatientChart, state: FormState, ending: date | None,
                status: int = 200) -> Response:
    heavy = heavy_drinking_from(chart.patient.sex_at_birth, web_of(request).ctx.thresholds)
    days = [(day, _day_field(day)) for day in _week(ending)] if ending else []
    return form_page(request, user, chart, "drinking_diary_form", "Drinking diary", state, status, days=days,
                     heavy=heavy)


def _diary_days(state: FormState, patient_id: str, ending: date) -> list[ClinicalRecord]:
    """The week's reported days as records; a bad day gets its error next to its field."""
    records: list[ClinicalRecord] = []
    for day in _week(ending):
        name = _day_field(day)
        raw = state.raw(name)
        if not raw:
            continue
        try:
            records.append(DrinkingDay(id=new_id(), patient_id=patient_id, day=day, standard_drinks=float(raw)))
        except ValueError:
            state.add_error(name, f"{raw!r} is not a number of standard drinks")
        except InvalidInput as error:
            state.add_error(name, f"{raw} {error.rule}")
    if not records and state.ok:
        state.add_error("_form", "no day has a number: enter 0 for a day without alcohol; leave blank a day not "
                                 "reported")
    return records


@page(router, "/patients/{patient_id}/drinking-diary/new", methods=("GET", "POST"))
def drinking_diary(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "substance-use")
    state = FormState.from_form(form) if form is not None else FormState(
        values={"ending": request.query_params.get("ending", "").strip()[:10]})
    ending = _ending(request, user, state)
    if form is None:
        return _diary_page(request, user, chart, state, ending, 200 if state.ok else 422)
    records = _diary_days(state, chart.patient.id, ending) if ending else []
    if state.ok:
        web = web_of(request)
        try:
            create_once(request, user, state, lambda ctx: record_cases.create_records(
                ctx, actor_of(request, user), records, web.now()))
            return redirect(request, chart_page(chart.patient.id, "drinking_days"))
        except InvalidInput as error:
            state.apply(error, {})
    return _diary_page(request, user, chart, state, ending, 422)


# --- episodes of care -------------------------------------------------------------------------

EPISODE_FIELDS = {"episode.indication": "indication", "episode.level_of_care": "level_of_care",
                  "episode.end": "end", "episode.discharge_reason": "discharge_reason", "start": "start",
                  "episode.referral_source": "referral_source"}


def _episode_defaults(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    return {"indication": "OUD", "level_of_care": "OP", "start": web_of(request).today(user).isoformat()}


def _episode_extra(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    return {"indications": [(i, INDICATION_LABELS[i]) for i in INDICATIONS],
            "levels": [(v, LEVEL_LABELS[v]) for v in LEVELS_OF_CARE],
            "reasons": [(r, r.replace("-", " ")) for r in DISCHARGE_REASONS],
            "open_episode": chart.active_episode_on(web_of(request).today(user))}


def _episode_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    return {"indication": state.choice("indication", INDICATIONS),
            "level_of_care": state.choice("level_of_care", LEVELS_OF_CARE), "start": state.day("start"),
            "referral_source": state.text("referral_source", required=False, max_length=200),
            "end": state.day("end", required=False),
            "discharge_reason": state.choice("discharge_reason", DISCHARGE_REASONS, required=False)}


EPISODE = RecordForm(kind="episodes", record_type=Episode, category="episodes", template="episode_form",
                     title="Episode of care", parse=_episode_parse, fields=EPISODE_FIELDS,
                     defaults=_episode_defaults, extra=_episode_extra)


def _episode_now(record: ClinicalRecord) -> dict[str, Any]:
    assert isinstance(record, Episode)  # noqa: S101  (the form's kind is episodes)
    return {"indication": record.indication, "level_of_care": record.level_of_care, "start": record.start,
            "end": record.end, "discharge_reason": record.discharge_reason, "referral_source": record.referral_source}


@page(router, "/patients/{patient_id}/episodes/new", methods=("GET", "POST"))
def open_episode(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_record_form(request, form, EPISODE)


@page(router, "/patients/{patient_id}/episodes/{record_id}/edit", methods=("GET", "POST"))
def change_episode(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_correction_form(request, form, EPISODE, _episode_now)
