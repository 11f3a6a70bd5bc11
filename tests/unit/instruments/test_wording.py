"""Every instrument reads in words: each option of each item has its published answer wording, and each band a
plain label, while the stored band ids stay as they are."""

from __future__ import annotations

import pytest

from naltrack.domain.errors import InvalidInput
from naltrack.instruments import INSTRUMENTS, get_instrument, to_fhir_questionnaire
from naltrack.instruments.definitions import Item, band_label
from naltrack.instruments.scoring import FLAG_MEANINGS, FLAGS

ITEMS = [(instrument.id, item) for instrument in INSTRUMENTS for item in instrument.items]


@pytest.mark.parametrize(("instrument", "item"), ITEMS, ids=[item.link_id for _, item in ITEMS])
def test_every_option_of_every_item_has_its_answer_wording(instrument: str, item: Item) -> None:
    assert len(item.option_labels) == len(item.allowed)
    assert all(label.strip() and "points" not in label for label in item.option_labels)
    assert len(set(item.option_labels)) == len(item.option_labels)


def test_audit_items_carry_the_who_answer_options() -> None:
    audit = get_instrument("audit")
    first, second, third = audit.items[:3]
    assert list(zip(first.allowed, first.option_labels, strict=True)) == [
        (0, "Never"), (1, "Monthly or less"), (2, "2-4 times a month"), (3, "2-3 times a week"),
        (4, "4 or more times a week")]
    assert second.option_labels == ("1 or 2", "3 or 4", "5 or 6", "7, 8 or 9", "10 or more")
    assert third.option_labels == ("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily")
    assert all(item.option_labels == third.option_labels for item in audit.items[3:8])
    for item in audit.items[8:]:
        assert list(zip(item.allowed, item.option_labels, strict=True)) == [
            (0, "No"), (2, "Yes, but not in the last year"), (4, "Yes, during the last year")]
    assert get_instrument("audit-c").items[0].option_labels == first.option_labels


@pytest.mark.parametrize("instrument", ["phq-9", "gad-7"])
def test_phq9_and_gad7_answers_are_the_two_week_frequencies(instrument: str) -> None:
    for item in get_instrument(instrument).items:
        assert item.option_labels == ("Not at all", "Several days", "More than half the days", "Nearly every day")


def test_cows_options_are_worded_by_what_is_observed() -> None:
    pulse, *_, gooseflesh = get_instrument("cows").items
    assert dict(zip(pulse.allowed, pulse.option_labels, strict=True)) == {
        0: "80 or below", 1: "81-100", 2: "101-120", 4: "Greater than 120"}
    assert gooseflesh.option_labels[-1] == "Prominent piloerection"


def test_an_item_without_wording_for_each_option_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"x-1\.option_labels: 2 must word each of the 3 options"):
        Item("x-1", "An item", (0, 1, 2), ("No", "Yes"))


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=[i.id for i in INSTRUMENTS])
def test_every_band_has_a_plain_label_and_keeps_its_stored_id(instrument) -> None:
    for band in instrument.bands + instrument.bands_female:
        assert band.label and band.label != band.name and band.label[0].isupper()
        assert instrument.band_label(band.name) == band.label


def test_band_labels_are_found_by_any_spelling_of_the_instrument() -> None:
    assert band_label("AUDIT", "zone-ii") == "Zone II: hazardous drinking — simple advice"
    assert band_label("phq9", "moderately-severe") == "Moderately severe depression"
    assert get_instrument("audit-c").band_label("positive") == band_label("audit-c", "positive")


def test_an_unknown_band_or_instrument_reads_as_stored() -> None:
    assert band_label("audit", "zone-v") == "zone-v"
    assert band_label("no-such-scale", "high") == "high"


def test_stored_band_ids_are_unchanged() -> None:
    assert [b.name for b in get_instrument("audit").bands] == ["zone-i", "zone-ii", "zone-iii", "zone-iv"]
    assert [b.name for b in get_instrument("cows").bands] == ["none", "mild", "moderate", "moderately-severe",
                                                              "severe"]


def test_fhir_answer_options_display_the_wording() -> None:
    options = to_fhir_questionnaire("audit")["item"][9]["answerOption"]
    assert [(o["valueCoding"]["code"], o["valueCoding"]["display"]) for o in options] == [
        ("0", "No"), ("2", "Yes, but not in the last year"), ("4", "Yes, during the last year")]


def test_flags_read_plain_with_the_source_kept_apart() -> None:
    for name, flag in FLAGS.items():
        source = "BAM manual" if name.startswith("bam-") else "clinical.md"
        assert source not in flag.meaning and source in flag.source
        assert FLAG_MEANINGS[name] == f"{flag.meaning} ({flag.source})"
