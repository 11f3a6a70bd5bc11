"""No clinical number or product code is written into a face.

Every due interval and window lives in ``domain/rules/thresholds.py`` (``Thresholds``, with its
source) and every product code in the domain catalog (``domain/catalog.py``, its entries in
``domain/code_tables/catalog.json``; FHIR code tables in ``adapters/fhir/codes.py``). The faces
(``cds``, ``web``, ``api``, ``cli``, Python and templates) read them from there. This test finds, in the faces:

* the due-interval numbers 28, 30 and 72 used as a span of time: an argument of ``timedelta``
  (``days=``, ``hours=``, ``weeks=``, or positional), a keyword argument or an assignment whose
  name speaks of days or hours (``interval_days=28``, ``WINDOW_H = 72``), or a comparison or
  arithmetic with such a name (``days_since >= 28``, ``(today - given).days > 30``); in a
  template, the number followed by a unit (``28 days``, ``72 h``);
* a product RxNorm code of the catalog (``"637213"``) as a string literal, or in a template.

A number that is not a span of time (``leeway_s=30``, ``duration_min=30``, a date such as
``2027-06-30``) is not a clinical interval and passes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from naltrack.domain.catalog import FORM_CODE, RESCUE_NALOXONE_CODE, all_medications

SRC = Path(__file__).resolve().parents[2] / "src" / "naltrack"
FACES = ("cds", "web", "api", "cli")
INTERVALS = frozenset({28, 30, 72})
TIME_UNITS = frozenset({"days", "hours", "weeks"})
TIME_NAME = re.compile(r"(^|_)(days?|hours?|h|d|weeks?)($|_)", re.IGNORECASE)
PRODUCT_CODES = frozenset(c for c in {m.code for m in all_medications()} | set(FORM_CODE.values())
                          | {RESCUE_NALOXONE_CODE} if re.fullmatch(r"\d{5,8}", c))
TEMPLATE_INTERVAL = re.compile(r"\b(28|30|72)\s*(-\s*)?(days?|d|hours?|hrs?|h|weeks?)\b", re.IGNORECASE)
TEMPLATE_CODE = re.compile(r"(?<![\d.-])\d{5,8}(?![\d.-])")


def _face_files(suffix: str) -> list[Path]:
    return sorted(p for face in FACES for p in (SRC / face).rglob(f"*{suffix}"))


def _interval(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value in INTERVALS


def _name_of(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _speaks_time(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp):
        return _speaks_time(node.left) or _speaks_time(node.right)
    return bool(TIME_NAME.search(_name_of(node)))


def _is_timedelta(call: ast.Call) -> bool:
    return _name_of(call.func) == "timedelta"


def _findings_in(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if _is_timedelta(node):
                found += [(a.lineno, "timedelta(...)") for a in node.args if _interval(a)]
                found += [(k.value.lineno, f"timedelta({k.arg}=...)") for k in node.keywords
                          if k.arg in TIME_UNITS and _interval(k.value)]
                continue
            found += [(k.value.lineno, f"{k.arg}=...") for k in node.keywords
                      if k.arg and TIME_NAME.search(k.arg) and _interval(k.value)]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and _interval(node.value) and any(_speaks_time(t) for t in targets):
                found.append((node.lineno, f"{_name_of(targets[0])} = ..."))
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_interval(o) for o in operands) and any(_speaks_time(o) for o in operands):
                found.append((node.lineno, "comparison with a span of time"))
        elif isinstance(node, ast.BinOp):
            pair = (node.left, node.right)
            if any(_interval(o) for o in pair) and any(_speaks_time(o) for o in pair):
                found.append((node.lineno, "arithmetic with a span of time"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in PRODUCT_CODES:
            found.append((node.lineno, f"product code {node.value!r}"))
    return found


def _python_findings() -> list[str]:
    out = []
    for path in _face_files(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out += [f"{path.relative_to(SRC)}:{line}: {what}" for line, what in _findings_in(tree)]
    return out


def _template_findings() -> list[str]:
    out = []
    for path in _face_files(".html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            out += [f"{path.relative_to(SRC)}:{number}: {m.group(0)!r}" for m in TEMPLATE_INTERVAL.finditer(line)]
            out += [f"{path.relative_to(SRC)}:{number}: product code {m.group(0)!r}"
                    for m in TEMPLATE_CODE.finditer(line) if m.group(0) in PRODUCT_CODES]
    return out


def test_the_catalog_codes_are_read() -> None:
    assert {"637213", "1483744", RESCUE_NALOXONE_CODE} <= PRODUCT_CODES


@pytest.mark.parametrize(("source", "expected"), [
    ("due = given + timedelta(days=28)", ["timedelta(days=...)"]),
    ("window = timedelta(hours=72)", ["timedelta(hours=...)"]),
    ("window = timedelta(30)", ["timedelta(...)"]),
    ("advise(interval_days=28)", ["interval_days=..."]),
    ("WINDOW_H = 72", ["WINDOW_H = ..."]),
    ("late = (today - given).days > 30", ["comparison with a span of time"]),
    ("due = last + days * 28", ["arithmetic with a span of time"]),
    ("total = pages * 28", []),
    ("end = start + interval_days - 28", ["arithmetic with a span of time"]),
    ("code = '637213'", ["product code '637213'"]),
    ("verify(leeway_s=30)", []),
    ("form = {'duration_min': 30}", []),
    ("size = 28", []),
    ("code = '123456789'", []),
])
def test_the_check_finds_spans_of_time_and_codes_only(source: str, expected: list[str]) -> None:
    assert [what for _, what in _findings_in(ast.parse(source))] == expected


def test_templates_check_finds_intervals_and_codes() -> None:
    assert TEMPLATE_INTERVAL.findall("due in 28 days") and TEMPLATE_INTERVAL.findall("within 72 h")
    assert not TEMPLATE_INTERVAL.findall("2027-06-30") and not TEMPLATE_INTERVAL.findall("page 30 of 40")
    assert TEMPLATE_CODE.findall("RxNorm 637213") == ["637213"]


def test_no_clinical_interval_or_product_code_in_the_faces() -> None:
    assert _python_findings() + _template_findings() == []
