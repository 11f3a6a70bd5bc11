"""Collection rules for the whole repository.

``make test-unit`` collects doctests from every module under ``src``. The Alembic
environment runs the migrations when it is imported, and the version scripts only make
sense inside an Alembic run, so the migrations are not collected; the storage tests in
``tests/integration`` run them against real databases instead.
"""

from __future__ import annotations

collect_ignore = ["src/naltrack/adapters/db/migrations"]
