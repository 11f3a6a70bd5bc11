"""One way to serve a form that records (or corrects) one clinical record.

A form is described by a :class:`RecordForm`: the record kind and class, the category it writes, its
template and title, the first values, how the posted fields parse, and where to go once saved. The
handler itself is :func:`serve_record_form` (a new record, through
:func:`naltrack.services.records.create_record`) or :func:`serve_correction_form` (a correction of a stored
record, through :func:`naltrack.services.records.correct_record`): both parse the whole form first, store
in one audited transaction, and redraw the form with the entered values and each error beside its field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import InvalidInput
from naltrack.domain.records import ClinicalRecord
from naltrack.errors import NotFound, StaleVersion
from naltrack.services import records as record_cases
from naltrack.services.records import NewRecord
from naltrack.web.context import WebUser, actor_of, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.idempotency import create_once
from naltrack.web.pages import redirect
from naltrack.web.routes.recording import base_fields, chart_for, form_page, save_record

#: First values of a new form, from the request, the user and the chart.
Defaults = Callable[[Request, WebUser, PatientChart], dict[str, Any]]
#: Parsed record fields from the posted form; errors go into the state.
Parser = Callable[[FormState, Request, WebUser], dict[str, Any]]
#: Extra template values (choices, labels, the chart's own facts).
Extra = Callable[[Request, WebUser, PatientChart], dict[str, Any]]


def _nothing(request: Request, user: WebUser, chart: PatientChart) -> dict[str, Any]:
    return {}


def chart_page(patient_id: str, kind: str) -> str:
    """Back to the chart, saying what was recorded."""
    return f"/patients/{patient_id}?recorded={kind}"


@dataclass(frozen=True)
class RecordForm:
    """What a record form is: kind, class, category written, template, title, parsing and destination."""

    kind: str
    record_type: type[ClinicalRecord]
    category: str
    template: str
    title: str
    parse: Parser
    fields: Mapping[str, str]
    defaults: Defaults = _nothing
    extra: Extra = _nothing
    back: Callable[[str, str], str] = chart_page
    #: Fields of a posted form that also apply to the record (beyond ``parse``), e.g. a fixed flag.
    fixed: Mapping[str, Any] = field(default_factory=dict)


def serve_record_form(request: Request, form: Mapping[str, Any] | None, spec: RecordForm) -> Response:
    """GET draws the empty form; POST records one new record or redraws the form with its errors (422)."""
    user = require_user(request)
    chart = chart_for(request, user, spec.category)
    extra = spec.extra(request, user, chart)
    if form is None:
        state = FormState(values={k: str(v) for k, v in spec.defaults(request, user, chart).items()})
        return form_page(request, user, chart, spec.template, spec.title, state, **extra)
    state = FormState.from_form(form)
    values = {**spec.parse(state, request, user), **spec.fixed}
    if state.ok:
        def build(base: NewRecord) -> ClinicalRecord:
            return spec.record_type(**base_fields(base), **values)

        if save_record(request, user, state, spec.kind, build, spec.fields) is not None:
            return redirect(request, spec.back(chart.patient.id, spec.kind))
    return form_page(request, user, chart, spec.template, spec.title, state, 422, **extra)


def stored_record(request: Request, user: WebUser, kind: str, record_id: str, patient_id: str) -> ClinicalRecord:
    """The record a correction form changes; one of another patient is not found here."""
    web = web_of(request)
    record = record_cases.get_record(web.ctx, actor_of(request, user), kind, record_id, web.now())
    if record.patient_id != patient_id:
        raise NotFound("record", record_id)
    return record


def serve_correction_form(request: Request, form: Mapping[str, Any] | None, spec: RecordForm,
                          current: Callable[[ClinicalRecord], dict[str, Any]]) -> Response:
    """GET draws the form filled from the stored record (``current``); POST stores the correction: the record
    with the parsed fields replaced, superseding the stored version. A stale version redraws with a notice."""
    user = require_user(request)
    chart = chart_for(request, user, spec.category, "update")
    record = stored_record(request, user, spec.kind, request.path_params["record_id"], chart.patient.id)
    extra = {**spec.extra(request, user, chart), "record": record}
    if form is None:
        values = {k: "" if v is None else str(v) for k, v in current(record).items()}
        state = FormState(values={**values, "version": str(record.version)})
        return form_page(request, user, chart, spec.template, spec.title, state, **extra)
    state = FormState.from_form(form)
    values = {**spec.parse(state, request, user), **spec.fixed}
    version = state.version()
    if version is None:
        state.notice = "Not saved: the form does not say which version of the record it changes. Reload it."
    if state.ok and version is not None:
        web = web_of(request)

        def build(base: NewRecord) -> ClinicalRecord:
            changes: dict[str, Any] = {**base_fields(base), **values, "version": 1}
            return replace(record, **changes)

        try:
            create_once(request, user, state, lambda ctx: record_cases.correct_record(
                ctx, actor_of(request, user), spec.kind, record.id, version, build, web.now()))
            return redirect(request, spec.back(chart.patient.id, spec.kind))
        except InvalidInput as error:
            state.apply(error, spec.fields)
        except StaleVersion:
            state.notice = "Not saved: someone changed this record meanwhile. Reload it to see their change."
    return form_page(request, user, chart, spec.template, spec.title, state, 422, **extra)
