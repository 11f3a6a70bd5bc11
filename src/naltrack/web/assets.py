"""Static files: our own CSS and JS, and two front-end libraries installed at build time.

* htmx comes from the npm registry (``make install`` runs ``npm install`` into
  ``build/web``; see ``src/naltrack/web/package.json``). When it is absent, pages still
  work: every form and link is a plain HTML form or link first (progressive enhancement).
* Plotly's JavaScript ships inside the ``plotly`` Python package
  (``plotly/package_data/plotly.min.js``).

Nothing third-party is copied into the repository.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

STATIC_DIR = Path(__file__).parent / "static"
#: Where ``make install`` puts the npm packages, relative to the repository root.
NPM_PREFIX = Path("build") / "web"
HTMX_IN_PREFIX = Path("node_modules") / "htmx.org" / "dist" / "htmx.min.js"
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
VENDOR_CACHE = "public, max-age=86400"
OWN_CACHE = "no-cache"


@dataclass(frozen=True)
class Assets:
    """The files the web app serves, resolved once when the app is built."""

    own: dict[str, Path]
    htmx: Path | None
    plotly: Path | None

    @property
    def has_htmx(self) -> bool:
        return self.htmx is not None

    @property
    def has_plotly(self) -> bool:
        return self.plotly is not None


def find_htmx(extra: str | None = None) -> Path | None:
    """The installed htmx file: ``$NALTRACK_WEB_VENDOR_DIR``, the working directory or the repo."""
    roots = [Path(extra)] if extra else []
    roots += [Path.cwd() / NPM_PREFIX, Path(__file__).resolve().parents[3] / NPM_PREFIX]
    for root in roots:
        candidate = root / HTMX_IN_PREFIX
        if candidate.is_file():
            return candidate
    return None


def find_plotly() -> Path | None:
    """``plotly.min.js`` inside the installed ``plotly`` package, if any."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "package_data" / "plotly.min.js"
        if candidate.is_file():
            return candidate
    return None


def discover_assets() -> Assets:
    own = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file() and p.suffix in MEDIA_TYPES}
    return Assets(own=own, htmx=find_htmx(os.environ.get("NALTRACK_WEB_VENDOR_DIR")), plotly=find_plotly())


def build_static_router(assets: Assets) -> APIRouter:
    """Routes for ``/static/<own file>`` and ``/static/vendor/{htmx,plotly}.js``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/static/vendor/htmx.js")
    def htmx_js() -> Response:
        return _vendor(assets.htmx, "htmx")

    @router.get("/static/vendor/plotly.js")
    def plotly_js() -> Response:
        return _vendor(assets.plotly, "plotly")

    @router.get("/static/{name}")
    def own_file(name: str) -> Response:
        path = assets.own.get(name)  # only files listed at start: no path traversal
        if path is None:
            raise HTTPException(status_code=404, detail=f"no static file {name!r}")
        return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": OWN_CACHE})

    return router


def _vendor(path: Path | None, name: str) -> Response:
    if path is None:
        raise HTTPException(status_code=404, detail=f"{name} is not installed (run make install)")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": VENDOR_CACHE})
