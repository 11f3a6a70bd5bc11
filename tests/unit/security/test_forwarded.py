"""Forwarded headers believed from trusted proxies only, and the sign-in delay's steps."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest

from naltrack.api.forwarded import client_address, client_scheme
from naltrack.config import Settings
from naltrack.services.sign_in_throttle import SignInThrottle

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ffff::/48"))


@pytest.mark.parametrize(("peer", "headers", "client"), [
    ("192.0.2.1", {"x-forwarded-for": ["203.0.113.9"]}, "192.0.2.1"),
    ("192.0.2.1", {"forwarded": ["for=203.0.113.9"]}, "192.0.2.1"),
    ("10.0.0.5", {}, "10.0.0.5"),
    ("10.0.0.5", {"x-forwarded-for": ["203.0.113.9"]}, "203.0.113.9"),
    ("10.0.0.5", {"x-forwarded-for": ["198.51.100.7, 203.0.113.9"]}, "203.0.113.9"),
    ("10.0.0.5", {"x-forwarded-for": ["198.51.100.7", "203.0.113.9, 10.0.0.9"]}, "203.0.113.9"),
    ("10.0.0.5", {"x-forwarded-for": ["10.0.0.8, 10.0.0.9"]}, "10.0.0.8"),
    ("10.0.0.5", {"x-forwarded-for": ["198.51.100.7, unknown"]}, "10.0.0.5"),
    ("10.0.0.5", {"x-forwarded-for": ["203.0.113.9:8080"]}, "203.0.113.9"),
    ("10.0.0.5", {"forwarded": ['for="[2001:db8::17]:4711";proto=https'], "x-forwarded-for": ["198.51.100.7"]},
     "2001:db8::17"),
    ("10.0.0.5", {"forwarded": ["for=192.0.2.43, for=_hidden"]}, "10.0.0.5"),
    ("2001:db8:ffff::1", {"forwarded": ["For=203.0.113.9;by=2001:db8:ffff::1"]}, "203.0.113.9"),
    ("testclient", {"x-forwarded-for": ["203.0.113.9"]}, "testclient"),
    (None, {"x-forwarded-for": ["203.0.113.9"]}, None),
])
def test_the_client_address(peer: str | None, headers: dict[str, list[str]], client: str | None) -> None:
    assert client_address(peer, headers, PROXIES) == client


@pytest.mark.parametrize(("peer", "headers", "scheme"), [
    ("192.0.2.1", {"x-forwarded-proto": ["https"]}, "http"),
    ("10.0.0.5", {"x-forwarded-proto": ["https"]}, "https"),
    ("10.0.0.5", {"x-forwarded-proto": ["https, http"]}, "http"),
    ("10.0.0.5", {"forwarded": ["for=203.0.113.9;proto=https"], "x-forwarded-proto": ["http"]}, "https"),
    ("10.0.0.5", {"x-forwarded-proto": ["gopher"]}, "http"),
    ("10.0.0.5", {}, "http"),
])
def test_the_client_scheme(peer: str, headers: dict[str, list[str]], scheme: str) -> None:
    assert client_scheme(peer, headers, PROXIES, "http") == scheme


def test_no_proxy_is_trusted_unless_configured() -> None:
    assert Settings().trusted_proxy_networks() == ()
    assert client_address("127.0.0.1", {"x-forwarded-for": ["203.0.113.9"]}, ()) == "127.0.0.1"
    assert Settings().cookie_secure == "auto"


def test_a_bad_proxy_setting_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="trusted_proxies: '10.0.0.300' is not an address or a CIDR range"):
        Settings(trusted_proxies="10.0.0.0/8, 10.0.0.300")


@pytest.mark.parametrize(("failures", "free", "seconds"), [
    (0, 5, 0), (4, 5, 0), (5, 5, 15), (6, 5, 30), (10, 5, 480), (11, 5, 900), (500, 5, 900),
    (29, 30, 0), (30, 30, 15),
])
def test_the_delay_doubles_after_the_free_failures_up_to_its_cap(failures: int, free: int, seconds: int) -> None:
    assert SignInThrottle().delay_after(failures, free) == timedelta(seconds=seconds)
