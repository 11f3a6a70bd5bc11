"""The portal's fixtures live in ``portal_world.py`` (importable by the tests as well)."""

from tests.integration.portal.portal_world import world as world  # noqa: F401
