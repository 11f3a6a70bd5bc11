"""The pre-dose check on the recording forms: what the check says before the dose, the review items to tick,
and a prescriber's override with its reason (:mod:`naltrack.domain.pre_dose`, :mod:`naltrack.services.doses`).

The form shows the check for the time entered (now, on a fresh form), computed by the domain from the chart
the form already read; the post runs the same check inside the write (:func:`naltrack.services.records.create_record`),
so what the page shows and what the write enforces cannot differ. A stopped dose comes back with its reasons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request

from naltrack.domain.chart import PatientChart
from naltrack.domain.dose_decisions import MAX_REASON_CHARS
from naltrack.domain.pre_dose import check_dose
from naltrack.domain.regimens import Form
from naltrack.services.doses import OVERRIDING_ROLES, DoseAuthorisation
from naltrack.web.context import WebUser, web_of
from naltrack.web.forms import FormState

#: Form fields of a confirmed review item: ``confirm__<finding key>``.
CONFIRM_PREFIX = "confirm__"
#: Plain-language names of the dose classes (domain/dose_classes.py).
DOSE_CLASS_LABELS = {"first": "First dose", "continuation": "Continuation", "late": "Late dose",
                     "restart": "Restart after a break"}


def pre_dose_view(request: Request, user: WebUser, chart: PatientChart, form: Form,
                  at: datetime | None) -> dict[str, Any]:
    """What the form shows of the check of a dose of ``form`` at ``at`` (now when not yet entered)."""
    if not user.may("clinical-views"):
        return {"pre_dose": None}
    web = web_of(request)
    when = at or web.now()
    check = check_dose(chart, form, when, web.zone(user), web.ctx.thresholds)
    return {"pre_dose": check, "dose_class_label": DOSE_CLASS_LABELS[check.dose_class.kind],
            "may_override": user.role in OVERRIDING_ROLES, "override_max": MAX_REASON_CHARS}


def authorisation_from(state: FormState, user: WebUser) -> DoseAuthorisation:
    """The review items ticked on the form and, from a prescriber, the override reason typed."""
    confirmed = frozenset(name[len(CONFIRM_PREFIX):] for name, value in state.values.items()
                          if name.startswith(CONFIRM_PREFIX) and value == "yes")
    reason = state.raw("override_reason") if user.role in OVERRIDING_ROLES else ""
    return DoseAuthorisation(confirmed=confirmed, override_reason=reason or None)
