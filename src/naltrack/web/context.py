"""What every web route needs: the application context, the signed-in user, the CSRF token, the clock.

``web_of(request).ctx`` is the application context the app was built with
(:func:`naltrack.bootstrap.build_application`, once, by ``create_app``); routes pass it to the
use cases.

Sessions and CSRF are the secure service's (:mod:`naltrack.api.sessions`): an opaque
session token in an HttpOnly, SameSite=Strict cookie, and a CSRF token bound to it that
every form posts as ``csrf_token`` (htmx sends it as ``X-CSRF-Token``). The least-privilege
matrix (:mod:`naltrack.domain.security.roles`) decides what each role sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates

from naltrack.api import sessions
from naltrack.api.app import application_of
from naltrack.bootstrap import Application
from naltrack.config import Settings
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.roles import is_permitted
from naltrack.errors import SignInRequired
from naltrack.services.clinics import clinic_today, get_clinic_zone
from naltrack.services.context import AppContext
from naltrack.web.assets import Assets, discover_assets
from naltrack.web.navigation import nav_for
from naltrack.web.rendering import build_templates

ROLE_LABELS = {"admin": "administrator", "prescriber": "prescriber", "nurse": "nurse", "counselor": "counselor",
               "front-desk": "front desk", "auditor": "auditor"}


@dataclass
class WebApp:
    """The web face of one app, built on its first request from the app's application."""

    application: Application
    templates: Jinja2Templates
    assets: Assets
    zones: dict[str, ZoneInfo] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.application.settings

    @property
    def ctx(self) -> AppContext:
        """The application context the routes pass to the use cases."""
        return self.application.ctx

    def zone(self, user: WebUser) -> ZoneInfo:
        """The time zone of the user's clinic: forms read local times in it and "today" is its date.

        A clinic's zone is configuration, read once per process and clinic.
        """
        clinic_id = user.user.clinic_id
        zone = self.zones.get(clinic_id)
        if zone is None:
            zone = self.zones[clinic_id] = get_clinic_zone(self.ctx, clinic_id)
        return zone

    def now(self) -> datetime:
        """The request's clock (the context's)."""
        return self.ctx.clock()

    def today(self, user: WebUser) -> date:
        """The user's clinic's local date."""
        return clinic_today(self.zone(user), self.now())


def web_of(request: Request) -> WebApp:
    """The app's :class:`WebApp`, over the application ``create_app`` built."""
    state = request.app.state
    web: WebApp | None = getattr(state, "web", None)
    if web is None:
        application = application_of(request)
        templates = build_templates(ZoneInfo(application.settings.timezone))
        web = WebApp(application=application, templates=templates, assets=discover_assets())
        state.web = web
        state.web_templates = web.templates
    return web


@dataclass(frozen=True)
class WebUser:
    """The signed-in user as the templates show them."""

    user: User

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def display_name(self) -> str:
        return self.user.username

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.user.role, self.user.role)

    def may(self, category: str, action: str = "read") -> bool:
        return is_permitted(self.user.role, category, action)


def find_user(request: Request) -> WebUser | None:
    """The user of the session cookie, or ``None``."""
    user = sessions.current_web_user(request)
    return WebUser(user) if user is not None else None


def require_user(request: Request) -> WebUser:
    user = find_user(request)
    if user is None:
        raise SignInRequired("sign in first")
    return user


def actor_of(request: Request, user: WebUser) -> Actor:
    return Actor(user=user.user, source=sessions.client_address(request))


def check_csrf(request: Request, form: Any) -> None:
    """Reject a post without this session's CSRF token.

    Sign-in has no session yet: there a post whose ``Origin`` is another site's, or ``null``
    (a sandboxed frame, a data: page), is refused (login CSRF: signing the victim in to an
    account the attacker controls).
    """
    if request.url.path == "/sign-in":
        sessions.require_same_origin(request)
        return
    sessions.require_csrf(request, str(form.get(sessions.CSRF_FIELD) or "") or None)


def page_context(request: Request, user: WebUser | None, title: str, **values: Any) -> dict[str, Any]:
    """The values every page template reads."""
    web = web_of(request)
    return {
        "title": title, "user": user, "csrf_token": sessions.csrf_token(request), "assets": web.assets,
        "nav": nav_for(user.role, request.url.path) if user else [], **values,
    }
