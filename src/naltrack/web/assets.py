"""Static files: our own CSS and JS, and two front-end libraries installed at build time.

* htmx and Plotly's basic bundle (``plotly.js-basic-dist-min``: scatter lines, fill bands and markers,
  shapes and annotations, date and log axes, all the charts draw) come from the npm registry:
  ``make install`` runs ``npm install`` into ``build/web`` (see ``src/naltrack/web/package.json``).
  Without htmx pages still work: every form and link is a plain HTML form or link first
  (progressive enhancement). Without the npm Plotly bundle, the full ``plotly.min.js`` inside the
  ``plotly`` Python package is served instead.
* Each file is read once when the app is built, hashed, and a text file gzip-compressed in memory.
  A client whose ``Accept-Encoding`` allows gzip gets it with ``Content-Encoding: gzip``; every text
  file answers ``Vary: Accept-Encoding``.
* A library's URL carries a hash of its content (``/static/vendor/plotly.<hash>.js``), so it is
  cached for a year as ``immutable``: a new version is a new URL. Our own files keep their names and
  are ``no-cache``: the browser revalidates with the strong ``ETag`` and gets ``304 Not Modified``.

Nothing third-party is copied into the repository.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

STATIC_DIR = Path(__file__).parent / "static"
#: Where ``make install`` puts the npm packages, relative to the repository root.
NPM_PREFIX = Path("build") / "web"
HTMX_IN_PREFIX = Path("node_modules") / "htmx.org" / "dist" / "htmx.min.js"
PLOTLY_IN_PREFIX = Path("node_modules") / "plotly.js-basic-dist-min" / "plotly-basic.min.js"
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
#: A library's URL names its content: cached for a year and never revalidated.
VENDOR_CACHE = "public, max-age=31536000, immutable"
OWN_CACHE = "no-cache"
#: Hex digits of the content hash in a library's URL.
URL_HASH_LENGTH = 12


@dataclass(frozen=True)
class StaticFile:
    """One file as served: its bytes, their gzip form when smaller, and its content hash."""

    name: str
    media_type: str
    body: bytes
    gzipped: bytes | None
    digest: str
    cache_control: str

    def etag(self, gzipped: bool) -> str:
        """The strong validator of one encoding (the gzip form is another representation)."""
        return f'"{self.digest[:32]}{"-gzip" if gzipped else ""}"'


@dataclass(frozen=True)
class Assets:
    """The files the web app serves, resolved once when the app is built."""

    own: dict[str, StaticFile]
    htmx: StaticFile | None
    plotly: StaticFile | None
    vendor: dict[str, StaticFile] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vendor", {f.name: f for f in (self.htmx, self.plotly) if f is not None})

    @property
    def has_htmx(self) -> bool:
        return self.htmx is not None

    @property
    def has_plotly(self) -> bool:
        return self.plotly is not None

    @property
    def htmx_url(self) -> str:
        return vendor_url(self.htmx)

    @property
    def plotly_url(self) -> str:
        return vendor_url(self.plotly)


def vendor_url(file: StaticFile | None) -> str:
    """A library's address, or ``""`` when it is not installed."""
    return f"/static/vendor/{file.name}" if file is not None else ""


def find_npm_file(in_prefix: Path, extra: str | None = None) -> Path | None:
    """An installed npm file: under ``$NALTRACK_WEB_VENDOR_DIR``, the working directory or the repo."""
    roots = [Path(extra)] if extra else []
    roots += [Path.cwd() / NPM_PREFIX, Path(__file__).resolve().parents[3] / NPM_PREFIX]
    for root in roots:
        candidate = root / in_prefix
        if candidate.is_file():
            return candidate
    return None


def find_python_plotly() -> Path | None:
    """``plotly.min.js`` inside the installed ``plotly`` Python package, if any."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "package_data" / "plotly.min.js"
        if candidate.is_file():
            return candidate
    return None


def find_plotly(extra: str | None = None) -> Path | None:
    """The npm basic bundle; the Python package's full ``plotly.min.js`` only when that is absent."""
    return find_npm_file(PLOTLY_IN_PREFIX, extra) or find_python_plotly()


@functools.lru_cache(maxsize=16)
def _packed(path: Path, mtime_ns: int, size: int) -> tuple[bytes, bytes | None, str]:
    """The bytes of ``path``, their gzip form when smaller, and their SHA-256, computed once per file version."""
    body = path.read_bytes()
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    return body, packed if len(packed) < len(body) else None, hashlib.sha256(body).hexdigest()


def load_file(path: Path, cache_control: str, stem: str | None = None) -> StaticFile:
    """``path`` as served: under its own name, or named ``<stem>.<content hash><suffix>`` when ``stem`` is given."""
    stat = path.stat()
    body, packed, digest = _packed(path.resolve(), stat.st_mtime_ns, stat.st_size)
    name = f"{stem}.{digest[:URL_HASH_LENGTH]}{path.suffix}" if stem else path.name
    return StaticFile(name, MEDIA_TYPES[path.suffix], body, packed, digest, cache_control)


def discover_assets() -> Assets:
    extra = os.environ.get("NALTRACK_WEB_VENDOR_DIR")
    own = {p.name: load_file(p, OWN_CACHE) for p in sorted(STATIC_DIR.iterdir())
           if p.is_file() and p.suffix in MEDIA_TYPES}
    htmx, plotly = find_npm_file(HTMX_IN_PREFIX, extra), find_plotly(extra)
    return Assets(own=own, htmx=load_file(htmx, VENDOR_CACHE, "htmx") if htmx else None,
                  plotly=load_file(plotly, VENDOR_CACHE, "plotly") if plotly else None)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip: named, or ``*``, with a weight above 0 (RFC 9110 §12.5.3).

    Examples
    --------
    >>> accepts_gzip("gzip, deflate, br"), accepts_gzip("br;q=1, gzip;q=0"), accepts_gzip("*"), accepts_gzip("")
    (True, False, True, False)
    """
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip().lower()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``etag`` (weak comparison, as RFC 9110 §13.1.2 asks) or is ``*``."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def static_response(file: StaticFile, headers: Mapping[str, str]) -> Response:
    """``file`` for a request with ``headers``: gzip when accepted, ``304`` when the client's copy is current."""
    use_gzip = file.gzipped is not None and accepts_gzip(headers.get("accept-encoding", ""))
    answer = {"ETag": file.etag(use_gzip), "Cache-Control": file.cache_control}
    if file.gzipped is not None:
        answer["Vary"] = "Accept-Encoding"
    if etag_matches(headers.get("if-none-match"), answer["ETag"]):
        return Response(status_code=304, headers=answer)
    if use_gzip:
        answer["Content-Encoding"] = "gzip"
    body = file.gzipped if use_gzip and file.gzipped is not None else file.body
    return Response(body, media_type=file.media_type, headers=answer)


def build_static_router(assets: Assets) -> APIRouter:
    """Routes for ``/static/<own file>`` and ``/static/vendor/<library>.<hash>.js``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/static/vendor/{name}")
    def vendor_file(name: str, request: Request) -> Response:
        return _serve(assets.vendor, name, request)

    @router.get("/static/{name}")
    def own_file(name: str, request: Request) -> Response:
        return _serve(assets.own, name, request)

    return router


def _serve(files: Mapping[str, StaticFile], name: str, request: Request) -> Response:
    file = files.get(name)  # only files listed at start: no path traversal
    if file is None:
        raise HTTPException(status_code=404, detail=f"no static file {name!r}")
    return static_response(file, request.headers)
