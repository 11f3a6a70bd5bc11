"""The patient's own emergency wallet card, as a PDF: the documents use case with the patient as the actor
(:func:`naltrack.services.documents.wallet_card`, an audited read of their own record), drawn by the shared
renderer (:func:`naltrack.web.documents_pdf.render_wallet_card`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.patient_accounts import bound_patient_id
from naltrack.services import documents
from naltrack.web.context import web_of
from naltrack.web.documents_pdf import render_wallet_card
from naltrack.web.routes.portal_auth import portal_page, portal_render, require_patient

router = APIRouter()


@portal_page(router, "/portal/wallet-card.pdf")
def wallet_card(request: Request, form: Mapping[str, Any] | None) -> Response:
    actor = require_patient(request)
    web = web_of(request)
    patient_id = bound_patient_id(actor.user) or ""
    try:
        card = documents.wallet_card(web.ctx, actor, patient_id, web.now())
    except InvalidInput:
        return portal_render(request, "message.html", 404, title="No wallet card yet", heading="No wallet card yet",
                             message="Your card can be printed once your first naltrexone dose is on record. Ask "
                                     "the front desk.", signed_in=True)
    return Response(render_wallet_card(card), media_type="application/pdf", headers={
        "Content-Disposition": 'inline; filename="wallet-card.pdf"', "Cache-Control": "no-store"})
