"""Security headers on every answer, a Content Security Policy on HTML pages, and no caching of PHI.

* Every answer: ``X-Content-Type-Options: nosniff`` (no guessing a script out of a text answer),
  ``Referrer-Policy: no-referrer`` (a patient id in a URL never leaves in a ``Referer``),
  ``X-Frame-Options: DENY`` and ``Content-Security-Policy: frame-ancestors 'none'`` (no page inside another
  site's frame: clickjacking).
* HTML pages: a policy that runs only the app's own script files (no inline script, no ``on...=``
  handler, no ``eval``), loads nothing from another site and posts forms only to the app
  (:data:`PAGE_POLICY`); inline styles are allowed, for the ones Plotly and htmx insert. A
  ``<script type="application/json">`` data block is not executed, so it needs no exception. The API
  documentation pages, served only in the demo, are the exception (:data:`API_DOC_PATHS`).
* ``Cache-Control: no-store`` on every answer that may carry patient data: every page, ``/api/v1``,
  ``/fhir/R4`` and ``/cds-services``. Static files (:data:`CACHEABLE_PREFIXES`) keep their own caching,
  and so does the sign-in page (:data:`CACHEABLE_PATHS`), which shows nothing about anyone.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The policy of every answer: no framing.
FRAME_POLICY = "frame-ancestors 'none'"
#: The policy of HTML pages: the app's own files only. Styles may also be inline: Plotly and htmx insert
#: ``<style>`` elements at run time (the chart's mode bar, htmx's request indicator); the templates have none.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
#: Swagger UI and ReDoc (demo only) load their script from a CDN and inline: they get the framing policy alone.
API_DOC_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
#: Paths under these prefixes keep the caching their route sets.
CACHEABLE_PREFIXES = ("/static/",)
#: Paths that keep the caching their route sets.
CACHEABLE_PATHS = frozenset({"/sign-in"})
NO_STORE = "no-store"


def may_be_cached(path: str) -> bool:
    """Whether the answer at ``path`` keeps its own ``Cache-Control`` (no patient data there).

    Examples
    --------
    >>> may_be_cached("/static/app.css"), may_be_cached("/sign-in"), may_be_cached("/patients/3")
    (True, True, False)
    """
    return path in CACHEABLE_PATHS or path.startswith(CACHEABLE_PREFIXES)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.lower().startswith(b"text/html") for k, v in headers)


def secured_headers(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` of an answer at ``path`` with the security headers set (replacing the same names)."""
    extra = dict(ALWAYS)
    page = _is_html(headers) and path not in API_DOC_PATHS
    extra["content-security-policy"] = PAGE_POLICY if page else FRAME_POLICY
    if not may_be_cached(path):
        extra["cache-control"] = NO_STORE
    kept = [(k, v) for k, v in headers if k.decode("latin-1").lower() not in extra]
    return kept + [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]


class SecurityHeaders:
    """ASGI middleware adding :func:`secured_headers` to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": secured_headers(path, list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, with_headers)
