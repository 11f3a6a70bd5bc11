"""Finding medications and OUD/AUD diagnoses by name (domain/code_search.py)."""

from __future__ import annotations

import pytest

from naltrack.domain.code_search import (
    MAX_MATCHES,
    MAX_SEARCH_CHARS,
    describe_medication,
    find_diagnosis,
    medication_group,
    search_diagnoses,
    search_medications,
)
from naltrack.domain.errors import InvalidInput


def test_oxycodone_finds_the_ingredient_first_and_only_oxycodone_products_as_opioids():
    matches = search_medications("oxycodone", 20)
    assert matches[0].code == "7804" and matches[0].display == "oxycodone"
    assert len(matches) == 20
    assert all("oxycodone" in (m.display.lower()) or m.display.istitle() for m in matches)
    assert {m.group for m in matches} == {"opioid"}


def test_buprenorphine_products_are_buprenorphine_whether_for_oud_or_for_pain():
    matches = search_medications("buprenorphine", MAX_MATCHES)
    assert matches[0].code == "1819"
    assert {m.group for m in matches} == {"buprenorphine"}
    assert {m.medication_class for m in matches} == {"buprenorphine-oud", "buprenorphine-pain"}


def test_every_word_must_start_a_word_of_the_name():
    matches = search_medications("oxy 5 tab", 50)
    assert matches
    for m in matches:
        words = m.display.lower().split()
        assert all(any(w.startswith(t) for w in words) for t in ("oxy", "5", "tab")), m.display
    assert search_medications("oxycodonex", 5) == []


def test_a_brand_finds_itself_first_then_its_ingredient():
    assert search_medications("contrave", 1)[0].code == "1551468"
    vivitrol = search_medications("Vivitrol", 3)
    assert vivitrol[0].code == "7243" and "637213" in [m.code for m in vivitrol]


def test_a_code_finds_its_entry_first_and_local_codes_are_found():
    assert [m.code for m in search_medications("1010600", 3)][0] == "1010600"
    [kratom] = search_medications("kratom", 5)
    assert (kratom.code, kratom.group) == ("KRATOM", "opioid")


def test_methadone_and_the_rest_are_grouped_in_words():
    assert search_medications("methadone", 1)[0].group == "methadone"
    assert search_medications("naloxone", 1)[0].group == "other"
    assert search_medications("loperamide", 1)[0].group == "other"
    assert (medication_group("methadone"), medication_group("kratom"), medication_group("naltrexone-xr"),
            medication_group(None)) == ("methadone", "opioid", "other", "other")


def test_an_unclassified_code_is_described_by_its_code():
    unknown = describe_medication("31415926")
    assert (unknown.display, unknown.medication_class, unknown.group) == ("31415926", None, "other")
    assert describe_medication("637213").medication_class == "naltrexone-xr"


def test_empty_text_finds_nothing_and_long_text_is_cut():
    assert search_medications("   ", 5) == [] and search_diagnoses("", 5) == []
    beyond_the_cut = "oxycodone" + " " * (MAX_SEARCH_CHARS - 5) + "zzzz"
    assert search_medications(beyond_the_cut, 5)[0].code == "7804"


@pytest.mark.parametrize("limit", [0, MAX_MATCHES + 1, True])
def test_a_limit_outside_its_bounds_is_refused(limit):
    with pytest.raises(InvalidInput, match=f"limit: {limit!r} must be a whole number from 1 to {MAX_MATCHES}"):
        search_medications("oxycodone", limit)


def test_diagnoses_by_name_put_icd10cm_first_and_say_oud_or_aud():
    matches = search_diagnoses("opioid dependence", 10)
    assert matches[0].system == "icd10cm" and matches[0].code == "F11.2"
    assert {m.kind for m in matches} == {"oud"}
    assert search_diagnoses("alcohol dependence", 1)[0].kind == "aud"


def test_diagnoses_by_code_start_and_without_the_dotless_duplicates():
    codes = [m.code for m in search_diagnoses("F11.2", 20)]
    assert codes[0] == "F11.2" and "F11.20" in codes and "F1120" not in codes
    assert all(c.startswith("F11.2") for c in codes)


def test_a_diagnosis_code_is_found_only_in_its_own_system():
    assert find_diagnosis("icd10cm", "F10.20").display.startswith("Alcohol dependence")
    assert find_diagnosis("snomed", "F10.20") is None
    assert find_diagnosis("snomed", "1081000119105").kind == "oud"
