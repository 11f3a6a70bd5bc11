"""How each RxNorm code counts in HEDIS POD (clinical.md §7.2), and the check of one dispensing row.

Shared by the CSV input and the program's own dispensing rows (:mod:`naltrack.analytics.pod`,
:mod:`naltrack.analytics.dispensing`), so that both are read by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from naltrack.domain.catalog import all_medications

COLUMNS = ("patient_id", "date", "rxnorm", "days_supply")
MAX_DAYS_SUPPLY = 365

#: Days supply rules by code (clinical.md §7.2): (group, fixed days, default when missing).
_FIXED_BY_CODE = {
    "1996184": ("buprenorphine-injection", 31), "1996192": ("buprenorphine-injection", 31),
    "1797650": ("buprenorphine-implant", 180),
}
_RULE_BY_CLASS = {
    "naltrexone-xr": ("naltrexone-injection", 31, None),
    "naltrexone-oral": ("naltrexone-oral", None, None),
    "buprenorphine-oud": ("buprenorphine-oral", None, 7),
    "methadone": ("methadone", None, 1),
}


@dataclass(frozen=True)
class CodeRule:
    """How one RxNorm code counts in POD; ``group`` is ``None`` for codes POD ignores."""

    code: str
    group: str | None
    fixed_days: int | None
    default_days: int | None


def pod_code_rules() -> dict[str, CodeRule]:
    """Every catalog code with its POD rule; Contrave (1551468) and other non-OUD codes are ignored.

    Examples
    --------
    >>> rules = pod_code_rules()
    >>> rules["637213"].fixed_days, rules["1551468"].group
    (31, None)
    """
    rules: dict[str, CodeRule] = {}
    for med in all_medications():
        if med.code in _FIXED_BY_CODE:
            group, fixed = _FIXED_BY_CODE[med.code]
            rules[med.code] = CodeRule(med.code, group, fixed, None)
        elif med.medication_class in _RULE_BY_CLASS:
            group_, fixed_, default = _RULE_BY_CLASS[med.medication_class]
            rules[med.code] = CodeRule(med.code, group_, fixed_, default)
        else:
            rules[med.code] = CodeRule(med.code, None, None, None)
    return rules


def check_row(row: dict[str, str], rules: dict[str, CodeRule]) -> tuple[str, str, str] | None:
    """The first problem of one row as (field, value, rule), or ``None``."""
    if not row.get("patient_id", "").strip():
        return ("patient_id", row.get("patient_id", ""), "is required")
    text = row.get("date", "").strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        date.fromisoformat(text)
    except ValueError:
        return ("date", text, "is not a date (YYYY-MM-DD)")
    code = row.get("rxnorm", "").strip()
    rule = rules.get(code)
    if rule is None:
        return ("rxnorm", code, "is not a known RxNorm code")
    supply = row.get("days_supply", "").strip()
    if supply:
        try:
            days = int(supply)
        except ValueError:
            return ("days_supply", supply, "is not a whole number of days")
        if not 1 <= days <= MAX_DAYS_SUPPLY:
            return ("days_supply", supply, f"must be between 1 and {MAX_DAYS_SUPPLY} days")
    elif rule.group is not None and rule.fixed_days is None and rule.default_days is None:
        return ("days_supply", supply, f"is required for {code} (oral naltrexone: pharmacy days supply)")
    return None
