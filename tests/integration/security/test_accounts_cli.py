"""``naltrack users add`` under the password policy: a weak password is exit 2 naming the rule, nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from tests.seeding import seed

from naltrack.bootstrap import Storage
from naltrack.cli import main
from naltrack.domain.patients import Clinic


@pytest.fixture()
def url(database_url: str) -> str:
    storage = Storage(database_url)
    seed(storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic")])
    storage.close()
    return database_url


def users_add(url: str, name: str, password: str) -> tuple[int, str]:
    args = ["users", "add", name, "--role", "nurse", "--clinic", "c1", "--database", url]
    result = CliRunner().invoke(main.cli, args, input=password + "\n")
    return result.exit_code, result.output + result.stderr


def stored_names(url: str) -> list[str]:
    storage = Storage(url)
    try:
        with storage.engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT username FROM users ORDER BY username")).scalars())
    finally:
        storage.close()


@pytest.mark.parametrize(("password", "rule"), [
    ("password1234", "is too easy to guess (This is a very common password.)"),
    (" " * 12, "must not be only spaces"),
    ("nurse.cli.kim", "must not be the user name"),
    ("eleven char", "must be at least 12 characters"),
])
def test_a_weak_password_exits_2_naming_the_rule(url: str, password: str, rule: str) -> None:
    code, output = users_add(url, "nurse.cli.kim", password)
    assert code == 2 and rule in output and "password" in output
    assert stored_names(url) == []


def test_a_strong_password_creates_the_account(url: str) -> None:
    code, output = users_add(url, "nurse.cli.kim", "amber kettle orbit violin")
    assert code == 0 and "user nurse.cli.kim (nurse, clinic c1) created" in output
    assert stored_names(url) == ["nurse.cli.kim"]
    code, output = users_add(url, "nurse.cli.kim", "amber kettle orbit violin")
    assert code == 2 and "cannot be used; choose another user name" in output
