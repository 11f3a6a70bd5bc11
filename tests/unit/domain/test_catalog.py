"""The catalog avoids the traps of public value sets (codes.md §3)."""

from __future__ import annotations

import pytest

from naltrack.domain.catalog import (
    all_medications,
    get_medication,
    is_naltrexone_therapy,
    is_rescue_naloxone,
)
from naltrack.domain.errors import NotFound


@pytest.mark.parametrize(
    ("code", "therapy"),
    [("1483744", True), ("637213", True), ("NTX-IMPLANT", True),
     ("1551468", False), ("863845", False), ("1806701", False)],
)
def test_only_naltrexone_products_count_as_naltrexone_therapy(code: str, therapy: bool) -> None:
    assert is_naltrexone_therapy(get_medication(code)) is therapy


@pytest.mark.parametrize(
    ("code", "rescue"), [("1725059", True), ("2639721", True), ("1010604", False), ("312289", False)])
def test_buprenorphine_naloxone_is_not_rescue_naloxone(code: str, rescue: bool) -> None:
    assert is_rescue_naloxone(get_medication(code)) is rescue


def test_embeda_is_an_opioid_and_dextromethorphan_is_not() -> None:
    assert get_medication("863845").is_opioid is True
    assert get_medication("3289").is_opioid is False


def test_pain_buprenorphine_is_told_apart_from_oud_buprenorphine() -> None:
    assert get_medication("904880").medication_class == "buprenorphine-pain"
    assert get_medication("351267").medication_class == "buprenorphine-oud"


def test_every_entry_names_its_source_and_codes_are_unique() -> None:
    meds = all_medications()
    assert all(m.source for m in meds)
    assert len({m.code for m in meds}) == len(meds)


def test_unknown_code_raises_not_found() -> None:
    with pytest.raises(NotFound, match=r"RxNorm code '0' not found"):
        get_medication("0")
