"""Alembic migrations of the naltrack schema (``alembic.ini`` at the repository root points here)."""
