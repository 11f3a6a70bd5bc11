"""The printed patient documents of the staff chart: each a PDF download (services/documents.py).

The wallet card, the after-visit summary, the injection record and the consent form (blank, or
``?consent=ID`` filled from a recorded consent) are reads: a GET each. The referral packet is a
disclosure outside the program: its form (``/documents/referral-packet``, with the patient's consents
and a printable form of each) posts (CSRF-checked) to the PDF, which is decided by consent, recorded and
audited by :func:`naltrack.services.consents.disclose` as every disclosure is. A missing field is named
next to it on the form; a refusal answers with the "Not disclosed" page (:data:`naltrack.web.pages.RESPONSES`)
and nothing leaves the program.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.security.consent import PURPOSES
from naltrack.domain.security.roles import CLINICAL_CATEGORIES, require_permitted
from naltrack.services import consents
from naltrack.services import documents as cases
from naltrack.services import patients as patient_cases
from naltrack.web import documents_pdf as pdf
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page
from naltrack.web.rendering import render

router = APIRouter()
#: The purposes a referral packet may name (an emergency disclosure goes through break-the-glass).
REFERRAL_PURPOSES = tuple(p for p in PURPOSES if p != "emergency")


def _download(body: bytes, name: str) -> Response:
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"', "Cache-Control": "no-store"})


def _read(request: Request, use: Callable[..., Any], render: Callable[[Any], bytes], name: str) -> Response:
    user = require_user(request)
    web = web_of(request)
    pid = request.path_params["patient_id"]
    content = use(web.ctx, actor_of(request, user), pid, web.now())
    return _download(render(content), f"{name}-{pid}")


@page(router, "/patients/{patient_id}/documents/wallet-card.pdf")
def wallet_card(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _read(request, cases.wallet_card, pdf.render_wallet_card, "wallet-card")


@page(router, "/patients/{patient_id}/documents/after-visit.pdf")
def after_visit(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _read(request, cases.after_visit, pdf.render_after_visit, "after-visit")


@page(router, "/patients/{patient_id}/documents/injection-record.pdf")
def injection_record(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _read(request, cases.injection_record, pdf.render_injection_record, "injection-record")


@page(router, "/patients/{patient_id}/documents/consent-form.pdf")
def consent_form(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    pid = request.path_params["patient_id"]
    consent_id = request.query_params.get("consent") or None
    content = cases.consent_form(web.ctx, actor_of(request, user), pid, web.settings.program_name, web.now(),
                                 consent_id)
    return _download(pdf.render_consent_form(content), f"consent-form-{pid}")


def _packet_form(request: Request, user: WebUser, state: FormState, status: int = 200) -> Response:
    web = web_of(request)
    pid = request.path_params["patient_id"]
    actor = actor_of(request, user)
    patient = patient_cases.get_patient(web.ctx, actor, pid, web.now())
    on_file = sorted(consents.list_consents(web.ctx, actor, pid, web.now()), key=lambda c: c.signed_on, reverse=True)
    context = page_context(request, user, "Referral packet", patient=patient, consents=on_file, form=state,
                           now=web.now(), purposes=REFERRAL_PURPOSES, categories=CLINICAL_CATEGORIES,
                           category_words=pdf.CATEGORY_WORDS, purpose_words=pdf.PURPOSE_WORDS)
    return render(request, "pages/record.html", "partials/referral_packet.html", context, status_code=status)


@page(router, "/patients/{patient_id}/documents/referral-packet")
def referral_form(request: Request, form: Mapping[str, Any] | None) -> Response:
    """The form is for the roles that may disclose; the others get the 403 page here, not at the post."""
    user = require_user(request)
    require_permitted(user.role, "disclosures", "disclose")
    return _packet_form(request, user, FormState(values={"purpose": "referral"}))


@page(router, "/patients/{patient_id}/documents/referral-packet.pdf", methods=("POST",))
def referral_packet(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    pid = request.path_params["patient_id"]
    raw = dict(form or {})
    state = FormState.from_form(raw)
    recipient = state.text("recipient", max_length=200)
    purpose = state.choice("purpose", REFERRAL_PURPOSES)
    categories = tuple(c for c in CLINICAL_CATEGORIES if raw.get(f"cat_{c}") == "on")
    for c in categories:
        state.values[f"cat_{c}"] = "on"
    if not categories:
        state.add_error("categories", "choose at least one record category the consent covers")
    if not state.ok or recipient is None or purpose is None:
        return _packet_form(request, user, state, 422)
    content = cases.referral_packet(web.ctx, actor_of(request, user), pid, recipient, purpose, categories,
                                    web.settings.program_name, web.now())
    return _download(pdf.render_referral_packet(content), f"referral-packet-{pid}")
