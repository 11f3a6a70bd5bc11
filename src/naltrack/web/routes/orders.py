"""Naltrexone orders on the web: a prescriber orders a regimen (clinical.md §1), changes it or stops it.

Each form is a :class:`~naltrack.web.record_forms.RecordForm`. A new order goes through the record use case; a
change or a stop is a correction that supersedes the stored order (one audited transaction, the old order
entered-in-error). A stop is the same order with an end date and the reason in its note. Doses, schedules and
kind names come from :mod:`naltrack.domain.regimens`; the domain's errors come back next to their field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import INDICATION_LABELS, INDICATIONS
from naltrack.domain.errors import InvalidInput
from naltrack.domain.indications import has_oud
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import (
    FORM_OF_KIND,
    KIND_LABELS,
    ORAL_TEST_DOSE_MG,
    REGIMEN_KINDS,
    SCHEDULE_PRESETS,
    WEEKDAYS,
    Regimen,
    ScheduledDose,
    default_dose_mg,
)
from naltrack.domain.units import require_positive
from naltrack.web.context import WebUser, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page
from naltrack.web.record_forms import RecordForm, serve_correction_form, serve_record_form

router = APIRouter()

WEEKDAY_LABELS = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                          strict=True))
FIELDS = {"regimen.kind": "kind", "regimen.start": "start", "regimen.end": "end", "regimen.dose_mg": "dose_mg",
          "regimen.schedule": "schedule", "regimen.days_supply": "days_supply",
          "regimen.expected_duration_days": "expected_duration_days", "regimen.implant_product": "implant_product",
          "regimen.indication": "indication", "start": "start", "end": "end"}


def _back(patient_id: str, kind: str) -> str:
    return f"/patients/{patient_id}?recorded=order#orders"


def kind_asked(request: Request) -> str:
    """The kind a link asks for (``?kind=``), or the first kind of the form it names (``?form=``, as the readiness
    checklist does); XR-NTX every 4 weeks otherwise."""
    kind, form = request.query_params.get("kind", ""), request.query_params.get("form", "")
    if kind in REGIMEN_KINDS:
        return kind
    return next((k for k in REGIMEN_KINDS if FORM_OF_KIND[k] == form), "xr-ntx-q4w")


def _schedule_values(doses: tuple[ScheduledDose, ...]) -> dict[str, str]:
    return {f"dose_{d.weekday}": f"{d.dose_mg:g}" for d in doses}


def _new_defaults(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    kind, today = kind_asked(request), web_of(request).today(user)
    preset = next((p for p in SCHEDULE_PRESETS if p.id == request.query_params.get("preset")), SCHEDULE_PRESETS[0])
    dose = default_dose_mg(kind)
    episode = chart.active_episode_on(today)
    values: dict[str, Any] = {"kind": kind, "start": today.isoformat(), "dose_mg": f"{dose:g}" if dose else "",
                              "indication": episode.indication if episode else ""}
    if kind == "oral-schedule":
        values |= {**_schedule_values(preset.doses), "preset": preset.id}
    if kind in ("oral-daily", "oral-schedule") and has_oud(chart, today):
        values["induction_test_dose"] = "yes"
    return values


def _extra(mode: str) -> Callable[[Request, WebUser, PatientChart], dict[str, Any]]:
    def extra(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
        return {"mode": mode, "kinds": [(k, KIND_LABELS[k]) for k in REGIMEN_KINDS], "kind_labels": KIND_LABELS,
                "forms": FORM_OF_KIND, "presets": SCHEDULE_PRESETS, "weekdays": list(WEEKDAY_LABELS.items()),
                "test_dose_mg": ORAL_TEST_DOSE_MG, "indications": [(i, INDICATION_LABELS[i]) for i in INDICATIONS]}

    return extra


def _number(state: FormState, name: str, *, whole: bool = False) -> float | None:
    """An optional number as typed (its limits are the domain's); a word or a fraction where a whole number
    belongs is an error next to the field."""
    raw = state.raw(name)
    if not raw:
        return None
    try:
        value = float(int(raw)) if whole else float(raw)
    except ValueError:
        state.add_error(name, f"{raw!r} is not a {'whole ' if whole else ''}number")
        return None
    if not math.isfinite(value):
        state.add_error(name, f"{raw!r} is not a number")
        return None
    return value


def _checked(state: FormState, fields: Mapping[str, str], check: Callable[[], Any]) -> Any:
    """``check()``, or ``None`` with its domain error next to the field ``fields`` names."""
    try:
        return check()
    except InvalidInput as error:
        state.apply(error, fields)
        return None


def _schedule(state: FormState) -> tuple[ScheduledDose, ...]:
    """The weekday rows with a dose, each checked by the domain (its error next to its row)."""
    doses: list[ScheduledDose] = []
    for day in WEEKDAYS:
        mg = _number(state, f"dose_{day}")
        if mg is not None:
            dose = _checked(state, {"schedule.dose_mg": f"dose_{day}"}, partial(ScheduledDose, day, mg))
            doses += [dose] if dose is not None else []
    return tuple(doses)


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def _order_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    kind = state.choice("kind", REGIMEN_KINDS)
    dose = _number(state, "dose_mg")
    if dose is not None:
        _checked(state, FIELDS, partial(require_positive, "regimen.dose_mg", dose))
    form = FORM_OF_KIND.get(kind or "")
    return {"kind": kind, "start": state.day("start"), "dose_mg": dose or 0.0,
            "indication": state.choice("indication", INDICATIONS, required=False),
            "schedule": _schedule(state) if kind == "oral-schedule" else (),
            "implant_product": state.text("implant_product", required=False, max_length=100)
            if form == "implant" else None,
            "expected_duration_days": _whole(_number(state, "expected_duration_days", whole=True))
            if form == "implant" else None,
            "induction_test_dose": form == "oral" and kind != "targeted" and state.raw("induction_test_dose") == "yes",
            "days_supply": _whole(_number(state, "days_supply", whole=True)),
            "note": state.text("note", required=False, max_length=500), "prescriber": user.display_name}


ORDER = RecordForm(kind="regimens", record_type=Regimen, category="regimens", template="order_form",
                   title="Order naltrexone", parse=_order_parse, fields=FIELDS, defaults=_new_defaults,
                   extra=_extra("new"), back=_back)
CHANGE = RecordForm(kind="regimens", record_type=Regimen, category="regimens", template="order_form",
                    title="Change naltrexone order", parse=_order_parse, fields=FIELDS, extra=_extra("change"),
                    back=_back)


def _stop_parse(state: FormState, request: Request, user: WebUser) -> dict[str, Any]:
    reason = state.text("reason", max_length=200)
    return {"end": state.day("end"), "note": f"Stopped: {reason}" if reason else None}


STOP = RecordForm(kind="regimens", record_type=Regimen, category="regimens", template="order_form",
                  title="Stop naltrexone order", parse=_stop_parse, fields=FIELDS, extra=_extra("stop"), back=_back)


def order_values(record: ClinicalRecord) -> dict[str, Any]:
    """The form's values of a stored order (the change form starts from them)."""
    assert isinstance(record, Regimen)  # the form's kind is regimens
    return {"kind": record.kind, "start": record.start.isoformat(), "dose_mg": f"{record.dose_mg:g}",
            **_schedule_values(record.schedule), "implant_product": record.implant_product,
            "expected_duration_days": record.expected_duration_days,
            "induction_test_dose": "yes" if record.induction_test_dose else "", "days_supply": record.days_supply,
            "note": record.note, "indication": record.indication or ""}


@page(router, "/patients/{patient_id}/orders/new", methods=("GET", "POST"))
def new_order(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_record_form(request, form, ORDER)


@page(router, "/patients/{patient_id}/orders/{record_id}/change", methods=("GET", "POST"))
def change_order(request: Request, form: Mapping[str, Any] | None) -> Response:
    return serve_correction_form(request, form, CHANGE, order_values)


@page(router, "/patients/{patient_id}/orders/{record_id}/stop", methods=("GET", "POST"))
def stop_order(request: Request, form: Mapping[str, Any] | None) -> Response:
    today = web_of(request).today(require_user(request))
    return serve_correction_form(request, form, STOP, lambda record: {"end": today.isoformat(), "reason": ""})
