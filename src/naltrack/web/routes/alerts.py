"""Acknowledging an alert from the chart (services/acknowledgements.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from naltrack.domain.errors import InvalidInput
from naltrack.services.acknowledgements import acknowledge_alert
from naltrack.web.context import actor_of, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import message_page, page, redirect
from naltrack.web.rendering import is_htmx

router = APIRouter()


@page(router, "/patients/{patient_id}/alerts/acknowledge", methods=("POST",))
def acknowledge(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    state = FormState.from_form(form or {})
    pid = request.path_params["patient_id"]
    try:
        ack = acknowledge_alert(web_of(request).ctx, actor_of(request, user), pid, state.raw("rule"),
                                state.raw("subject"), web.now())
    except InvalidInput as error:
        return message_page(request, 422, "Not acknowledged", str(error))
    if is_htmx(request):
        when = ack.acknowledged_at.astimezone(web.zone(user)).strftime("%Y-%m-%d %H:%M")
        return HTMLResponse(f'<span class="muted ack">acknowledged by {escape(ack.acknowledged_by)}, {when}</span>')
    return redirect(request, f"/patients/{pid}#alerts")
