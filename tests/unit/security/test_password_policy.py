"""The password policy: length, blank, the user name, and zxcvbn's lists of common passwords."""

from __future__ import annotations

import secrets

import pytest

from naltrack.domain.security.accounts import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, check_password_strength
from naltrack.errors import InvalidInput

#: Every password the test suites, the benchmarks and the browser tests create accounts with.
FIXTURE_PASSWORDS = ("synthetic-password-42", "correct horse battery", "correct horse battery staple",
                     "correct horse battery staple 42", "agreement nurse pass", "synthetic-demo-pass",
                     "benchmark-prescriber-pass", "benchmark-nurse-pass", "benchmark importer 42",
                     "amber kettle orbit violin")


@pytest.mark.parametrize("password", FIXTURE_PASSWORDS)
def test_the_passwords_in_use_pass(password: str) -> None:
    check_password_strength(password, "nurse.kim")


def test_a_demo_password_passes() -> None:
    for _ in range(50):
        check_password_strength(secrets.token_urlsafe(12), "demo.nurse")


@pytest.mark.parametrize(("password", "rule"), [
    ("Vx8#kq2!Lm4", f"must be at least {MIN_PASSWORD_CHARS} characters"),
    ("x" * (MAX_PASSWORD_CHARS + 1), f"must be at most {MAX_PASSWORD_CHARS} characters"),
    (" " * 12, "must not be only spaces"),
    ("\t \n" * 5, "must not be only spaces"),
    ("password1234", r"is too easy to guess \(This is a very common password\.\)"),
    ("qwertyuiop12", r"is too easy to guess \(This is similar to a commonly used password\.\)"),
    ("123456789012", "is too easy to guess"),
    ("aaaaaaaaaaaa", r"is too easy to guess \(Repeats like \"aaa\" are easy to guess\.\)"),
    ("abcdefghijkl", "is too easy to guess"),
    ("iloveyou2024!", "is too easy to guess"),
    ("nurse.kim2024", r"is too easy to guess \(it is built from words, names or patterns that are tried early\)"),
])
def test_short_long_blank_and_common_passwords_are_refused_naming_the_rule(password: str, rule: str) -> None:
    with pytest.raises(InvalidInput, match=rule) as refused:
        check_password_strength(password, "nurse.kim")
    assert refused.value.field == "password" and refused.value.value == "***"


def test_the_twelve_character_boundary() -> None:
    check_password_strength("Vx8#kq2!Lm4z")
    with pytest.raises(InvalidInput, match="at least 12"):
        check_password_strength("Vx8#kq2!Lm4")


@pytest.mark.parametrize("password", ["longusername.kim", " LongUserName.Kim ", "LONGUSERNAME.KIM"])
def test_the_user_name_is_not_a_password(password: str) -> None:
    with pytest.raises(InvalidInput, match="must not be the user name"):
        check_password_strength(password, "longusername.kim")


def test_only_the_first_72_characters_are_scored() -> None:
    check_password_strength("amber kettle orbit violin " * 9)
    with pytest.raises(InvalidInput, match="too easy to guess"):
        check_password_strength("a" * 72 + "amber kettle orbit violin")
