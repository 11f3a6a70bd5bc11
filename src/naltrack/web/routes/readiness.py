"""The induction readiness checklist: every reason and the earliest date (domain/rules/readiness.py), on the
clinic's today (services/clinical_views.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.services import clinical_views
from naltrack.web.context import actor_of, page_context, require_user, web_of
from naltrack.web.pages import page
from naltrack.web.rendering import render

router = APIRouter()
FORMS = (("xr-ntx", "XR-NTX injection"), ("oral", "Oral tablets"), ("implant", "Implant"))
#: The form that records what a readiness reason reads: (label, path under the patient, category written).
RECORD_FOR_RULE: dict[str, tuple[str, str, str]] = {
    "RDY-UDS-MISSING": ("Record a urine screen", "screens/new", "urine-screens"),
    "RDY-UDS-POSITIVE": ("Record a urine screen", "screens/new", "urine-screens"),
    "RDY-OPIOID-FREE": ("Record last use", "substance-use/new", "substance-use"),
    "RDY-PREGNANCY": ("Record pregnancy status", "pregnancy", "clinical-views"),
    "RDY-HYPERSENSITIVITY": ("Record an allergy", "allergies/new", "allergies"),
    "RDY-LIVER-ULN": ("Record a lab result", "labs/new", "labs"),
    "RDY-HEPATITIS": ("Record a lab result", "labs/new", "labs"),
    "RDY-NALOXONE-CHALLENGE": ("Record a naloxone challenge", "naloxone-challenges/new", "labs"),
    "RDY-OPIOID-RX": ("Record a medication", "medications/new", "medications"),
    "RDY-AGONIST-TREATMENT": ("Record a medication", "medications/new", "medications"),
    "RDY-DISULFIRAM": ("Record a medication", "medications/new", "medications"),
    "RDY-DUPLICATE-NALTREXONE": ("Record a medication", "medications/new", "medications"),
    "RDY-INDICATION": ("Record a diagnosis", "diagnoses/new", "diagnoses"),
    "RDY-WITHDRAWAL": ("Score COWS", "questionnaires/cows", "questionnaires"),
    "RDY-AUD-DRINKING": ("Record a drinking week", "drinking-diary/new", "substance-use"),
}


def record_links(patient_id: str, may: Callable[[str, str], bool]) -> dict[str, tuple[str, str]]:
    """Each rule's form as (label, href), for the forms the user may use (``may(category, action)``)."""
    return {rule: (label, f"/patients/{patient_id}/{suffix}") for rule, (label, suffix, category)
            in RECORD_FOR_RULE.items() if may(category, "read" if category == "clinical-views" else "create")}


@page(router, "/patients/{patient_id}/readiness")
def readiness(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    chosen = request.query_params.get("form", "xr-ntx")
    if chosen not in dict(FORMS):
        chosen = "xr-ntx"
    found = clinical_views.patient_readiness(web_of(request).ctx, actor_of(request, user),
                                             request.path_params["patient_id"], web.now(), chosen)  # type: ignore[arg-type]
    patient, result = found.patient, found.result
    context = page_context(request, user, "Readiness", patient=patient, result=result, forms=FORMS, chosen=chosen,
                           ordered=found.ordered,
                           record_links=record_links(patient.id, user.may))
    return render(request, "pages/record.html", "partials/readiness.html", context)
