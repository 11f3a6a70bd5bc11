"""Every portal page a patient opens is usable on a phone with assistive technology: a language, a viewport, one
main heading, a label for every field, and the portal's colours at WCAG 2.1 AA contrast (1.4.3: 4.5:1 for text)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.integration.portal.portal_world import PortalWorld

from naltrack.web import assets

CSS = (Path(assets.__file__).parent / "static" / "portal.css").read_text()


class Fields(HTMLParser):
    """The fields of a page, the labels' targets, the fields inside a label, and the main headings."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.depth_in_label = 0
        self.h1 = 0
        self.lang: str | None = None
        self.viewport = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta" and a.get("name") == "viewport":
            self.viewport = True
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.depth_in_label += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.fields.append({**a, "_wrapped": "yes" if self.depth_in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.depth_in_label -= 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_portal_page_has_its_language_viewport_heading_and_labelled_fields(world: PortalWorld) -> None:
    web = world.patient_client("a")
    pages = ["/portal", "/portal/diary", "/portal/side-effects", "/portal/disclosures", "/portal/learn",
             "/portal/learn/starting", f"/portal/questionnaires/{world.ids['a']['assignment']}"]
    anonymous = world.client()
    answers = [web.get(p) for p in pages] + [anonymous.get("/portal/sign-in")]
    for page, answer in zip([*pages, "/portal/sign-in"], answers, strict=True):
        assert answer.status_code == 200, page
        parsed = Fields()
        parsed.feed(answer.text)
        assert parsed.lang == "en" and parsed.viewport and parsed.h1 == 1, page
        for field in parsed.fields:
            assert field["_wrapped"] or field.get("id") in parsed.label_for, (page, field)


def _colour(name: str) -> tuple[float, float, float]:
    match = re.search(rf"{re.escape(name)}:\s*#([0-9a-fA-F]{{6}})", CSS)
    assert match, name
    return tuple(int(match.group(1)[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _contrast(a: str, b: str) -> float:
    def lum(rgb: tuple[float, float, float]) -> float:
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((lum(_colour(a)), lum(_colour(b))), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("fore", "back"), [("--ink", "--bg"), ("--ink", "--card"), ("--muted", "--card"),
                                            ("--muted", "--bg"), ("--brand", "--card"), ("--danger", "--danger-bg"),
                                            ("--ink", "--ok-bg"), ("--ink", "--warn-bg"), ("--ink", "--danger-bg")])
def test_the_portals_text_colours_meet_aa_contrast(fore: str, back: str) -> None:
    assert _contrast(fore, back) >= 4.5
