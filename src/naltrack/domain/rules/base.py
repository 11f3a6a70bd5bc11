"""What every clinical rule produces, and the registry of all rules.

Three kinds of rules share one shape (an id, a severity, a message a clinician
understands, and the section of ``../shared/reference/clinical.md`` it comes from):

* **readiness** rules give :class:`Reason` s; their severity is the effect on the verdict:
  ``contraindication`` (a label contraindication in force: never ready), ``not-ready`` (a
  condition that blocks today, often with a date it lifts), ``review`` (a clinician must
  decide, or data the rule needs is missing) and ``info`` (checked and met).
* **interaction** and **monitoring** rules give :class:`Alert` s with the CDS Hooks card
  indicators ``critical``, ``warning`` and ``info`` (CDS Hooks 2.0, anchors.md §3.4).

:data:`RULES` lists every rule once, for the generated rules table (``naltrack rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

ReadinessSeverity = Literal["contraindication", "not-ready", "review", "info"]
READINESS_SEVERITIES: tuple[ReadinessSeverity, ...] = ("contraindication", "not-ready", "review", "info")
AlertSeverity = Literal["critical", "warning", "info"]
ALERT_SEVERITIES: tuple[AlertSeverity, ...] = ("critical", "warning", "info")
RuleKind = Literal["readiness", "dose", "interaction", "monitoring"]
Verdict = Literal["ready", "not-ready", "review"]
#: The readiness verdicts and the severities of their reasons in words (the checklist, the induction card).
VERDICT_LABELS: dict[str, str] = {"ready": "Ready", "not-ready": "Not ready", "review": "Needs review",
                                  "contraindication": "Contraindication", "info": "Note"}


@dataclass(frozen=True)
class Rule:
    """A rule as the docs list it: what it checks, the worst it can say, and its source."""

    id: str
    kind: RuleKind
    """``readiness`` (before an induction), ``dose`` (the check before every dose), ``interaction``
    (naltrexone with another medicine) or ``monitoring`` (an alert on the chart)."""
    title: str
    severities: tuple[str, ...]
    source: str
    forms: tuple[str, ...] = ("oral", "xr-ntx", "implant")


@dataclass(frozen=True)
class Reason:
    """One reason behind a readiness verdict.

    ``ready_on`` is the first day the reason no longer blocks, when it can be computed
    (for example the end of an opioid-free interval).
    """

    rule: str
    severity: ReadinessSeverity
    message: str
    source: str
    ready_on: date | None = None

    @property
    def blocks(self) -> bool:
        return self.severity in ("contraindication", "not-ready")

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "source": self.source}


@dataclass(frozen=True)
class Alert:
    """A monitoring or interaction alert for the care team."""

    rule: str
    severity: AlertSeverity
    message: str
    source: str
    action: str
    subject: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "source": self.source,
                "action": self.action, "subject": self.subject}


_ALL = ("oral", "xr-ntx", "implant")
_RC = ("contraindication", "info")
_RNR = ("not-ready", "review", "info")

#: Every rule, in the order of the generated table.
RULES: tuple[Rule, ...] = (
    # Readiness (induction) rules
    Rule("RDY-INDICATION", "readiness", "Treatment indication (OUD or AUD) on file", ("review", "info"),
         "clinical.md §1.1, §1.2 (indications)"),
    Rule("RDY-AGE", "readiness", "Age under 18: naltrexone not recommended", ("review",), "clinical.md §2.5"),
    Rule("RDY-OPIOID-FREE", "readiness", "Opioid-free interval by opioid action (short, long, fentanyl, "
         "buprenorphine, methadone; kratom and loperamide above the configured daily amount)", _RNR,
         "clinical.md §2.1"),
    Rule("RDY-UDS-POSITIVE", "readiness", "Urine drug screen positive for an opioid (a positive after the "
         "reported last use wins over the report; a positive older than the screen freshness asks for a new "
         "screen)", ("contraindication", "review", "info"), "clinical.md §2.2, §2.5"),
    Rule("RDY-UDS-MISSING", "readiness", "A recent urine drug screen verifies the opioid-free interval (with "
         "the oxycodone analyte after reported prescription-opioid or oxycodone use)", ("review", "info"),
         "clinical.md §1.1, §2.2; oxycodone analyte UNCONFIRMED"),
    Rule("RDY-NALOXONE-CHALLENGE", "readiness", "Naloxone challenge: failed, equivocal, or withdrawal signs "
         "noted (any sign or doubt) contraindicates", _RC, "clinical.md §2.2, §2.5"),
    Rule("RDY-WITHDRAWAL", "readiness", "Current opioid withdrawal (COWS score or withdrawal diagnosis)",
         ("contraindication", "review", "info"), "clinical.md §2.4, §2.5"),
    Rule("RDY-OPIOID-RX", "readiness", "Active opioid medicines: analgesics, antitussives, antidiarrheals, kratom; "
         "loperamide above the configured daily amount", ("contraindication", "not-ready", "review", "info"),
         "clinical.md §2.5, §4"),
    Rule("RDY-AGONIST-TREATMENT", "readiness", "Buprenorphine or methadone treatment in progress",
         ("contraindication", "review", "info"), "clinical.md §2.1, §2.2, §4"),
    Rule("RDY-DUPLICATE-NALTREXONE", "readiness", "Bupropion/naltrexone (Contrave) already taken: duplicate "
         "naltrexone, stop Contrave before starting naltrexone", ("review",), "clinical.md §4, §8.1 (Contrave)"),
    Rule("RDY-DISULFIRAM", "readiness", "Disulfiram with naltrexone: two potentially hepatotoxic drugs (not a "
         "contraindication)", ("review",), "clinical.md §4 (disulfiram)"),
    Rule("RDY-HYPERSENSITIVITY", "readiness", "Hypersensitivity to naltrexone or the XR-NTX components (PLG, "
         "also written PLGA, poly(lactic-co-glycolic acid), polyglactin/Vicryl; carboxymethylcellulose)",
         ("contraindication", "review", "info"), "clinical.md §2.5, §3"),
    Rule("RDY-LIVER-ULN", "readiness", "Aminotransferases against the upper limit of normal (3x and 5x)",
         _RNR, "clinical.md §2.7, §1.1"),
    Rule("RDY-HEPATITIS", "readiness", "Acute hepatitis or liver failure (incl. alcoholic hepatitis K70.1x and "
         "alcoholic hepatic failure K70.4x); a contraindication for oral naltrexone by default",
         ("contraindication", "review"), "clinical.md §2.5 (version-dependent), §2.7, §3"),
    Rule("RDY-PREGNANCY", "readiness", "Pregnancy (with opioid use in the opioid-free window: not recommended, "
         "agonist treatment preferred), breastfeeding, or unknown pregnancy status", _RNR,
         "clinical.md §2.6 (NYSDOH A2, A3), §1.1 (pregnancy test in the work-up)"),
    Rule("RDY-BLEEDING", "readiness", "IM injection or implant trocar insertion: thrombocytopenia (platelets "
         "below the lab's limit or the configured count; diagnosis), bleeding disorder or anticoagulant",
         ("review", "info"), "clinical.md §2.5 (bleeding), §1.3 (trocar)", ("xr-ntx", "implant")),
    Rule("RDY-AUD-DRINKING", "readiness", "AUD: not actively drinking at the first injection (or a restart after "
         "a long gap); abstinent days before oral naltrexone or an implant", _RNR,
         "clinical.md §1.2 (indication; late-dose table), §2.5, §1.1 (TIP 28)"),
    Rule("RDY-IMPLANT-UNAPPROVED", "readiness", "Naltrexone implants are not FDA-approved (compounded products)",
         ("review",), "clinical.md §1.3", ("implant",)),
    Rule("RDY-UNREAD-DATA", "readiness", "Records that could not be read (e.g. a medicine outside the catalog)",
         ("review",), "clinical.md §2.5, §4 (an unread medicine could be an opioid)"),
    Rule("RDY-DOSE-CLASS", "readiness", "Continuation or late dose: no induction checks; the late-dose table's "
         "urine screen (day 35) and prescriber consult (day 56)", ("review", "info"),
         "clinical.md §1.2 (late-dose table, a local protocol), §2.1"),
    Rule("RDY-ORAL-TEST-DOSE", "readiness", "OUD with oral naltrexone: 25 mg test dose before 50 mg daily",
         ("review", "info"), "clinical.md §1.1", ("oral",)),
    Rule("RDY-ORAL-OUD", "readiness", "OUD with oral naltrexone: poor outcomes outside supervised or observed "
         "settings (adherence); prefer XR-NTX or observed dosing", ("info",),
         "clinical.md §9 (ASAM 2020), §6 (Krupitsky 2012); adherence as the cause UNCONFIRMED", ("oral",)),
    # Interaction rules
    Rule("IX-OPIOID", "interaction", "Naltrexone blocks opioid analgesics, antitussives and antidiarrheals, and "
         "kratom (mitragynine, a mu-opioid partial agonist)", ("critical",), "clinical.md §4, §2.5"),
    Rule("IX-AGONIST-TREATMENT", "interaction", "Naltrexone with buprenorphine (OUD treatment or for pain) or "
         "methadone: precipitated withdrawal", ("critical",), "clinical.md §4, §2.1"),
    Rule("IX-MIXED-AGONIST", "interaction", "Naltrexone with pentazocine, butorphanol or nalbuphine",
         ("critical",), "clinical.md §4"),
    Rule("IX-LOPERAMIDE", "interaction", "Loperamide (peripheral opioid antidiarrheal): not named in the label; "
         "above the configured daily amount (label maximum 16 mg/day) it is opioid misuse",
         ("critical", "warning"), "clinical.md §4, §10 item 5 (UNCONFIRMED); loperamide label; FDA 2016, 2018"),
    Rule("IX-DISULFIRAM", "interaction", "Disulfiram: two potentially hepatotoxic drugs", ("warning",),
         "clinical.md §4"),
    Rule("IX-THIORIDAZINE", "interaction", "Thioridazine: lethargy and somnolence", ("warning",),
         "clinical.md §4"),
    Rule("IX-CONTRAVE", "interaction", "Bupropion/naltrexone (Contrave) contains naltrexone but is not MAT: "
         "contraindicated with opioids (Contrave ordered), partial blockade (an opioid ordered)",
         ("critical", "warning"), "clinical.md §4, §8.1, codes.md §3 trap 1"),
    Rule("IX-NOT-AN-INTERACTION", "interaction", "Traps that are not interactions: rescue naloxone, "
         "dextromethorphan", ("info",), "codes.md §3 traps 2 and 7"),
    # Before a dose (domain/pre_dose.py): stops that an override cannot lift
    Rule("DOSE-NO-ORDER", "dose", "No active naltrexone order of the form on the day: the dose is not given",
         ("stop",), "clinical.md §1.1-§1.3 (naltrexone is given as prescribed)"),
    Rule("DOSE-SAME-DAY", "dose", "A dose of the same form already recorded that day: not given twice",
         ("stop",), "clinical.md §1.1 (one oral dose a day or per schedule), §1.2 (one injection every 4 weeks)"),
    # Monitoring rules
    Rule("MON-INJECTION-DUE", "monitoring", "XR-NTX injection due or overdue by days since the last one",
         ("critical", "warning", "info"), "clinical.md §1.2 (late-dose table; label 2.2 naloxone)", ("xr-ntx",)),
    Rule("MON-PROTECTION-END", "monitoring", "End of protection: overdose risk with OUD (a warning for AUD only), "
         "offer naloxone",
         ("critical", "warning"), "clinical.md §1.2 (label 2.2, late-dose table), §3; pk.md §4.1, §7 (end of "
         "protection)"),
    Rule("MON-LIVER-RISING", "monitoring", "Rising liver tests (ALT, AST) against the upper limit of normal",
         ("critical", "warning"), "clinical.md §2.7, §3 (hepatotoxicity)"),
    Rule("MON-PHQ9-ITEM9", "monitoring", "PHQ-9 item 9 above 0: thoughts of self-harm", ("critical",),
         "clinical.md §5 (PHQ-9), §3 (depression and suicidality)"),
    Rule("MON-INJECTION-SITE", "monitoring", "Injection-site reaction follow-up", ("critical", "warning"),
         "clinical.md §3 (injection-site reactions)", ("xr-ntx",)),
    Rule("MON-EOSINOPHILIC-PNEUMONIA", "monitoring", "Dyspnea or hypoxemia: consider eosinophilic pneumonia",
         ("critical", "warning"), "clinical.md §3 (eosinophilic pneumonia)"),
    Rule("MON-PREGNANCY", "monitoring", "Pregnancy reported during naltrexone treatment", ("warning",),
         "clinical.md §2.6"),
    Rule("MON-SURGERY", "monitoring", "Planned surgery: stop oral 72 h before, XR-NTX 30 days before",
         ("critical", "warning"), "clinical.md §3 (emergency pain management; ASAM)"),
    Rule("MON-PAIN-GUIDANCE", "monitoring", "No emergency pain-management guidance on file", ("warning",),
         "clinical.md §3 (emergency pain management, wallet card)"),
)

_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def get_rule(rule_id: str) -> Rule:
    """A rule by id; ``KeyError`` for an id that is not registered (a programming error)."""
    return _BY_ID[rule_id]


def verdict_of(reasons: list[Reason] | tuple[Reason, ...]) -> Verdict:
    """``not-ready`` if any reason blocks, else ``review`` if any asks for it, else ``ready``.

    Examples
    --------
    >>> verdict_of([Reason("RDY-AGE", "review", "m", "s")])
    'review'
    >>> verdict_of([])
    'ready'
    """
    if any(r.blocks for r in reasons):
        return "not-ready"
    if any(r.severity == "review" for r in reasons):
        return "review"
    return "ready"
