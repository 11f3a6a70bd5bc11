"""The program manager's page: the program's outcomes with filters, and the monthly report as PDF and CSV.

Every figure comes from one use case, :func:`naltrack.services.outcomes.program_outcomes` (role manager
or prescriber; the others get the 403 page through :data:`naltrack.web.pages.RESPONSES`). The page and
both downloads read the same filters from the query string; the downloads carry only the report rows,
where every count below the small-cell limit is already "fewer than 11".
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.analytics.report import ReportRow, write_csv
from naltrack.domain.errors import AccessDenied, InvalidInput
from naltrack.services.outcomes import OutcomeQuery, ProgramReport, program_outcomes, program_quality
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.outcome_filters import (
    FIELD_LABELS,
    FORM_CHOICES,
    INDICATION_CHOICES,
    Filters,
    ReportMonth,
    last_full_month,
    read_filters,
    read_month,
)
from naltrack.web.outcomes_view import build_view, quality_card, report_document
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render
from naltrack.web.report_pdf import render_report_pdf

router = APIRouter()
CATEGORY = "program-measures"


def _reader(request: Request) -> WebUser:
    """The signed-in user, if their role may read the program's measures (else the 403 page)."""
    user = require_user(request)
    if not user.may(CATEGORY):
        raise AccessDenied(user.role, CATEGORY, "read")
    return user


def _query(filters: Filters, as_of: date | None = None) -> OutcomeQuery:
    return OutcomeQuery(clinic_id=filters.clinic, form=filters.form, indication=filters.indication,
                        start=filters.start, end=filters.end, as_of=as_of)


def _report(request: Request, user: WebUser, month: ReportMonth | None = None) -> tuple[ProgramReport, Filters]:
    """The program's report for the query string's filters; a filter the use case refuses (a clinic the program
    does not have) is named on its field and left out."""
    web = web_of(request)
    filters = read_filters(request.query_params, web.today(user))
    as_of = month.last_day if month is not None and month.last_day < web.today(user) else None
    try:
        return program_outcomes(web.ctx, actor_of(request, user), _query(filters, as_of), web.now()), filters
    except InvalidInput as error:
        if not filters.refuse(error):
            raise
    return program_outcomes(web.ctx, actor_of(request, user), _query(filters, as_of), web.now()), filters


def _quality_rows(request: Request, user: WebUser, filters: Filters, as_of: date | None) -> list[ReportRow]:
    """HEDIS POD's and IET's aggregate rows (one more read of the program: the page loads them apart)."""
    web = web_of(request)
    return list(program_quality(web.ctx, actor_of(request, user), _query(filters, as_of), web.now()))


def _page(request: Request, user: WebUser, report: ProgramReport, filters: Filters, month_value: str,
          month_error: str | None = None) -> Response:
    status = 422 if filters.errors or month_error else 200
    view = build_view(report, filters)
    context = page_context(request, user, "Program outcomes", view=view, filters=filters, field_labels=FIELD_LABELS,
                           form_choices=FORM_CHOICES, indication_choices=INDICATION_CHOICES,
                           month_value=month_value, month_error=month_error)
    return render(request, "pages/outcomes.html", "partials/outcomes.html", context, status_code=status)


@page(router, "/outcomes")
def outcomes(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = _reader(request)
    report, filters = _report(request, user)
    return _page(request, user, report, filters, last_full_month(web_of(request).today(user)).key)


def _download(request: Request, kind: str) -> Response:
    """The monthly report as ``kind`` (``pdf`` or ``csv``); a bad month or filter redraws the page with it named."""
    user = _reader(request)
    raw_month = request.query_params.get("month", "")
    month, month_error = read_month(raw_month, web_of(request).today(user))
    report, filters = _report(request, user, month)
    if month is None or filters.errors:
        return _page(request, user, report, filters, raw_month, month_error)
    rows = [*report.rows, *_quality_rows(request, user, filters, report.query.as_of)]
    if kind == "csv":
        buffer = io.StringIO()
        write_csv(rows, buffer)
        body, media = buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8"
    else:
        document = report_document(report, rows, filters, month, web_of(request).settings.program_name)
        body, media = render_report_pdf(document), "application/pdf"
    attachment = f'attachment; filename="program-report-{month.key}.{kind}"'
    return Response(body, media_type=media, headers={"Content-Disposition": attachment, "Cache-Control": "no-store"})


@page(router, "/outcomes/report.pdf")
def report_pdf(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _download(request, "pdf")


@page(router, "/outcomes/report.csv")
def report_csv(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _download(request, "csv")


@page(router, "/outcomes/quality")
def quality(request: Request, form: Mapping[str, Any] | None) -> Response:
    """HEDIS POD and IET for the page's filters: the page loads this card after itself (or links to it)."""
    user = _reader(request)
    filters = read_filters(request.query_params, web_of(request).today(user))
    if filters.errors:
        return redirect(request, f"/outcomes?{request.url.query}")
    card = quality_card(_quality_rows(request, user, filters, None), web_of(request).ctx.definitions)
    context = page_context(request, user, "HEDIS POD and IET", section=card, back=f"/outcomes?{request.url.query}")
    return render(request, "pages/record.html", "partials/outcomes_quality_page.html", context,
                  swap="partials/outcomes_card.html")
