"""Scoring checked against worked examples and the band boundaries of clinical.md §2.4 and §5."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.domain.errors import InvalidInput
from naltrack.instruments import INSTRUMENTS, get_instrument, score, to_fhir_questionnaire


@pytest.mark.parametrize(
    ("instrument", "answers", "total", "band"),
    [
        # AUDIT zones I-IV (clinical.md §5): 7/8, 15/16, 19/20
        ("audit", [4, 3, 0, 0, 0, 0, 0, 0, 0, 0], 7, "zone-i"),
        ("audit", [4, 4, 0, 0, 0, 0, 0, 0, 0, 0], 8, "zone-ii"),
        ("audit", [4, 4, 4, 1, 0, 0, 0, 0, 2, 0], 15, "zone-ii"),
        ("audit", [4, 4, 4, 0, 0, 0, 0, 0, 2, 2], 16, "zone-iii"),
        ("audit", [4, 4, 4, 1, 1, 1, 1, 1, 2, 0], 19, "zone-iii"),
        ("audit", [4, 4, 4, 1, 1, 1, 1, 2, 2, 0], 20, "zone-iv"),
        ("audit", [4] * 8 + [4, 4], 40, "zone-iv"),
        # CAGE >= 2 clinically significant
        ("cage", [1, 0, 0, 0], 1, "not-significant"),
        ("cage", [1, 0, 0, 1], 2, "clinically-significant"),
        # DAST-10: item 3 reverse-scored; 0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe
        ("dast-10", [0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 0, "none"),
        ("dast-10", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1, "low"),
        ("dast-10", [1, 1, 1, 0, 0, 0, 0, 0, 0, 0], 2, "low"),
        ("dast-10", [1, 1, 0, 0, 0, 0, 0, 0, 0, 0], 3, "moderate"),
        ("dast-10", [1, 1, 0, 1, 1, 0, 0, 0, 0, 0], 5, "moderate"),
        ("dast-10", [1, 1, 0, 1, 1, 1, 0, 0, 0, 0], 6, "substantial"),
        ("dast-10", [1, 1, 0, 1, 1, 1, 1, 1, 0, 0], 8, "substantial"),
        ("dast-10", [1, 1, 0, 1, 1, 1, 1, 1, 1, 0], 9, "severe"),
        ("dast-10", [1, 1, 0, 1, 1, 1, 1, 1, 1, 1], 10, "severe"),
        # PHQ-9: 4/5, 9/10, 14/15, 19/20
        ("phq-9", [1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ("phq-9", [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ("phq-9", [1, 1, 1, 1, 1, 1, 1, 1, 1], 9, "mild"),
        ("phq-9", [2, 1, 1, 1, 1, 1, 1, 1, 1], 10, "moderate"),
        ("phq-9", [2, 2, 2, 2, 2, 1, 1, 1, 1], 14, "moderate"),
        ("phq-9", [2, 2, 2, 2, 2, 2, 1, 1, 1], 15, "moderately-severe"),
        ("phq-9", [3, 3, 3, 2, 2, 2, 2, 1, 1], 19, "moderately-severe"),
        ("phq-9", [3, 3, 3, 3, 2, 2, 2, 1, 1], 20, "severe"),
        ("phq-9", [3] * 9, 27, "severe"),
        # GAD-7: 4/5, 9/10, 14/15
        ("gad-7", [1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
        ("gad-7", [1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ("gad-7", [2, 2, 1, 1, 1, 1, 1], 9, "mild"),
        ("gad-7", [2, 2, 2, 1, 1, 1, 1], 10, "moderate"),
        ("gad-7", [2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
        ("gad-7", [3, 2, 2, 2, 2, 2, 2], 15, "severe"),
        ("gad-7", [3] * 7, 21, "severe"),
        # COWS (clinical.md §2.4): 5-12 mild, 13-24 moderate, 25-36 moderately severe, >36 severe
        ("cows", [0] * 11, 0, "none"),
        ("cows", [4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 4, "none"),
        ("cows", [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], 5, "mild"),
        ("cows", [4, 4, 0, 0, 4, 0, 0, 0, 0, 0, 0], 12, "mild"),
        ("cows", [4, 4, 0, 0, 4, 0, 0, 0, 0, 1, 0], 13, "moderate"),
        ("cows", [4, 4, 5, 5, 4, 2, 0, 0, 0, 0, 0], 24, "moderate"),
        ("cows", [4, 4, 5, 5, 4, 2, 0, 0, 0, 1, 0], 25, "moderately-severe"),
        ("cows", [4, 4, 5, 5, 4, 4, 5, 4, 0, 1, 0], 36, "moderately-severe"),
        ("cows", [4, 4, 5, 5, 4, 4, 5, 4, 0, 1, 3], 39, "severe"),
        ("cows", [4, 4, 5, 5, 4, 4, 5, 4, 4, 4, 5], 48, "severe"),
        # Craving VAS: continuous, not banded
        ("craving-vas", [7.5], 7.5, "unbanded"),
        ("craving-vas", [0], 0.0, "unbanded"),
    ],
)
def test_scores_worked_examples(instrument: str, answers: list[float], total: float, band: str) -> None:
    result = score(instrument, answers)
    assert result.total == total
    assert result.band == band
    assert result.instrument == instrument


@pytest.mark.parametrize(
    ("answers", "sex", "band"),
    [
        ([1, 1, 1], "female", "positive"),   # women: positive at >= 3
        ([1, 1, 0], "female", "negative"),
        ([1, 1, 1], "male", "negative"),     # men: positive at >= 4
        ([2, 1, 1], "male", "positive"),
        ([1, 1, 1], None, "positive"),       # unknown sex: the lower cut-off
    ],
)
def test_audit_c_cutoffs_depend_on_sex(answers: list[int], sex: str | None, band: str) -> None:
    assert score("audit-c", answers, sex=sex).band == band


def test_audit_c_without_sex_says_which_cutoff_was_used() -> None:
    assert score("audit-c", [0, 0, 0]).flags == ("lower-cutoff-sex-unknown",)
    assert score("audit-c", [0, 0, 0], sex="male").flags == ()


def test_phq9_item9_above_zero_is_flagged_even_with_a_minimal_total() -> None:
    result = score("phq-9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.band == "minimal"
    assert result.flags == ("item-9-positive",)
    assert score("phq-9", [0] * 9).flags == ()


def test_phq9_and_gad7_ask_for_further_evaluation_from_10() -> None:
    assert "further-evaluation" in score("phq-9", [2, 1, 1, 1, 1, 1, 1, 1, 1]).flags
    assert "further-evaluation" not in score("phq-9", [1] * 9).flags
    assert score("gad-7", [2, 2, 2, 1, 1, 1, 1]).flags == ("further-evaluation",)


def test_audit_escalation_flag() -> None:
    assert "escalate-zone" in score("audit", [1, 0, 0, 1, 1, 0, 0, 0, 0, 0]).flags
    assert "escalate-zone" in score("audit", [1, 0, 0, 0, 0, 0, 0, 0, 4, 0]).flags
    assert score("audit", [1, 0, 0, 1, 0, 0, 0, 0, 2, 2]).flags == ()


def test_instrument_ids_are_case_insensitive_with_aliases() -> None:
    assert score("PHQ9", [0] * 9).instrument == "phq-9"
    assert score("AUDIT-C", [0, 0, 0], sex="male").instrument == "audit-c"


def test_rejects_unknown_instrument_naming_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match=r"instrument: 'bdi' is not an instrument \(audit, audit-c"):
        score("bdi", [0])


def test_rejects_a_missing_answer_naming_the_item() -> None:
    with pytest.raises(InvalidInput, match=r"phq-9\.phq-9-9 \(Thoughts of self-harm.*None is missing"):
        score("phq-9", [0] * 8)


def test_rejects_none_answer_naming_the_item() -> None:
    with pytest.raises(InvalidInput, match=r"gad-7\.gad-7-3 .* is missing"):
        score("gad-7", [0, 0, None, 0, 0, 0, 0])  # type: ignore[list-item]


def test_rejects_too_many_answers() -> None:
    with pytest.raises(InvalidInput, match="answers: 10 answers given; phq-9 has 9 items"):
        score("phq-9", [0] * 10)


@pytest.mark.parametrize(
    ("instrument", "answers", "message"),
    [
        ("phq-9", [0, 0, 4, 0, 0, 0, 0, 0, 0], r"phq-9\.phq-9-3 .*: 4 must be one of 0, 1, 2, 3"),
        ("phq-9", [0, 0, -1, 0, 0, 0, 0, 0, 0], r"phq-9-3 .*: -1 must be one of 0, 1, 2, 3"),
        ("audit", [0] * 8 + [1, 0], r"audit\.audit-9 .*: 1 must be one of 0, 2, 4"),
        ("cows", [3] + [0] * 10, r"cows\.cows-1 .*: 3 must be one of 0, 1, 2, 4"),
        ("cows", [0] * 10 + [1], r"cows\.cows-11 .*: 1 must be one of 0, 3, 5"),
        ("craving-vas", [10.5], r"craving-vas-1 .*: 10.5 must be between 0 and 10"),
        ("cage", [1, 0, 0, True], r"cage-4 .*: True must be a number"),
        ("gad-7", [0, 0, 0, 0, 0, 0, float("nan")], r"gad-7-7 .*: nan must be a number"),
    ],
)
def test_rejects_out_of_range_answers_naming_item_value_and_limit(
    instrument: str, answers: list[float], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        score(instrument, answers)


def test_rejects_unknown_sex() -> None:
    with pytest.raises(InvalidInput, match="sex: 'f' must be one of female, male"):
        score("audit-c", [0, 0, 0], sex="f")


@settings(deadline=None)
@given(st.data())
def test_every_valid_response_scores_within_the_instrument_range(data: st.DataObject) -> None:
    instrument = data.draw(st.sampled_from(INSTRUMENTS))
    answers: list[float] = []
    given: dict[str, float] = {}
    for item in instrument.items:
        if item.is_continuous:
            answers.append(data.draw(st.floats(min_value=item.low, max_value=item.high)))
        elif item.skipped_when is not None and given[item.skipped_when[0]] == item.skipped_when[1]:
            answers.append(0)  # a skipped item (BAM item 5 after 0 days of alcohol) is answered 0 or left out
        else:
            answers.append(data.draw(st.sampled_from(item.allowed)))
        given[item.link_id] = answers[-1]
    result = score(instrument.id, answers)
    assert 0 <= result.total <= instrument.max_total
    assert result.band in {b.name for b in instrument.bands + instrument.bands_female}


@pytest.mark.parametrize("instrument", [i.id for i in INSTRUMENTS])
def test_questionnaire_export_is_valid_fhir_with_every_item(instrument: str) -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    resource = to_fhir_questionnaire(instrument)
    parsed = Questionnaire.model_validate(resource)
    assert parsed.id == instrument
    assert [i.linkId for i in parsed.item] == [i.link_id for i in get_instrument(instrument).items]


def test_questionnaire_export_carries_the_panel_loinc_where_known() -> None:
    assert to_fhir_questionnaire("phq-9")["code"] == [{"system": "http://loinc.org", "code": "44249-1"}]
    assert "code" not in to_fhir_questionnaire("cage")
    assert "UNCONFIRMED" in to_fhir_questionnaire("cage")["description"]
