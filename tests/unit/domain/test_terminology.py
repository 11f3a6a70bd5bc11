"""The terminology layer: the generated code tables swept against their source value sets, the
traps of codes.md §3 and clinical.md §8 by hand, and the display-text fallback for unknown codes."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from naltrack.domain.catalog import OPIOID_CLASSES, all_medications, find_medication
from naltrack.domain.terminology import (
    CONDITION_TABLE,
    ICD10CM,
    RXNORM_TABLE,
    SNOMED,
    classify_condition,
    classify_product_name,
    classify_rxnorm,
    condition_table,
    excluded_rxnorm,
    resolve_rxnorm,
    rxnorm_table,
)

UNKNOWN = "999999999"  # not an RxNorm code of the catalog or the tables


def _header(name: str) -> dict[str, Any]:
    text = resources.files("naltrack.domain.code_tables").joinpath(name).read_text(encoding="utf-8")
    header: dict[str, Any] = json.loads(text)
    return header


def _codes_of(set_id: str) -> set[str]:
    """The table's codes that came from the value set with this id (CDC id or OID), in any version."""
    numbers = {s["n"] for s in _header(RXNORM_TABLE)["sources"]
               if s["url"].rsplit("/", 1)[-1].removeprefix("valueset-") == set_id}
    assert numbers, f"no source set {set_id}"
    return {code for code, row in rxnorm_table().items() if numbers & set(row["in"])}


# The tables and their sources ---------------------------------------------------------------------

def test_each_table_names_its_sources_versions_and_date_of_generation() -> None:
    for name in (RXNORM_TABLE, CONDITION_TABLE):
        header = _header(name)
        assert header["generated"] and header["generator"] == "scripts/generate_code_tables.py"
        for source in header["sources"]:
            assert source["url"].startswith("http")
            assert source["path"] and source["codes"] > 0
            assert source["version"] or source["expansion"], source
            assert len(source["commit"]) == 40


def test_the_rxnorm_table_holds_the_cdc_opioid_analgesic_set_of_every_version() -> None:
    cdc = {s["url"] for s in _header(RXNORM_TABLE)["sources"] if s["repo"] == "cqframework/opioid-cds-r4"}
    assert "http://fhir.org/guides/cdc/opioid-cds/ValueSet/opioid-analgesics-with-ambulatory-misuse-potential" in cdc
    assert len(_codes_of("opioid-analgesics-with-ambulatory-misuse-potential")) >= 1177
    assert len(rxnorm_table()) >= 2000


def test_every_table_code_classifies_as_its_row_and_the_catalog_agrees_with_the_table() -> None:
    table = rxnorm_table()
    assert all(classify_rxnorm(code) == row["class"] for code, row in table.items())
    disagreements = [(m.code, m.medication_class, table[m.code]["class"]) for m in all_medications()
                     if m.code in table and (m.medication_class, m.opioid_action)
                     != (table[m.code]["class"], table[m.code]["action"])]
    assert disagreements == []


# Sweeps over the source value sets ----------------------------------------------------------------

@pytest.mark.parametrize("set_id", [
    "opioid-analgesics-with-ambulatory-misuse-potential",  # CDC, 1,177 codes (2020) and 557 (2025)
    "extended-release-opioid-with-ambulatory-misuse-potential",
    "non-synthetic-opioid-medications", "synthetic-opioid-medications", "fentanyl-type-medications",
    "oxycodone-medications",
    "2.16.840.1.113762.1.4.1200.14",  # VSAC Opioids (Cliniwiz): holds loperamide, not an opioid class
    "2.16.840.1.113762.1.4.1196.226",  # eCQM Opioids, All
])
def test_at_least_99_percent_of_an_opioid_sets_codes_are_opioids(set_id: str) -> None:
    codes = _codes_of(set_id)
    opioids = [c for c in codes if classify_rxnorm(c) in OPIOID_CLASSES]
    assert len(opioids) / len(codes) >= 0.99, sorted(set(codes) - set(opioids))


def test_every_code_of_the_cdc_opioid_analgesic_set_is_an_opioid_for_a_draft_order() -> None:
    resolved = {c: resolve_rxnorm(c) for c in _codes_of("opioid-analgesics-with-ambulatory-misuse-potential")}
    assert [c for c, med in resolved.items() if med is None or not med.is_opioid] == []
    # ... with how long it acts, which sets the opioid-free interval (clinical.md §2.1)
    assert [c for c, med in resolved.items() if med is None or med.opioid_action is None] == []


@pytest.mark.parametrize("set_id", ["buprenorphine-medications", "buprenorphine-and-methadone-medications",
                                    "methadone-medications", "2.16.840.1.113883.3.3157.1004.11"])
def test_every_buprenorphine_and_methadone_code_is_buprenorphine_or_methadone(set_id: str) -> None:
    table = rxnorm_table()
    wrong = []
    for code in _codes_of(set_id):
        name = table[code]["display"].lower()
        if "normethadone" in name:  # an opioid of its own (with oxilofrine), not methadone
            continue
        methadone = "methadone" in name or any(b in name for b in ("dolophine", "methadose", "diskets"))
        expected = {"methadone"} if methadone else {"buprenorphine-oud", "buprenorphine-pain"}
        if classify_rxnorm(code) not in expected:
            wrong.append(code)
    assert wrong == []


def test_every_naltrexone_code_is_sorted_by_product() -> None:
    by_class: dict[str | None, set[str]] = {}
    for code, row in rxnorm_table().items():
        if "naltrexone" in row["display"].lower():
            by_class.setdefault(classify_rxnorm(code), set()).add(code)
    assert by_class.pop("naltrexone-oral") == {"1483744"}
    assert by_class.pop("naltrexone-xr") == {"637213"}
    assert by_class.pop("naltrexone-not-mat") == {"1551468"}  # Contrave
    agonists = by_class.pop("opioid-analgesic")  # Embeda, Troxyca
    assert len(agonists) >= 20
    assert {rxnorm_table()[c]["ingredient"] for c in agonists} == {"morphine/naltrexone", "oxycodone/naltrexone"}
    assert by_class == {}


def test_naloxone_sets_keep_combinations_out_of_rescue() -> None:
    table = rxnorm_table()
    rescue = {c for c in _codes_of("naloxone-medications") if classify_rxnorm(c) == "opioid-reversal"}
    assert rescue and all(not any(w in table[c]["display"].lower() for w in ("buprenorphine", "pentazocine",
                                                                            "tilidine", "oxycodone"))
                          for c in rescue)
    assert "353392" in excluded_rxnorm()  # "naloxone 2 MG", the naloxone of buprenorphine/naloxone 8/2


def test_every_oud_and_aud_diagnosis_of_the_tables_is_classified() -> None:
    tables = condition_table()
    assert len(tables["icd10cm"]) >= 150 and len(tables["snomed"]) >= 70
    for code, row in tables["icd10cm"].items():
        assert classify_condition(ICD10CM, code) == row["kind"] == ("oud" if code.startswith("F11") else "aud")
    for code, row in tables["snomed"].items():
        assert classify_condition(SNOMED, code) == row["kind"]
    kinds = {row["kind"] for row in tables["snomed"].values()}
    assert kinds == {"oud", "aud"}


# The traps, by hand (codes.md §3, clinical.md §4 and §8) -------------------------------------------

@pytest.mark.parametrize(("code", "expected", "action"), [
    ("1551468", "naltrexone-not-mat", None),  # Contrave: blocks opioids, not MAT
    ("863845", "opioid-analgesic", "long"),  # Embeda: morphine with sequestered naltrexone
    ("1806701", "opioid-analgesic", "long"),  # Troxyca
    ("1010600", "buprenorphine-oud", "buprenorphine"),  # buprenorphine/naloxone is not rescue naloxone
    ("312289", "mixed-agonist-antagonist", "short"),  # pentazocine/naloxone
    ("411499", "opioid-analgesic", "short"),  # tilidine/naloxone
    ("904882", "buprenorphine-pain", "buprenorphine"),  # BuTrans
    ("1716063", "buprenorphine-pain", "buprenorphine"),  # Belbuca
    ("205533", "buprenorphine-pain", "buprenorphine"),  # Buprenex
    ("246474", "buprenorphine-pain", "buprenorphine"),  # 0.2 MG sublingual: not an OUD strength
    ("1996189", "buprenorphine-oud", "long-acting-buprenorphine"),  # Sublocade
    ("2639027", "buprenorphine-oud", "long-acting-buprenorphine"),  # Brixadi
    ("1797655", "buprenorphine-oud", "long-acting-buprenorphine"),  # Probuphine
    ("3289", "non-opioid-antitussive", None),  # dextromethorphan: not a mu agonist
    ("995872", "opioid-antitussive", "short"),  # codeine/guaifenesin [Cheratussin]
    ("1190641", "opioid-antidiarrheal", "short"),  # Lomotil
    ("6468", "peripheral-opioid-antidiarrheal", None),  # loperamide
    ("1603495", "opioid-analgesic", "fentanyl"),  # fentanyl patch
    ("864714", "methadone", "methadone"),  # methadone injection
    ("1725064", "opioid-reversal", None),  # Narcan 4 mg
    ("2639721", "opioid-reversal", None),  # nalmefene nasal
])
def test_traps_are_classified_by_product(code: str, expected: str, action: str | None) -> None:
    med = resolve_rxnorm(code)
    assert med is not None
    assert (med.medication_class, med.opioid_action) == (expected, action)


def test_a_catalog_code_resolves_to_its_catalog_entry() -> None:
    assert resolve_rxnorm("637213") is find_medication("637213")
    assert resolve_rxnorm("KRATOM") is find_medication("KRATOM")


def test_a_component_left_out_of_the_table_is_not_rescue_whatever_its_display() -> None:
    assert resolve_rxnorm("353392", "naloxone 2 MG") is None


# Unknown codes: the display text ---------------------------------------------------------------

@pytest.mark.parametrize(("display", "expected"), [
    ("Oxycodone HCl 5 mg tablet", "opioid-analgesic"),
    ("Hydrocodone/homatropine syrup", "opioid-antitussive"),
    ("Maeng Da kratom powder", "kratom"),
    ("7-hydroxymitragynine 15 mg tablet", "kratom"),
    ("Loperamide Hydrochloride 2 MG Oral Capsule", "peripheral-opioid-antidiarrheal"),
    ("Vivitrol 380 mg IM", "naltrexone-xr"),
    ("naltrexone 50 mg daily", "naltrexone-oral"),
    ("Contrave ER 8/90", "naltrexone-not-mat"),
    ("Embeda 30 mg/1.2 mg", "opioid-analgesic"),
    ("Suboxone 8-2 mg film", "buprenorphine-oud"),
    ("Butrans 10 mcg/hr patch", "buprenorphine-pain"),
    ("Narcan 4 mg nasal spray", "opioid-reversal"),
    ("Zubsolv", "buprenorphine-oud"),
    ("Dolophine 10 mg", "methadone"),
    ("Sublimaze", "opioid-analgesic"),
    ("dextromethorphan 30 mg", "non-opioid-antitussive"),
])
def test_an_unknown_code_is_classified_by_its_display(display: str, expected: str) -> None:
    assert classify_rxnorm(UNKNOWN, display) == expected


@pytest.mark.parametrize("display", [
    "methylnaltrexone 12 MG/ML Injectable Solution",  # Relistor: peripheral, does not block central opioids
    "naloxegol 25 MG Oral Tablet",
    "apomorphine 30 MG/ML Injectable Solution",
    "ibuprofen 200 MG Oral Tablet",
    "",
])
def test_a_display_that_names_no_product_of_ours_is_not_classified(display: str) -> None:
    assert classify_rxnorm(UNKNOWN, display) is None


def test_an_unknown_code_without_a_display_is_not_classified() -> None:
    assert classify_rxnorm(UNKNOWN) is None
    assert resolve_rxnorm(UNKNOWN) is None


def test_a_display_resolution_says_where_it_came_from() -> None:
    med = resolve_rxnorm(UNKNOWN, "OxyContin 20 mg")
    assert med is not None
    assert (med.medication_class, med.opioid_action, med.ingredient, med.tty) == (
        "opioid-analgesic", "long", "oxycodone", "text")
    assert med.source == "ingredient words of the display"


def test_product_names_carry_the_combination_ingredients() -> None:
    found = classify_product_name("oxycodone hydrochloride 10 MG / naltrexone hydrochloride 1.2 MG ER Oral Capsule")
    assert found is not None and found.ingredient == "oxycodone/naltrexone"


# Diagnoses ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("system", "code", "expected"), [
    (ICD10CM, "F11.20", "oud"), (ICD10CM, "F1111", "oud"), (ICD10CM, "f11.23", "oud"),
    (ICD10CM, "F10.10", "aud"), (ICD10CM, "F10.239", "aud"),
    ("http://hl7.org/fhir/sid/icd-10", "F11.2", "oud"), ("icd10cm", "F10.20", "aud"), ("snomed", "75544000", "oud"),
    (ICD10CM, "F12.10", None), (ICD10CM, "T40.1X1A", None),
    (SNOMED, "75544000", "oud"), (SNOMED, "1081000119105", "oud"), (SNOMED, "724653003", "oud"),
    (SNOMED, "191821007", "oud"), (SNOMED, "5602001", "oud"), (SNOMED, "87132004", "oud"),
    (SNOMED, "191865004", "oud"),
    (SNOMED, "66590003", "aud"), (SNOMED, "7200002", "aud"), (SNOMED, "1336085007", "aud"),
    (SNOMED, "15167005", "aud"),
    (SNOMED, "1255014000", None),  # combined substance dependence, excluding opioids
    (SNOMED, "295174006", None),  # heroin overdose: not a use disorder
    (SNOMED, "420054005", None),  # alcoholic cirrhosis: a consequence, not the disorder
    (SNOMED, "38341003", None),  # hypertension
])
def test_diagnosis_codes_are_oud_or_aud(system: str, code: str, expected: str | None) -> None:
    assert classify_condition(system, code) == expected


@pytest.mark.parametrize(("display", "expected"), [
    ("Opioid use disorder, severe", "oud"),
    ("Alcohol use disorder, moderate, in early remission", "aud"),
    ("Accidental poisoning caused by heroin (disorder)", None),
    ("Fetal alcohol syndrome", None),
    ("Cannabis dependence", None),
])
def test_an_unknown_snomed_code_is_classified_by_its_display(display: str, expected: str | None) -> None:
    assert classify_condition(SNOMED, UNKNOWN, display) == expected
    assert classify_condition(SNOMED, UNKNOWN) is None
