"""What the web benchmarks read from a page: the files a browser loads with it, and a form's values."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

#: What a current browser sends.
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


class _PageFiles(HTMLParser):
    """The ``<script src>`` and stylesheet ``<link href>`` of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(str(values["src"]))
        elif tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.urls.append(str(values["href"]))


def page_files(html: str) -> list[str]:
    parser = _PageFiles()
    parser.feed(html)
    return parser.urls


def _body_bytes(client: Any, url: str, encodings: str) -> int:
    """The size of the answer's body as sent (``Content-Length``: compressed when the server compressed it)."""
    response = client.get(url, headers={"Accept-Encoding": encodings})
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return int(response.headers["content-length"])


def first_load_bytes(client: Any, path: str, encodings: str) -> dict[str, int]:
    """Bytes of a page's first load (nothing cached): the HTML, then every CSS and JS file it loads, by URL."""
    response = client.get(path, headers={"Accept-Encoding": encodings})
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    sizes = {path: int(response.headers["content-length"])}
    for url in page_files(response.text):
        sizes[url] = _body_bytes(client, url, encodings)
    return sizes


class _FormValues(HTMLParser):
    """What a browser submits from a page's forms as they stand: hidden and typed inputs, checked boxes and
    radios, selected options. Review-item check boxes (``confirm__*``) are ticked, as the nurse does."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and name:
            kind = a.get("type") or "text"
            if kind in ("radio", "checkbox"):
                if "checked" in a or name.startswith("confirm__"):
                    self.values[name] = a.get("value") or "on"
            elif kind != "submit":
                self.values.setdefault(name, a.get("value") or "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and ("selected" in a or self._select not in self.values):
            self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_values(html: str) -> dict[str, str]:
    parser = _FormValues()
    parser.feed(html)
    return parser.values
