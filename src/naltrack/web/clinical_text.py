"""Clinical text as a page shows it: the plain sentence first, its provenance one click away.

The domain's messages are also what the REST API and CDS Hooks return, so they are not changed here. A page
splits off the parentheses that speak to the reviewer rather than the clinician: a note that a fact is not
confirmed in the reference ("(UNCONFIRMED)"), a fact-sheet section ("(clinical.md §2.2)") or a rule id
("(RDY-UDS-MISSING)"). The template puts the note under "Why", with the rule id and source.
"""

from __future__ import annotations

import re

#: A parenthesis that cites or qualifies rather than tells: UNCONFIRMED, a reference section, or a rule id.
_PROVENANCE = re.compile(r"\s*\(([^()]*(?:\bUNCONFIRMED\b|\.md\b|§|\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b)[^()]*)\)")


def plain_parts(message: str) -> tuple[str, str]:
    """``message`` without its provenance parentheses, and those parentheses' text joined by "; ".

    Examples
    --------
    >>> plain_parts("X may be less effective (UNCONFIRMED).")
    ('X may be less effective.', 'UNCONFIRMED')
    >>> plain_parts("No urine screen in the last 7 days (clinical.md §2.2): collect one.")
    ('No urine screen in the last 7 days: collect one.', 'clinical.md §2.2')
    >>> plain_parts("COWS 3 (mild) on 2026-12-01.")
    ('COWS 3 (mild) on 2026-12-01.', '')
    """
    notes = [match.group(1).strip() for match in _PROVENANCE.finditer(message)]
    return _PROVENANCE.sub("", message), "; ".join(notes)
