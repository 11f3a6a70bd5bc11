"""Rendering pages and partials.

An htmx request (header ``HX-Request: true``) gets only the partial that the page
includes; a normal request, and an htmx *history restore* (``HX-History-Restore-Request``,
sent when the browser's history cache misses and htmx needs the whole page back), gets
the full page. Responses say ``Vary: HX-Request`` so no cache mixes the two.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from naltrack.domain.care import APPOINTMENT_KIND_LABELS, APPOINTMENT_STATUS_LABELS
from naltrack.domain.rules.base import VERDICT_LABELS
from naltrack.instruments.definitions import band_label
from naltrack.instruments.scoring import FLAGS
from naltrack.web.clinical_text import plain_parts

TEMPLATES_DIR = Path(__file__).parent / "templates"

#: Text shown for each coverage band (DESIGN.md, "The central idea: coverage").
BAND_LABELS: dict[str, str] = {
    "protected": "Protected",
    "partial": "Partial",
    "waning": "Waning",
    "unprotected": "Unprotected",
    "unknown": "No data",
}


def is_htmx(request: Request) -> bool:
    """True for an htmx swap request, false for a full load or a history restore."""
    if request.headers.get("HX-History-Restore-Request") == "true":
        return False
    return request.headers.get("HX-Request") == "true"


def _date_formatter(tz: ZoneInfo | None) -> Callable[[date | datetime | None], str]:
    """Dates as ISO days; instants in the clinic's local time (clinical dates are local)."""

    def format_date(value: date | datetime | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            local = value.astimezone(tz) if tz is not None and value.tzinfo is not None else value
            return local.strftime("%Y-%m-%d %H:%M")
        return value.isoformat()

    return format_date


def _format_number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


def build_templates(tz: ZoneInfo | None = None) -> Jinja2Templates:
    """The Jinja2 environment of the web app (autoescaping on); times shown in ``tz``."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.autoescape = True
    env.filters["day"] = _date_formatter(tz)
    env.filters["num"] = _format_number
    env.globals["band_labels"] = BAND_LABELS
    env.globals["verdict_labels"] = VERDICT_LABELS  # a readiness verdict in words
    env.globals["visit_labels"] = APPOINTMENT_KIND_LABELS  # a visit's kind and status in words
    env.globals["visit_status_labels"] = APPOINTMENT_STATUS_LABELS
    env.globals["band_label"] = band_label  # a questionnaire's stored band in words
    env.globals["flags"] = FLAGS  # a score's flags: label, meaning, source
    env.globals["plain_parts"] = plain_parts  # clinical text without its provenance, which goes under "Why"
    env.globals["new_idempotency_key"] = lambda: secrets.token_urlsafe(18)  # a record form's hidden key
    return templates


def render(
    request: Request,
    page: str,
    partial: str,
    context: Mapping[str, object],
    status_code: int = 200,
    swap: str | None = None,
) -> HTMLResponse:
    """Render ``partial`` for an htmx swap, else the full ``page`` (which includes it).

    ``swap`` names a smaller partial for the htmx swap when the page's partial wraps it.
    """
    templates: Jinja2Templates = request.app.state.web_templates
    name = (swap or partial) if is_htmx(request) else page
    values = dict(context)
    values.setdefault("partial", partial)
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response
