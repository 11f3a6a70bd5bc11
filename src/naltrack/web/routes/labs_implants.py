"""Recording a lab result (liver tests as multiples of ULN) and an implant insertion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.administrations import ImplantInsertion
from naltrack.domain.observations import LIVER_LOINC, PLATELETS_LOINC, LabResult
from naltrack.domain.regimens import IMPLANT_MAX_DOSE_MG
from naltrack.services.records import NewRecord
from naltrack.web.context import require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.pre_dose import pre_dose_view
from naltrack.web.routes.recording import base_fields, chart_for, form_page, local_now, save_record

router = APIRouter()
#: Tests the form offers: LOINC -> (name, unit, usual upper limit of normal as a starting value).
LAB_TESTS: dict[str, tuple[str, str]] = {**{code: (name, "mg/dL" if code == "1975-2" else "U/L")
                                            for code, name in LIVER_LOINC.items()},
                                         PLATELETS_LOINC: ("Platelets", "10*3/uL")}
LAB_FIELDS = {"lab.value": "value", "lab.reference_high": "reference_high", "lab.collected_at": "collected_at",
              "lab.loinc": "loinc", "collected_at": "collected_at", "lab.unit": "loinc"}
IMPLANT_FIELDS = {"implant.dose_mg": "dose_mg", "implant.product": "product", "implant.inserted_at": "inserted_at",
                  "implant.inserted_by": "inserted_by", "implant.expected_duration_days": "expected_duration_days",
                  "inserted_at": "inserted_at"}


@page(router, "/patients/{patient_id}/labs/new", methods=("GET", "POST"))
def lab(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "labs")
    tests = [(code, f"{name} ({unit})") for code, (name, unit) in LAB_TESTS.items()]
    if form is None:
        state = FormState(values={"loinc": "1742-6", "collected_at": local_now(request, user)})
        return form_page(request, user, chart, "lab_form", "Record a lab result", state, tests=tests)
    state = FormState.from_form(form)
    code = state.choice("loinc", tuple(LAB_TESTS))
    values: dict[str, Any] = {
        "value": state.number("value", 0, 100_000), "reference_high": state.number("reference_high", 0.001, 100_000,
                                                                                    required=False),
        "collected_at": state.moment("collected_at", web_of(request).zone(user)),
    }
    if state.ok and code is not None:
        name, unit = LAB_TESTS[code]

        def build(base: NewRecord) -> LabResult:
            return LabResult(**base_fields(base), **values, loinc=code, name=name, unit=unit)

        if save_record(request, user, state, "labs", build, LAB_FIELDS) is not None:
            return redirect(request, f"/patients/{chart.patient.id}?recorded=lab")
    return form_page(request, user, chart, "lab_form", "Record a lab result", state, 422, tests=tests)


@page(router, "/patients/{patient_id}/implants/new", methods=("GET", "POST"))
def implant(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "administrations")
    if form is None:
        state = FormState(values={"inserted_at": local_now(request, user), "inserted_by": user.user.username,
                                  "site": "lower abdomen"})
        return form_page(request, user, chart, "implant_form", "Record an implant", state, max_mg=IMPLANT_MAX_DOSE_MG,
                         **pre_dose_view(request, user, chart, "implant", None))
    state = FormState.from_form(form)
    days = state.number("expected_duration_days", 14, 365, "days", required=False)
    values: dict[str, Any] = {
        "dose_mg": state.number("dose_mg", 1, IMPLANT_MAX_DOSE_MG, "mg"), "product": state.text("product"),
        "inserted_at": state.moment("inserted_at", web_of(request).zone(user)),
        "inserted_by": state.text("inserted_by", max_length=100),
        "lot": state.text("lot", required=False, max_length=40),
        "site": state.text("site", max_length=100), "expected_duration_days": int(days) if days else None,
    }
    if state.ok:
        def build(base: NewRecord) -> ImplantInsertion:
            return ImplantInsertion(**base_fields(base), **values)

        if save_record(request, user, state, "implants", build, IMPLANT_FIELDS) is not None:
            return redirect(request, f"/patients/{chart.patient.id}?recorded=implant")
    check = pre_dose_view(request, user, chart, "implant", values["inserted_at"])
    return form_page(request, user, chart, "implant_form", "Record an implant", state, 409 if state.notice else 422,
                     max_mg=IMPLANT_MAX_DOSE_MG, **check)
