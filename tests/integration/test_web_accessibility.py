"""Colour contrast of the web app's palette against WCAG 2.1 AA (the labels of every form field are
checked in test_web_pages.py, which has a seeded app).

WCAG 2.1: 1.4.3 (contrast of text at least 4.5:1), 1.4.11 (contrast of
focus indicators and other non-text parts at least 3:1).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from naltrack.web import assets

CSS = (Path(assets.__file__).parent / "static" / "app.css").read_text()
#: (foreground, background, minimum ratio): text pairs 4.5, the focus ring 3.
PAIRS = [
    ("--ink", "--bg", 4.5), ("--ink", "--card", 4.5), ("--muted", "--card", 4.5), ("--muted", "--bg", 4.5),
    ("--brand", "--card", 4.5), ("--brand-ink", "--brand", 4.5), ("--ok", "--ok-bg", 4.5),
    ("--warn", "--warn-bg", 4.5), ("--wane", "--wane-bg", 4.5), ("--danger", "--danger-bg", 4.5),
    ("--danger", "--card", 4.5), ("--focus", "--card", 3.0), ("--focus", "--bg", 3.0),
]


def css_colour(name: str) -> tuple[float, float, float]:
    match = re.search(rf"{re.escape(name)}:\s*#([0-9a-fA-F]{{6}})", CSS)
    assert match, f"{name} is not a six-digit colour in app.css"
    value = match.group(1)
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(rgb: tuple[float, float, float]) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(css_colour(a)), luminance(css_colour(b))), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("fg", "bg", "minimum"), PAIRS)
def test_colour_pairs_meet_wcag_aa_contrast(fg, bg, minimum):
    assert contrast(fg, bg) >= minimum, f"{fg} on {bg}: {contrast(fg, bg):.2f} < {minimum}"


def test_contrast_formula_gives_21_for_black_on_white():
    assert round((1.0 + 0.05) / (0.0 + 0.05), 1) == 21.0
