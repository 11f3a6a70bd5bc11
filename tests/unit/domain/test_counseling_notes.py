"""Structured counseling notes (DAP, BIRP): exactly the sections of the format, in order, each within its limit."""

from __future__ import annotations

from datetime import date

import pytest

from naltrack.domain.care import NOTE_SECTIONS, CounselingSession, NoteSection
from naltrack.domain.errors import InvalidInput
from naltrack.domain.limits import FREE_TEXT_MAX_LENGTH


def session(note_format: str = "free", *sections: NoteSection) -> CounselingSession:
    return CounselingSession(id="cs1", patient_id="p1", kind="individual", held_on=date(2026, 3, 2), duration_min=50,
                             counselor="Cora", note_format=note_format, note_sections=sections)  # type: ignore[arg-type]


def full(note_format: str, text: str = "seen") -> tuple[NoteSection, ...]:
    return tuple(NoteSection(name, text) for name, _ in NOTE_SECTIONS[note_format])  # type: ignore[index]


def test_the_formats_name_their_sections_in_order() -> None:
    assert [name for name, _ in NOTE_SECTIONS["dap"]] == ["data", "assessment", "plan"]
    assert [name for name, _ in NOTE_SECTIONS["birp"]] == ["behavior", "intervention", "response", "plan"]
    assert NOTE_SECTIONS["free"] == ()


@pytest.mark.parametrize("note_format", ["dap", "birp"])
def test_a_structured_note_with_each_section_at_the_limit_is_kept(note_format: str) -> None:
    note = session(note_format, *full(note_format, "x" * FREE_TEXT_MAX_LENGTH))
    assert [len(s.text) for s in note.note_sections] == [FREE_TEXT_MAX_LENGTH] * len(NOTE_SECTIONS[note_format])


def test_a_section_one_character_over_the_limit_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match=f"counseling.note_sections.plan: .* is longer than {FREE_TEXT_MAX_LENGTH}"):
        NoteSection("plan", "x" * (FREE_TEXT_MAX_LENGTH + 1))


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_section_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="counseling.note_sections.data: .* is required"):
        NoteSection("data", text)


def test_a_missing_section_is_refused_naming_those_expected() -> None:
    with pytest.raises(InvalidInput, match="'data, plan' must be the sections of a DAP note, in order: data, "
                                           "assessment, plan"):
        session("dap", NoteSection("data", "d"), NoteSection("plan", "p"))


def test_sections_out_of_order_or_of_another_format_are_refused() -> None:
    dap = full("dap")
    with pytest.raises(InvalidInput, match="must be the sections of a DAP note"):
        session("dap", dap[2], dap[0], dap[1])
    with pytest.raises(InvalidInput, match="must be the sections of a BIRP note, in order: behavior, intervention"):
        session("birp", *dap)
    with pytest.raises(InvalidInput, match="must be the sections of a DAP note"):
        session("dap", *dap, NoteSection("plan", "again"))


def test_a_free_note_has_no_sections_and_an_unknown_format_is_refused() -> None:
    assert session().note_sections == ()
    with pytest.raises(InvalidInput, match="'data, assessment, plan' must be empty for a free note"):
        session("free", *full("dap"))
    with pytest.raises(InvalidInput, match="counseling.note_format: 'soap'"):
        session("soap")
