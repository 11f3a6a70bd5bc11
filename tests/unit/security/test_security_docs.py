from __future__ import annotations

from pathlib import Path

from naltrack.domain.security.roles import matrix_table

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def test_the_matrix_in_the_docs_is_the_matrix_in_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- matrix:start -->\n") + len("<!-- matrix:start -->\n")
    end = text.index("\n<!-- matrix:end -->")
    assert text[start:end] == matrix_table(), "regenerate the table in docs/security.md from matrix_table()"
