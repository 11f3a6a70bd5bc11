"""Patient contact and reminders on the web (docs/reminders.md).

- ``/patients/{id}/contact``: consent to reminders per channel (record, withdraw), the reminders sent and the
  replies received, and the calendar link (issue: shown once; revoke). Staff pages, CSRF-checked posts.
- ``POST /reminders/sms/inbound``: the SMS gateway's inbound replies, authenticated by the shared secret of
  the settings in ``X-Gateway-Secret`` (anything else: problem+json 401; no secret configured: 503).
- ``GET /calendar/{token}.ics``: a patient's calendar, neutral words only; unknown or revoked token: 404.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from naltrack.api.errors import problem
from naltrack.config import Settings
from naltrack.domain.errors import InvalidInput, NotFound
from naltrack.domain.reminders import CHANNELS
from naltrack.services import reminders as cases
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page
from naltrack.web.rendering import render

router = APIRouter()

CHANNEL_LABELS = {"email": "E-mail", "sms": "Text message (SMS)"}
#: The header the SMS gateway sends its shared secret in.
GATEWAY_SECRET_HEADER = "X-Gateway-Secret"
_MAX_INBOUND_BYTES = 8192


def reminder_options(settings: Settings) -> cases.ReminderOptions:
    """The reminder options of the settings."""
    return cases.ReminderOptions(days_ahead=settings.reminder_days_ahead,
                                 default_display_name=settings.reminder_display_name,
                                 display_names=dict(settings.reminder_clinic_names))


def _contact_page(request: Request, user: WebUser, form: FormState, notice: str | None = None,
                  calendar_url: str | None = None, status: int = 200) -> Response:
    web = web_of(request)
    now = web.now()
    overview = cases.contact_overview(web.ctx, actor_of(request, user), request.path_params["patient_id"], now)
    in_force = {channel: overview.in_force(channel, now) for channel in CHANNELS}
    context = page_context(request, user, "Contact and reminders", overview=overview, patient=overview.patient,
                           in_force=in_force, channels=CHANNELS, channel_labels=CHANNEL_LABELS, form=form,
                           notice=notice, calendar_url=calendar_url,
                           may_change=user.may("contact", "create") and user.may("contact", "update"))
    return render(request, "pages/record.html", "partials/contact.html", context, status_code=status)


@page(router, "/patients/{patient_id}/contact")
def contact(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _contact_page(request, require_user(request), FormState())


@page(router, "/patients/{patient_id}/contact/consents", methods=("POST",))
def record_consent(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    state = FormState.from_form(form or {})
    channel = state.choice("channel", CHANNELS)
    address = state.text("address", max_length=254)
    if state.ok and channel is not None and address is not None:
        web = web_of(request)
        try:
            cases.record_contact_consent(web.ctx, actor_of(request, user), request.path_params["patient_id"],
                                         channel, address, web.now())
        except InvalidInput as error:
            state.add_error("address", error.rule)
        else:
            return _contact_page(request, user, FormState(), f"Consent to {CHANNEL_LABELS[channel].lower()} "
                                                             "reminders recorded.")
    return _contact_page(request, user, state, status=422)


@page(router, "/patients/{patient_id}/contact/consents/withdraw", methods=("POST",))
def withdraw_consent(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    state = FormState.from_form(form or {})
    channel = state.choice("channel", CHANNELS)
    if state.ok and channel is not None:
        web = web_of(request)
        try:
            cases.withdraw_contact_consent(web.ctx, actor_of(request, user), request.path_params["patient_id"],
                                           channel, web.now(), "withdrawn at the clinic")
        except NotFound:
            return _contact_page(request, user, FormState(), "There was no consent in force to withdraw.", status=409)
        return _contact_page(request, user, FormState(), f"Consent to {CHANNEL_LABELS[channel].lower()} "
                                                         "reminders withdrawn.")
    return _contact_page(request, user, state, status=422)


@page(router, "/patients/{patient_id}/contact/calendar", methods=("POST",))
def issue_calendar(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    token = cases.issue_calendar_link(web.ctx, actor_of(request, user), request.path_params["patient_id"], web.now())
    url = f"{request.base_url}calendar/{token}.ics"
    return _contact_page(request, user, FormState(), "Calendar link created: give it to the patient now; it is "
                                                     "shown only once.", calendar_url=url)


@page(router, "/patients/{patient_id}/contact/calendar/revoke", methods=("POST",))
def revoke_calendar(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    count = cases.revoke_calendar_link(web.ctx, actor_of(request, user), request.path_params["patient_id"],
                                       web.now())
    return _contact_page(request, user, FormState(),
                         "Calendar link revoked." if count else "There was no calendar link in force.")


@router.post("/reminders/sms/inbound", include_in_schema=False)
async def sms_inbound(request: Request) -> Response:
    """One inbound text: JSON ``{"from": "+1...", "body": "C"}``; 200 with what was done (``outcome``)."""
    web = web_of(request)
    secret = web.settings.sms_inbound_secret
    if not secret:
        return problem(503, "Inbound SMS not configured", "no shared secret is configured for the SMS gateway")
    given = request.headers.get(GATEWAY_SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
        return problem(401, "Not authenticated", f"a valid {GATEWAY_SECRET_HEADER} header is required")
    raw = await request.body()
    if len(raw) > _MAX_INBOUND_BYTES:
        return problem(413, "Too large", "an inbound message is at most 8 KiB")
    try:
        payload = await request.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("from"), str) \
            or not isinstance(payload.get("body"), str) or not payload["from"].strip():
        return problem(422, "Invalid inbound message", 'expected JSON {"from": "+1...", "body": "..."}')
    reply = await run_in_threadpool(cases.receive_sms_reply, web.ctx, payload["from"], payload["body"], web.now())
    return JSONResponse({"id": reply.id, "outcome": reply.outcome})


@router.get("/calendar/{token}.ics", include_in_schema=False)
async def calendar(request: Request, token: str) -> Response:
    web = web_of(request)
    try:
        text = await run_in_threadpool(cases.calendar_feed, web.ctx, token, reminder_options(web.settings),
                                       web.now())
    except NotFound:
        return Response("Not found\n", status_code=404, media_type="text/plain")
    return Response(text, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "no-store", "Content-Disposition": 'inline; filename="calendar.ics"'})
