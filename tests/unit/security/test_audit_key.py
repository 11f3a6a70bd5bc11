"""The audit secret: from the setting, from a key file, generated for the demo only; never absent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from naltrack.adapters.audit_seal import AuditKeyError, audit_secret, seal_from_settings
from naltrack.config import Settings
from naltrack.domain.security.audit_checkpoint import Checkpoint

SECRET = "a-synthetic-audit-secret-of-40-characters"


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", **{"audit_key": "", "audit_key_file": None, "audit_checkpoints": None,
                                                 **values})


def test_the_setting_comes_first(tmp_path: Path) -> None:
    assert audit_secret(settings(tmp_path, audit_key=SECRET, demo=True)) == SECRET


def test_a_key_file_is_read_and_stripped(tmp_path: Path) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text(SECRET + "\n")
    assert audit_secret(settings(tmp_path, audit_key_file=key_file)) == SECRET


def test_a_missing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AuditKeyError, match=r"NALTRACK_AUDIT_KEY_FILE '.*nowhere' cannot be read: No such file"):
        audit_secret(settings(tmp_path, audit_key_file=tmp_path / "nowhere"))


def test_without_a_key_outside_the_demo_naltrack_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(AuditKeyError, match="set NALTRACK_AUDIT_KEY .* or NALTRACK_AUDIT_KEY_FILE"):
        seal_from_settings(settings(tmp_path))
    assert not (tmp_path / "data" / ".audit_key").exists()


def test_the_demo_generates_one_secret_per_data_dir(tmp_path: Path) -> None:
    first = audit_secret(settings(tmp_path, demo=True))
    assert len(first) == 64 and audit_secret(settings(tmp_path, demo=True)) == first
    assert (tmp_path / "data" / ".audit_key").stat().st_mode & 0o777 == 0o600


def test_a_short_secret_is_refused_with_the_setting_named(tmp_path: Path) -> None:
    with pytest.raises(AuditKeyError, match=r"NALTRACK_AUDIT_KEY: must be at least 32 characters"):
        seal_from_settings(settings(tmp_path, audit_key="too short"))


def test_checkpoints_go_to_the_data_dir_unless_placed_elsewhere(tmp_path: Path) -> None:
    assert seal_from_settings(settings(tmp_path, audit_key=SECRET)).checkpoints == \
        tmp_path / "data" / "audit-checkpoints.jsonl"
    chosen = settings(tmp_path, audit_key=SECRET, audit_checkpoints=tmp_path / "elsewhere.jsonl",
                      audit_checkpoint_every=50)
    assert seal_from_settings(chosen).checkpoints == tmp_path / "elsewhere.jsonl"
    assert seal_from_settings(chosen).every == 50


def test_a_checkpoint_after_a_torn_line_starts_on_a_line_of_its_own(tmp_path: Path) -> None:
    seal = seal_from_settings(settings(tmp_path, audit_key=SECRET, audit_checkpoints=tmp_path / "cp.jsonl"))
    at = datetime(2026, 3, 1, tzinfo=UTC)
    first = seal.append(Checkpoint(database="d", seq=1, hash="h1", count=1, at=at, keyed_from=1, kind="cadence"))
    with seal.checkpoints.open("a") as handle:
        handle.write('{"database":"d","seq":9')  # a crash in the middle of a line
    second = seal.append(Checkpoint(database="d", seq=2, hash="h2", count=2, at=at, keyed_from=1, kind="cadence"))
    found = seal.read("d")
    assert found.last == second and found.bad_lines == () and first.is_signed_by(seal.checkpoint_key)
    assert len(seal.checkpoints.read_text().splitlines()) == 3
    assert seal.checkpoints.stat().st_mode & 0o777 == 0o600
