"""Write naltrack's RxNorm and OUD/AUD code tables from public value sets.

Usage::

    python scripts/generate_code_tables.py SOURCE [SOURCE ...] [--out DIR] [--date YYYY-MM-DD]

Each SOURCE is a git directory (a clone or a bare mirror: its ``HEAD`` is read), a checkout, or a
folder of files. Read from them:

- FHIR ValueSet resources (``*.json``), alone or in a Bundle, with an expansion or an enumerated
  compose: the CDC opioid CDS IG (``cqframework/opioid-cds-r4``: current, archived and bundled
  expansions) and VSAC sets (e.g. ``smart-on-fhir/cumulus-library-opioid``);
- eCQM value sets written as Python classes (``VALUE_SET_NAME``, ``OID``, ``EXPANSION_VERSION`` and
  ``RXNORM = {"code",  # display}``, e.g. ``canvas-medical/canvas-plugins`` ``canvas_sdk/value_set``).

Only the sets named in ``MEDICATION_SETS`` and ``CONDITION_SETS`` are read. Every code is classified
by product with :func:`naltrack.domain.terminology.classify_product_name` (the same rules the
application uses for free text); a code whose name says nothing takes its set's fallback class, if
the set has one, else it is left out and listed under ``"excluded"``. Diagnoses are kept when they
are OUD or AUD (:func:`~naltrack.domain.terminology.classify_condition_text`; ICD-10-CM by F11/F10).
Each table's header names every source set: repository, commit, path, canonical URL, version and
expansion, and the date of generation. See ``docs/terminology.md``.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from naltrack.domain.terminology import (
    CONDITION_TABLE,
    RXNORM_TABLE,
    classify_condition_text,
    classify_product_name,
    icd10_kind,
)

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OUT = Path(__file__).resolve().parents[1] / "src" / "naltrack" / "domain" / "code_tables"

# Medication sets, by CDC id (the canonical URL's last segment), VSAC OID or eCQM OID, with the class a
# code takes when its name says nothing (None: such a code is left out).
MEDICATION_SETS: dict[str, str | None] = {
    "opioid-analgesics-with-ambulatory-misuse-potential": "opioid-analgesic",
    "extended-release-opioid-with-ambulatory-misuse-potential": "opioid-analgesic",
    "non-synthetic-opioid-medications": "opioid-analgesic",
    "synthetic-opioid-medications": "opioid-analgesic",
    "fentanyl-type-medications": "opioid-analgesic",
    "oxycodone-medications": "opioid-analgesic",
    "buprenorphine-and-methadone-medications": None,
    "buprenorphine-medications": "buprenorphine-oud",
    "methadone-medications": "methadone",
    "naloxone-medications": None,  # holds buprenorphine/naloxone and pentazocine/naloxone (codes.md §3 trap 2)
    "non-opioid-cns-depressant-medications": None,  # diphenoxylate products (codes.md §2m)
    "2.16.840.1.113762.1.4.1200.14": "opioid-analgesic",  # VSAC Opioids (Cliniwiz)
    "2.16.840.1.113883.3.3157.1004.11": None,  # VSAC Buprenorphine (Lewin)
    "2.16.840.1.113762.1.4.1032.42": None,  # VSAC Naloxone medications (MITRE)
    "2.16.840.1.113883.3.464.1003.198.12.1132": None,  # eCQM Opiate Antagonists (naltrexone, Contrave)
    "2.16.840.1.113762.1.4.1248.120": "opioid-analgesic",  # eCQM Opioids
    "2.16.840.1.113762.1.4.1196.226": "opioid-analgesic",  # eCQM Opioids, All
    "2.16.840.1.113762.1.4.1046.241": "opioid-analgesic",  # eCQM Schedule II, III and IV Opioid Medications
    "2.16.840.1.113762.1.4.1046.269": None,  # eCQM Medications for Opioid Use Disorder (MOUD)
    "2.16.840.1.113883.3.464.1003.1149": None,  # eCQM SUD Long Acting Medication
    "2.16.840.1.113883.3.464.1003.1150": None,  # eCQM SUD Short Acting Medication
    "2.16.840.1.113762.1.4.1248.119": "opioid-reversal",  # eCQM Opioid Antagonist (naloxone, nalmefene)
    "2.16.840.1.113883.3.526.3.1190": None,  # eCQM Tobacco Use Cessation Pharmacotherapy (Contrave)
    "2.16.840.1.113883.3.526.3.1561": None,  # eCQM Medications for Above Normal BMI (Contrave)
    "2.16.840.1.113883.3.464.1003.196.12.1274": None,  # eCQM Atropine (diphenoxylate/atropine)
    "2.16.840.1.113762.1.4.1248.22": "anticoagulant",  # eCQM Anticoagulants for All Indications
}
# Sets mostly about other drugs: only their codes whose name classifies are taken, the rest is not listed.
PARTIAL_SETS: frozenset[str] = frozenset({
    "non-opioid-cns-depressant-medications", "2.16.840.1.113883.3.526.3.1190", "2.16.840.1.113883.3.526.3.1561",
    "2.16.840.1.113883.3.464.1003.196.12.1274",
})
CONDITION_SETS: frozenset[str] = frozenset({
    "opioid-misuse-disorders",
    "conditions-documenting-substance-misuse",
    "2.16.840.1.113883.3.464.1003.106.11.1001",  # VSAC Substance Use Disorder (NCQA)
    "2.16.840.1.113883.3.464.1003.106.12.1001",  # eCQM Alcohol and Drug Dependence
    "2.16.840.1.113883.3.464.1003.106.12.1004",  # VSAC Substance use disorder
})
# Codes a set holds by mistake, left out with the reason.
NOT_IN_CLASS: dict[str, str] = {
    "1307713": "Kalopanax septemlobus bark extract: a plant extract in VSAC Opioids (Cliniwiz), not an opioid",
}
# A naloxone strength with no dose form is a component of a combination (e.g. 353392 "naloxone 2 MG" of
# buprenorphine/naloxone 8/2), not a rescue product (codes.md §3 "VSAC Naloxone medications").
_COMPONENT = re.compile(r"^(naloxone|nalmefene)( hydrochloride)? [\d.]+ mg$", re.IGNORECASE)


@dataclass
class ValueSet:
    """One value set as found in one file."""

    key: str
    source: dict[str, Any]
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # (system, code, display)


def read_files(root: Path) -> tuple[dict[str, str], Iterator[tuple[str, str]]]:
    """The origin of ``root`` and its candidate files as ``(path, text)``."""
    if (root / "HEAD").is_file() and (root / "objects").is_dir():
        return _git_origin(root), _git_files(root)
    if (root / ".git").exists():
        return _git_origin(root / ".git"), _git_files(root / ".git")
    files = (p for p in sorted(root.rglob("*")) if p.is_file() and _is_candidate(str(p)))
    return {"folder": str(root)}, ((str(p.relative_to(root)), p.read_text(encoding="utf-8")) for p in files)


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True,
                          text=True).stdout


def _git_origin(git_dir: Path) -> dict[str, str]:
    sha, when = _git(git_dir, "log", "-1", "--format=%H %cs", "HEAD").split()
    name = git_dir.parent.name if git_dir.name in ("repo", ".git") else git_dir.name
    return {"repo": name.replace("+", "/"), "commit": sha, "commit_date": when}


def _git_files(git_dir: Path) -> Iterator[tuple[str, str]]:
    for line in _git(git_dir, "ls-tree", "-r", "HEAD").splitlines():
        meta, path = line.split("\t", 1)
        if meta.split()[1] == "blob" and _is_candidate(path):
            try:
                yield path, _git(git_dir, "show", f"HEAD:{path}")
            except subprocess.CalledProcessError:  # a snapshot may list a large file it does not hold
                sys.stderr.write(f"skipped {path} (not in the snapshot)\n")


def _is_candidate(path: str) -> bool:
    """Any JSON file (ValueSets are told by their ``resourceType``); eCQM Python files by their name."""
    lower = path.lower()
    return lower.endswith(".json") or ("value_set" in lower and Path(lower).name in ("medication.py", "condition.py"))


def value_sets(path: str, text: str, origin: dict[str, str]) -> list[ValueSet]:
    """The wanted value sets of one file."""
    wanted = MEDICATION_SETS.keys() | CONDITION_SETS
    found = _python_sets(text) if path.endswith(".py") else _json_sets(text)
    return [ValueSet(key, {**origin, "path": path, **meta}, codes) for key, meta, codes in found if key in wanted]


def _json_sets(text: str) -> list[tuple[str, dict[str, Any], list[tuple[str, str, str]]]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:  # opioid-cds-r4 holds a few files with an extra brace
        sys.stderr.write(f"skipped a file that is not JSON ({exc})\n")
        return []
    resources = [e.get("resource", {}) for e in doc.get("entry", [])] if doc.get("resourceType") == "Bundle" else [doc]
    out = []
    for vs in (r for r in resources if isinstance(r, dict) and r.get("resourceType") == "ValueSet"):
        url = str(vs.get("url", ""))
        key = url.rstrip("/").rsplit("/", 1)[-1].removeprefix("valueset-")
        expansion = vs.get("expansion", {})
        meta = {"url": url, "title": vs.get("title") or vs.get("name"), "version": vs.get("version"),
                "expansion": expansion.get("timestamp") or expansion.get("identifier")}
        codes = list(_contains(expansion.get("contains", [])))
        for include in vs.get("compose", {}).get("include", []):
            codes += [(include.get("system", ""), str(c["code"]), c.get("display", ""))
                      for c in include.get("concept", [])]
        out.append((key, meta, codes))
    return out


def _contains(items: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    for item in items:
        if "code" in item:
            yield item.get("system", ""), str(item["code"]), item.get("display", "")
        yield from _contains(item.get("contains", []))


_ECQM_CLASS = re.compile(r"^class \w+\(ValueSet\):$", re.MULTILINE)
_ECQM_SYSTEMS = {"RXNORM": RXNORM, "SNOMEDCT": SNOMED, "ICD10CM": ICD10CM}


def _python_sets(text: str) -> list[tuple[str, dict[str, Any], list[tuple[str, str, str]]]]:
    """eCQM value sets written as Python classes: read as text, never imported or run."""
    out = []
    for block in _ECQM_CLASS.split(text)[1:]:
        fields = dict(re.findall(r'^    (VALUE_SET_NAME|OID|DEFINITION_VERSION|EXPANSION_VERSION) = "([^"]*)"',
                                 block, re.MULTILINE))
        codes = []
        for system, body in re.findall(r"^    (\w+) = \{\n(.*?)^    \}", block, re.MULTILINE | re.DOTALL):
            for code, display in re.findall(r'^\s+("[^"]+"),\s*# (.*)$', body, re.MULTILINE):
                codes.append((_ECQM_SYSTEMS.get(system, system), str(ast.literal_eval(code)), display.strip()))
        meta = {"url": f"http://cts.nlm.nih.gov/fhir/ValueSet/{fields.get('OID', '')}",
                "title": fields.get("VALUE_SET_NAME"), "version": fields.get("DEFINITION_VERSION"),
                "expansion": fields.get("EXPANSION_VERSION")}
        out.append((fields.get("OID", ""), meta, codes))
    return out


def _tty(display: str) -> str:
    """The RxNorm term type as the name shows it (the sources rarely state it; codes.md §2 legend)."""
    if "{" in display and "pack" in display.lower():
        return "BPCK" if display.rstrip().endswith("]") else "GPCK"
    if display.rstrip().endswith("]"):
        return "SBD"
    return "SCD" if re.search(r"\d", display) else "name"


def medication_rows(sets: list[ValueSet]) -> tuple[dict[str, Any], dict[str, str]]:
    """code -> row for every RxNorm code of the medication sets (``"in"``: the numbers of the sets
    holding it, as listed in the header), and the codes left out with why."""
    rows: dict[str, Any] = {}
    excluded: dict[str, str] = {}
    extended = {c for vs in sets if vs.key.startswith("extended-release") for _, c, _ in vs.codes}
    for n, vs in enumerate(sets):
        for system, code, display in vs.codes:
            if system != RXNORM:
                continue
            if code in rows:
                if n not in rows[code]["in"]:
                    rows[code]["in"].append(n)
                continue
            if code in NOT_IN_CLASS:
                excluded[code] = NOT_IN_CLASS[code]
                continue
            found = classify_product_name(display)
            if found is not None and found.medication_class == "opioid-reversal" and _COMPONENT.match(display):
                excluded[code] = f"{display}: a component of a combination, not a rescue product"
                continue
            cls = found.medication_class if found else MEDICATION_SETS[vs.key]
            if cls is None:
                if vs.key not in PARTIAL_SETS:
                    excluded.setdefault(code, f"{display}: the name names no known product")
                continue
            action = found.opioid_action if found else ("long" if code in extended else "short")
            if cls == "anticoagulant":
                action = None
            rows[code] = {"class": cls, "ingredient": found.ingredient if found else "", "action": action,
                          "display": display, "tty": _tty(display), "in": [n]}
            excluded.pop(code, None)
    return rows, excluded


def condition_rows(sets: list[ValueSet]) -> dict[str, dict[str, Any]]:
    """``{"snomed": {...}, "icd10cm": {...}}``: the OUD and AUD diagnoses of the condition sets."""
    out: dict[str, dict[str, Any]] = {"snomed": {}, "icd10cm": {}}
    for n, vs in enumerate(sets):
        for system, code, display in vs.codes:
            kind, table = ((icd10_kind(code), "icd10cm") if system == ICD10CM
                           else (classify_condition_text(display), "snomed") if system == SNOMED else (None, ""))
            if kind is None:
                continue
            row = out[table].setdefault(code, {"kind": kind, "display": display, "in": []})
            if n not in row["in"]:
                row["in"].append(n)
    return out


def write_table(path: Path, header: dict[str, Any], codes: dict[str, Any]) -> None:
    """A JSON table: the header pretty-printed, then one code per line (stable, reviewable diffs)."""
    head = json.dumps(header, indent=1, ensure_ascii=False)[:-2]
    lines = [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, sort_keys=True)}" for k, v in sorted(codes.items())]
    path.write_text(head + ',\n "codes": {\n' + ",\n".join(lines) + "\n }\n}\n", encoding="utf-8")


def write_conditions(path: Path, header: dict[str, Any], codes: dict[str, dict[str, Any]]) -> None:
    head = json.dumps(header, indent=1, ensure_ascii=False)[:-2]
    parts = []
    for table in ("icd10cm", "snomed"):
        lines = [f"   {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, sort_keys=True)}"
                 for k, v in sorted(codes[table].items())]
        parts.append(f'  "{table}": {{\n' + ",\n".join(lines) + "\n  }")
    path.write_text(head + ',\n "codes": {\n' + ",\n".join(parts) + "\n }\n}\n", encoding="utf-8")


def _header(date: str, sets: list[ValueSet]) -> dict[str, Any]:
    sources = [{"n": n, **vs.source, "codes": len(vs.codes)} for n, vs in enumerate(sets)]
    return {"generated": date, "generator": "scripts/generate_code_tables.py", "sources": sources}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path, help="git directories, checkouts or folders of value sets")
    parser.add_argument("--out", type=Path, default=OUT, help="where the tables are written")
    parser.add_argument("--date", default=datetime.now(UTC).date().isoformat(), help="date of generation")
    args = parser.parse_args(argv)
    sets: list[ValueSet] = []
    for root in args.sources:
        origin, files = read_files(root)
        for path, text in files:
            sets += value_sets(path, text, origin)
    medication_sets = [vs for vs in sets if vs.key in MEDICATION_SETS]
    condition_sets = [vs for vs in sets if vs.key in CONDITION_SETS]
    rows, excluded = medication_rows(medication_sets)
    conditions = condition_rows(condition_sets)
    args.out.mkdir(parents=True, exist_ok=True)
    write_table(args.out / RXNORM_TABLE, {**_header(args.date, medication_sets),
                                          "excluded": dict(sorted(excluded.items()))}, rows)
    write_conditions(args.out / CONDITION_TABLE, _header(args.date, condition_sets), conditions)
    counts = {t: len(c) for t, c in conditions.items()}
    sys.stdout.write(f"{len(sets)} value sets; {len(rows)} RxNorm codes ({len(excluded)} left out); "
                     f"diagnoses {counts}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
