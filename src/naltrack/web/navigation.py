"""The main navigation, filtered by the same least-privilege matrix as the API.

A link shows only when the role may read what the page shows
(:func:`naltrack.domain.security.roles.is_permitted`); the route checks again.
"""

from __future__ import annotations

from dataclasses import dataclass

from naltrack.domain.security.roles import is_permitted


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    category: str
    current: bool = False


#: (label, href, category the page reads).
NAV: tuple[tuple[str, str, str], ...] = (
    ("Dashboard", "/", "clinical-views"),
    ("Patients", "/patients", "demographics"),
    ("Schedule", "/schedule", "schedule"),
    ("Group session", "/groups/new", "counseling"),
    ("Program outcomes", "/outcomes", "program-measures"),
    ("Audit", "/audit", "audit"),
    ("Accounts", "/users", "users"),
)


def nav_for(role: str, path: str) -> list[NavItem]:
    """The links ``role`` may follow, marking the one for ``path`` as current."""
    items = []
    for label, href, category in NAV:
        if not is_permitted(role, category, "read"):
            continue
        current = path == href if href == "/" else path.startswith(href)
        items.append(NavItem(label, href, category, current))
    return items


def home_for(role: str) -> str:
    """Where a role lands after signing in: the first page it may read."""
    items = nav_for(role, "")
    return items[0].href if items else "/patients"
