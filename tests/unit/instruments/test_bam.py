"""The Brief Addiction Monitor scored by its published rules (VA VISN 4 MIRECC / CESATE BAM manual; Cacciola et al.,
J Subst Abuse Treat 2013): use = items 4+5+6, risk = 1+2+3+8+11+15, protective = 9+10+12+13+14+16, items 7A-7G
and 17 in no score; item 5 skipped after 0 days of alcohol, 7A-7G after 0 days of drugs. The worked examples
below were written by hand from those rules (no published worked example was found to copy)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from naltrack.domain.errors import InvalidInput
from naltrack.domain.questionnaires import score_response
from naltrack.instruments import BamScores, bam_scores, get_instrument, score, to_fhir_questionnaire
from naltrack.instruments.bam import BAM_ITEMS

LINK_IDS = [item.link_id for item in BAM_ITEMS]


def bam(**answers: float | None) -> list[float | None]:
    """All 23 answers in form order, 0 unless named: ``bam(i1=3, i7a=None)`` (item 1 "Fair", item 7A left out)."""
    given = {f"bam-{key[1:]}": value for key, value in answers.items()}
    return [given.get(link_id, 0) for link_id in LINK_IDS]


def test_the_form_has_17_items_with_7a_to_7g_in_their_place() -> None:
    assert LINK_IDS == ["bam-1", "bam-2", "bam-3", "bam-4", "bam-5", "bam-6", "bam-7a", "bam-7b", "bam-7c",
                        "bam-7d", "bam-7e", "bam-7f", "bam-7g", *(f"bam-{n}" for n in range(8, 18))]
    assert get_instrument("BAM").item_count == 23
    assert BAM_ITEMS[3].option_labels == ("0 days", "1-3 days", "4-8 days", "9-15 days", "16-30 days")
    assert BAM_ITEMS[0].option_labels == ("Excellent", "Very good", "Good", "Fair", "Poor")
    assert dict(zip(BAM_ITEMS[-4].allowed, BAM_ITEMS[-4].option_labels, strict=True)) == {0: "No", 4: "Yes"}


def test_worked_example_heavy_use_at_intake() -> None:
    # Health fair (3); sleep 9-15 nights (3); mood 4-8 days (2); alcohol 16-30 days (4), heavy 9-15 (3);
    # drugs 4-8 days (2), marijuana 1-3 (1), opiates 4-8 (2); craving considerably (3); confidence slightly (1);
    # no meetings (0); risky situations 9-15 days (3); spirituality not at all (0); work 1-3 days (1); income no (0);
    # family problems moderately (2); supportive people 1-3 days (1); satisfied slightly (1).
    answers = bam(i1=3, i2=3, i3=2, i4=4, i5=3, i6=2, i7a=1, i7e=2, i8=3, i9=1, i11=3, i13=1, i15=2, i16=1, i17=1)
    result = score("bam", answers)
    assert result.subscales == (("use", 9), ("risk", 16), ("protective", 3))   # 4+3+2; 3+3+2+3+3+2; 1+0+0+1+0+1
    assert result.total == 9 and result.band == "scored-by-subscale"
    assert result.flags == ("bam-use", "bam-risk", "bam-protective")
    assert bam_scores(answers) == BamScores(use=9, risk=16, protective=3)


def test_worked_example_in_recovery_with_skipped_items() -> None:
    # Health good (2); sleep 1-3 nights (1); no alcohol (item 5 skipped) and no drugs (7A-7G skipped); craving
    # slightly (1); confidence extremely (4); meetings 9-15 days (3); spirituality moderately (2); work 16-30 (4);
    # income yes (4); supportive people 16-30 (4); satisfied considerably (3).
    answers = bam(i1=2, i2=1, i5=None, i8=1, i9=4, i10=3, i12=2, i13=4, i14=4, i16=4, i17=3,
                  **{f"i7{letter}": None for letter in "abcdefg"})
    result = score("bam", answers)
    assert result.subscales == (("use", 0), ("risk", 4), ("protective", 21))   # 2+1+0+1+0+0; 4+3+2+4+4+4
    assert result.flags == () and result.total == 0


def test_item_17_and_items_7a_to_7g_are_in_no_score() -> None:
    drugs = {f"i7{letter}": 4 for letter in "abcdefg"}
    assert bam_scores(bam(i6=1, i17=4, **drugs)) == bam_scores(bam(i6=1)) == BamScores(1, 0, 0)


@pytest.mark.parametrize(("name", "answers", "value", "flagged"), [
    # Use: clinically significant from 1
    ("use", bam(), 0, False),
    ("use", bam(i6=1), 1, True),                    # 1-3 days of drugs
    ("use", bam(i4=1), 1, True),                    # 1-3 days of alcohol, no heavy day
    ("use", bam(i4=4, i5=4, i6=4), 12, True),
    # Risk factors: clinically significant from 12
    ("risk", bam(i1=4, i2=4, i3=3), 11, False),
    ("risk", bam(i1=4, i2=4, i3=3, i15=1), 12, True),
    ("risk", bam(i1=4, i2=4, i3=4, i8=4, i11=4, i15=4), 24, True),
    # Protective factors: a concern at 12 or below
    ("protective", bam(i9=4, i10=4, i14=4), 12, True),
    ("protective", bam(i9=4, i10=4, i14=4, i13=1), 13, False),
    ("protective", bam(i9=4, i10=4, i12=4, i13=4, i14=4, i16=4), 24, False),
    ("protective", bam(), 0, True),
])
def test_each_subscale_is_flagged_in_its_clinically_significant_range(
        name: str, answers: list[float | None], value: int, flagged: bool) -> None:
    result = score("bam", answers)
    assert dict(result.subscales)[name] == value
    assert (f"bam-{name}" in result.flags) is flagged


def test_item_5_is_skipped_and_scores_0_after_no_days_of_alcohol() -> None:
    assert bam_scores(bam(i4=0, i5=None)) == bam_scores(bam(i4=0, i5=0)) == BamScores(0, 0, 0)
    with pytest.raises(InvalidInput, match=r"bam\.bam-5 \(Days of heavy drinking.*\): 2 must be 0 or left out: "
                                           r"the item is skipped when bam-4 \(Days with any alcohol\) is 0"):
        score("bam", bam(i4=0, i5=2))


def test_item_5_is_asked_after_any_day_of_alcohol() -> None:
    assert bam_scores(bam(i4=1, i5=1)).use == 2
    with pytest.raises(InvalidInput, match=r"bam\.bam-5 \(Days of heavy drinking.*\): None is missing"):
        score("bam", bam(i4=1, i5=None))


def test_items_7a_to_7g_are_skipped_after_no_days_of_drugs() -> None:
    with pytest.raises(InvalidInput, match=r"bam\.bam-7e \(Days using opiates\): 1 must be 0 or left out"):
        score("bam", bam(i6=0, i7e=1))
    with pytest.raises(InvalidInput, match=r"bam\.bam-7a \(Days using marijuana \(cannabis\)\): None is missing"):
        score("bam", bam(i6=2, i7a=None))


@pytest.mark.parametrize(("answers", "message"), [
    (bam(i14=2), r"bam\.bam-14 \(Enough legal income for necessities\): 2 must be one of 0, 4"),
    (bam(i1=5), r"bam\.bam-1 \(Physical health\): 5 must be one of 0, 1, 2, 3, 4"),
    (bam(i8=1.5), r"bam\.bam-8 \(Bothered by cravings.*\): 1.5 must be one of 0, 1, 2, 3, 4"),
    (bam(i2=-1), r"bam\.bam-2 .*: -1 must be one of 0, 1, 2, 3, 4"),
    ([0] * 17, r"bam\.bam-12 \(Religion or spirituality.*\): None is missing: bam needs all 23 answers"),
    ([0] * 24, r"answers: 24 answers given; bam has 23 items"),
])
def test_invalid_answers_are_refused_naming_the_item(answers: list[float | None], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        bam_scores(answers)


def test_the_subscales_are_in_the_json_shape_of_the_bam_only() -> None:
    assert score("bam", bam(i6=1)).as_dict() == {
        "instrument": "bam", "total": 1, "band": "scored-by-subscale", "flags": ["bam-use", "bam-protective"],
        "subscales": {"use": 1, "risk": 0, "protective": 0}}
    assert "subscales" not in score("phq-9", [0] * 9).as_dict()
    assert score("phq-9", [0] * 9).subscales == ()


def test_a_skipped_item_is_stored_as_its_score_0() -> None:
    response = score_response("female", "bam", bam(i5=None), id="q1", patient_id="p1",
                              completed_at=datetime(2026, 3, 1, tzinfo=UTC))
    assert response.answers[4] == 0.0 and None not in response.answers
    assert (response.total, response.band, response.flags) == (0.0, "scored-by-subscale", ("bam-protective",))


def test_the_exported_questionnaire_asks_skipped_items_only_when_they_apply() -> None:
    items = {item["linkId"]: item for item in to_fhir_questionnaire("bam")["item"]}
    assert items["bam-5"]["enableWhen"] == [{"question": "bam-4", "operator": "!=", "answerCoding": {
        "system": "urn:naltrack:answer-points", "code": "0"}}]
    assert items["bam-7g"]["enableWhen"][0]["question"] == "bam-6"
    assert "enableWhen" not in items["bam-4"]


def test_no_loinc_is_claimed_and_the_gap_is_said() -> None:
    instrument = get_instrument("brief addiction monitor")
    assert instrument.total_loinc is None and instrument.panel_loinc is None
    assert "UNCONFIRMED" in instrument.code_note
