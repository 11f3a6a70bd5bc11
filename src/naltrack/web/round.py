"""The morning injection round: from the dashboard's due list to each injection form and back.

A form opened from the worklist carries ``next=/`` and returns there after saving. The kit lot and
expiry of the last injection this browser recorded today are kept in a cookie (``naltrack_kit``: lot,
expiry and the clinic day, nothing about the patient) and fill the next form, since a nurse works
from one box of kits; the needle comes from the patient's last injection and the side alternates
(:func:`naltrack.domain.administrations.suggest_injection_side`).
"""

from __future__ import annotations

from datetime import date

from fastapi import Request
from fastapi.responses import Response

from naltrack.api.sessions import secure_cookie

KIT_COOKIE = "naltrack_kit"
#: The worklist pages a form may return to (no open redirect: only these local paths).
RETURN_PATHS = ("/", "/schedule")


def return_path(request: Request, form_value: str | None = None) -> str | None:
    """Where to go after saving: the worklist the form was opened from, when it is one of :data:`RETURN_PATHS`."""
    wanted = form_value if form_value is not None else request.query_params.get("next")
    return wanted if wanted in RETURN_PATHS else None


def kit_of_today(request: Request, today: date) -> dict[str, str]:
    """The lot and expiry of the last kit recorded from this browser today, or nothing."""
    parts = request.cookies.get(KIT_COOKIE, "").split("|")
    if len(parts) != 3 or parts[2] != today.isoformat() or not parts[0] or len(parts[0]) > 40:
        return {}
    try:
        date.fromisoformat(parts[1])
    except ValueError:
        return {}
    return {"lot": parts[0], "expiry": parts[1]}


def remember_kit(request: Request, response: Response, lot: str, expiry: date, today: date) -> Response:
    """Keep the kit for the next form of the day (until the end of the clinic day at the latest)."""
    response.set_cookie(KIT_COOKIE, f"{lot}|{expiry.isoformat()}|{today.isoformat()}", max_age=16 * 3600,
                        path="/patients", httponly=True, samesite="strict", secure=secure_cookie(request))
    return response
