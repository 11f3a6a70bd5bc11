from __future__ import annotations

from pathlib import Path

from naltrack.api.v1 import data_dir_secret


def test_the_generated_secret_is_kept_in_the_data_dir_and_shared(tmp_path: Path) -> None:
    first = data_dir_secret(tmp_path / "data")
    assert len(first) == 64 and data_dir_secret(tmp_path / "data") == first
    assert (tmp_path / "data" / ".secret_key").stat().st_mode & 0o777 == 0o600


def test_an_unwritable_data_dir_falls_back_to_a_process_secret(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert len(data_dir_secret(blocker / "data")) == 64
