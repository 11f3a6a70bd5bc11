"""The layers hold: faces over services over the pure core (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "naltrack"


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Contracts: 5 kept, 0 broken." in result.stdout


def test_nothing_is_built_at_import_time() -> None:
    code = (
        "import naltrack.api.app, naltrack.bootstrap, naltrack.config as c, naltrack.cli.main;"
        "assert c.get_settings.cache_info().currsize == 0, 'settings read at import time'"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_only_the_composition_root_builds_storage() -> None:
    builders = re.compile(
        r"\b(build_storage|Storage|secure_uow_factory|token_lookup|create_engine|build_application)\(")
    # the root; the CLI's and the server's one call of it; and the reader of a research network's OMOP database
    # (an outside source read by the population measures, never the program's storage)
    allowed = {"bootstrap.py", "cli/app.py", "api/app.py", "adapters/omop_database.py"}
    found = [f"{path.relative_to(SRC)}:{number}: {line.strip()}"
             for path in sorted(SRC.rglob("*.py"))
             if path.relative_to(SRC).as_posix() not in allowed and "adapters/db" not in path.as_posix()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if builders.search(line) and not line.lstrip().startswith(("def ", "#", ">>>"))]
    assert found == []


def test_create_app_builds_one_application_that_every_face_shares(tmp_path: Path) -> None:
    from naltrack.api.app import create_app
    from naltrack.bootstrap import Application
    from naltrack.config import Settings

    app = create_app(Settings(data_dir=tmp_path, timezone="Europe/Berlin", part2_redisclosure_notice="notice"))
    application = app.state.application
    assert isinstance(application, Application)
    assert app.state.secure_uow is application.ctx.uow and app.state.storage is application.storage
    assert (application.ctx.default_timezone, application.ctx.redisclosure_notice) == ("Europe/Berlin", "notice")
    assert not (tmp_path / "naltrack.db").exists()  # nothing connects until the first use
    application.close()
