"""The application context of the HTTP faces (REST API and web pages share one app).

Built from what the app's state holds (the secure unit-of-work factory, the settings, the
redisclosure notice); an :class:`~naltrack.services.context.AppContext` the app already
holds as ``state.app_context`` is used as it is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT
from naltrack.services.context import AppContext


def app_context(state: Any) -> AppContext:
    """The context of the app whose ``request.app.state`` is ``state``."""
    held = getattr(state, "app_context", None)
    if isinstance(held, AppContext):
        return held
    return AppContext(uow=state.secure_uow, default_timezone=state.settings.timezone,
                      redisclosure_notice=getattr(state, "redisclosure_notice", None) or REDISCLOSURE_NOTICE_DEFAULT)


async def get_app_context(request: Request) -> AppContext:
    return app_context(request.app.state)


ContextDep = Annotated[AppContext, Depends(get_app_context)]
