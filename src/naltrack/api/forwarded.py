"""Who the client is, and which scheme it used, behind reverse proxies that are trusted.

A proxy's ``X-Forwarded-For``, ``Forwarded`` (RFC 7239) and ``X-Forwarded-Proto`` headers are
believed only when the socket peer is in ``NALTRACK_TRUSTED_PROXIES``; from anyone else they are
ignored, so a client cannot choose the address that the sign-in throttle counts and the audit
log records. The forwarded chain is read from the right (the hop nearest to the server): each
trusted proxy hands over to the address before it, and the first address that is not a trusted
proxy is the client. An entry that is not an address (``unknown``, an obfuscated name) ends the
walk at the last trusted hop.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from naltrack.config import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> IPAddress | None:
    """An address from a header entry: bare, ``"[v6]:port"``, ``v4:port`` or quoted; else ``None``."""
    value = text.strip().strip('"')
    if value.startswith("["):
        value = value[1:value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: IPAddress | None, trusted: Sequence[IPNetwork]) -> bool:
    return address is not None and any(address in network for network in trusted)


def forwarded_pairs(values: Sequence[str], name: str) -> list[str]:
    """The ``name=`` parameter of every element of ``Forwarded`` header lines, left to right.

    >>> forwarded_pairs(['for=192.0.2.60;proto=https, For="[2001:db8::17]:4711"'], "for")
    ['192.0.2.60', '"[2001:db8::17]:4711"']
    """
    found = []
    for element in (e for line in values for e in line.split(",")):
        for pair in element.split(";"):
            key, _, value = pair.partition("=")
            if key.strip().lower() == name:
                found.append(value.strip())
    return found


def _hops(headers: dict[str, list[str]]) -> list[str]:
    """The forwarded chain, left to right: ``Forwarded`` when present, else ``X-Forwarded-For``."""
    if headers.get("forwarded"):
        return forwarded_pairs(headers["forwarded"], "for")
    return [h for line in headers.get("x-forwarded-for", []) for h in line.split(",") if h.strip()]


def client_address(peer: str | None, headers: dict[str, list[str]], trusted: Sequence[IPNetwork]) -> str | None:
    """The client's address: the peer, or, behind trusted proxies, the nearest untrusted hop.

    ``headers`` maps lower-case header names to their lines.

    >>> proxy = (ipaddress.ip_network("10.0.0.0/8"),)
    >>> client_address("10.0.0.5", {"x-forwarded-for": ["198.51.100.7, 203.0.113.9"]}, proxy)
    '203.0.113.9'
    >>> client_address("192.0.2.1", {"x-forwarded-for": ["203.0.113.9"]}, proxy)
    '192.0.2.1'
    """
    peer_address = _address(peer) if peer else None
    if not _trusted(peer_address, trusted):
        return peer
    client = str(peer_address)
    for hop in reversed(_hops(headers)):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not _trusted(address, trusted):
            break
    return client


def client_scheme(peer: str | None, headers: dict[str, list[str]], trusted: Sequence[IPNetwork],
                  scheme: str) -> str:
    """The scheme the client used: the nearest trusted proxy's ``proto`` (``Forwarded``, else
    ``X-Forwarded-Proto``) when the peer is a trusted proxy, else the connection's ``scheme``."""
    if not _trusted(_address(peer) if peer else None, trusted):
        return scheme
    told = forwarded_pairs(headers.get("forwarded", []), "proto") or [
        p for line in headers.get("x-forwarded-proto", []) for p in line.split(",")]
    nearest = told[-1].strip().strip('"').lower() if told else ""
    return nearest if nearest in ("http", "https") else scheme
