"""The web app's router: pages, partials and static files, mounted by ``create_app``."""

from __future__ import annotations

from fastapi import APIRouter

from naltrack.config import Settings
from naltrack.web.assets import build_static_router, discover_assets
from naltrack.web.routes import auth, dashboard, patients, questionnaires, readiness, recording


def build_web_router(settings: Settings) -> APIRouter:
    """Every web route. ``settings`` is read when the first request builds the web face."""
    router = APIRouter(include_in_schema=False)
    router.include_router(build_static_router(discover_assets()))
    for module in (auth, dashboard, patients, recording, questionnaires, readiness):
        router.include_router(module.router)
    return router
