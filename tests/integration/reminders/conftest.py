"""The reminders' fixtures live in ``world.py`` (importable by the tests as well)."""

from tests.integration.reminders.world import reminder_world as reminder_world  # noqa: F401
