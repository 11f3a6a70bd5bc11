"""``naltrack clinics add|set|list`` on a temporary SQLite file: the clinic stored, bad input refused with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from naltrack.bootstrap import Storage
from naltrack.cli import main


@pytest.fixture()
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'clinics.db'}"


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(main.cli, [*args, "--database", url])


def stored(url: str, clinic_id: str) -> tuple[str, str, str | None]:
    storage = Storage(url)
    try:
        with storage.uow() as uow:
            clinic = uow.clinics.get(clinic_id)
            return clinic.name, clinic.timezone, clinic.phone
    finally:
        storage.close()


def test_a_clinic_is_added_changed_and_listed(url: str) -> None:
    added = invoke(url, "clinics", "add", "elm", "--name", "Elm Street Health", "--timezone", "America/Chicago",
                   "--phone", "(312) 555-0110")
    assert added.exit_code == 0, added.output
    assert stored(url, "elm") == ("Elm Street Health", "America/Chicago", "(312) 555-0110")

    changed = invoke(url, "clinics", "set", "elm", "--phone", "(312) 555-0111 x4")
    assert changed.exit_code == 0, changed.output
    assert stored(url, "elm") == ("Elm Street Health", "America/Chicago", "(312) 555-0111 x4")

    listed = invoke(url, "clinics", "list")
    assert listed.output.splitlines() == ["elm\tElm Street Health\tAmerica/Chicago\t(312) 555-0111 x4"]


@pytest.mark.parametrize(("args", "named"), [
    (("add", "oak", "--name", "Oak", "--phone", "call the desk"), "clinic.phone"),
    (("add", "oak", "--name", "Oak", "--phone", "1" * 41), "clinic.phone"),
    (("add", "oak", "--name", "Oak", "--timezone", "Mars/Olympus"), "clinic.timezone"),
    (("set", "nowhere", "--phone", "(312) 555-0110"), "nowhere"),
])
def test_bad_input_exits_2_naming_the_field_and_writes_nothing(url: str, args: tuple[str, ...], named: str) -> None:
    result = invoke(url, "clinics", *args)
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert invoke(url, "clinics", "list").output == ""


def test_a_phone_of_exactly_forty_characters_is_kept(url: str) -> None:
    phone = "+1 (312) 555-0110 ext. 123456"
    longest = "+" + "1" * 39
    assert len(longest) == 40
    assert invoke(url, "clinics", "add", "oak", "--name", "Oak", "--phone", longest).exit_code == 0
    assert stored(url, "oak")[2] == longest
    assert invoke(url, "clinics", "set", "oak", "--phone", phone).exit_code == 0
    assert stored(url, "oak")[2] == phone
