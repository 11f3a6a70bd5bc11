"""Cross-origin calls (CORS) to the interoperability paths only: ``/cds-services`` and ``/fhir/R4``.

A CDS client running in a browser (the CDS Hooks sandbox, a browser-based EHR) calls discovery and the
services with an ``Authorization`` header, so the browser first sends a preflight (``OPTIONS`` with
``Origin``, ``Access-Control-Request-Method`` and ``Access-Control-Request-Headers``; Fetch standard,
"CORS protocol"). Only the configured origins (``NALTRACK_CORS_ORIGINS``, :meth:`naltrack.config.Settings.
cors_origin_list`) get an answer that lets the browser go on; the web pages and ``/api/v1`` get no CORS
headers at all (their session cookie must never be usable from another site). No credentials are
allowed: these paths authenticate with bearer tokens, not cookies.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The paths CORS applies to.
CORS_PATHS = ("/cds-services", "/fhir/R4")
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Accept"
MAX_AGE_S = "600"


def _covered(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in CORS_PATHS)


class PathCors:
    """CORS with preflight on :data:`CORS_PATHS`, for ``origins`` (``"*"`` in it: any origin)."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = frozenset(origins) - {"*"}

    def _allowed(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    def _allow_origin(self, origin: str) -> dict[str, str]:
        return {"Access-Control-Allow-Origin": "*" if self.any_origin else origin, "Vary": "Origin"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _covered(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin, headers)(scope, receive, send)
            return
        if not self._allowed(origin):
            await self.app(scope, receive, send)
            return
        extra = {**self._allow_origin(origin), "Access-Control-Expose-Headers": "WWW-Authenticate"}

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                vary = [v.decode() for k, v in message.get("headers", []) if k.lower() == b"vary"]
                out = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"vary"]
                extra["Vary"] = ", ".join([*vary, "Origin"])
                out += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
                message = {**message, "headers": out}
            await send(message)

        await self.app(scope, receive, with_cors)

    def _preflight(self, origin: str, headers: Headers) -> Response:
        """The answer to a preflight: 204 with what may be sent, or 403 without CORS headers."""
        if not self._allowed(origin):
            return PlainTextResponse("origin not allowed", status_code=403, headers={"Vary": "Origin"})
        answer = {**self._allow_origin(origin), "Access-Control-Allow-Methods": ALLOW_METHODS,
                  "Access-Control-Allow-Headers": ALLOW_HEADERS, "Access-Control-Max-Age": MAX_AGE_S}
        if headers.get("access-control-request-private-network") == "true":
            answer["Access-Control-Allow-Private-Network"] = "true"  # a public page calling a private address
        return Response(status_code=204, headers=answer)
