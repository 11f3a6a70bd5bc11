"""What the printed patient documents say about naltrexone, in plain words, each text with its source.

The wallet card's advice to an emergency team, the side effects to report and the overdose warning
are clinical statements: they live here, once, with the section of the clinical reference they come
from, and the documents (``services/documents.py``) print them as they are.

Examples
--------
>>> FORM_WORDS["xr-ntx"]
'monthly injection (XR-NTX, Vivitrol)'
>>> EMERGENCY_PAIN_SOURCE
'reference/clinical.md §3 "Emergency pain management" (label; ASAM pocket guide p.22)'
"""

from __future__ import annotations

#: Each naltrexone form in the patient's words.
FORM_WORDS: dict[str, str] = {
    "oral": "tablets (oral naltrexone)",
    "xr-ntx": "monthly injection (XR-NTX, Vivitrol)",
    "implant": "implant under the skin",
}

#: What an emergency team should do for pain in a patient on naltrexone.
EMERGENCY_PAIN_ADVICE: tuple[str, ...] = (
    "Opioid pain medicines may not work: naltrexone blocks them.",
    "For pain use regional anesthesia (nerve blocks) or non-opioid pain medicines.",
    "If opioids are needed, higher doses may be needed, only with close monitoring by trained staff in a setting "
    "equipped for resuscitation: risk of breathing problems (respiratory depression).",
)
EMERGENCY_PAIN_SOURCE = 'reference/clinical.md §3 "Emergency pain management" (label; ASAM pocket guide p.22)'

#: Side effects to call the clinic about.
SIDE_EFFECTS_TO_REPORT: tuple[str, ...] = (
    "Pain, swelling, a hard lump, redness, blisters or an open sore where the shot was given, or one that is not "
    "better after 2 weeks.",
    "Yellow skin or eyes, dark urine, or pain in the upper right belly (signs of liver trouble).",
    "Feeling very down, hopeless, or thinking about hurting yourself.",
    "Shortness of breath, coughing or wheezing that is new.",
    "Rash, hives, or swelling of the face, lips or throat: call 911.",
    "Nausea, headache, dizziness or trouble sleeping that does not go away.",
)
SIDE_EFFECTS_SOURCE = ('reference/clinical.md §3: injection-site reactions (FDA 2008), hepatotoxicity, depression '
                       'and suicidality, eosinophilic pneumonia, hypersensitivity, common adverse events')

#: The overdose warning after stopping or missing a dose.
OVERDOSE_WARNING: tuple[str, ...] = (
    "After your last dose wears off, after a missed dose, or if you stop naltrexone, your body is no longer used "
    "to opioids. A smaller amount than you used before can kill you.",
    "Trying to get past the block by taking large amounts of opioids can cause a fatal overdose.",
    "Keep naloxone (Narcan) with you and tell the people close to you where it is. In an overdose, call 911.",
)
OVERDOSE_SOURCE = ('reference/clinical.md §3 "Vulnerability to opioid overdose" and "Naloxone co-prescribing"; '
                   '§9 (ASAM: overdose risk on resumption)')

#: The sources as a patient's document names them: the public documents behind the texts above (their
#: ``*_SOURCE`` constants cite the reference sections, for the people who maintain the texts).
PRINTED_SOURCES = ("From the naltrexone prescribing information (FDA label) and the ASAM National Practice "
                   "Guideline for the Treatment of Opioid Use Disorder.")

#: What the card says about carrying it.
CARD_CHOICE_TEXT = "Carrying this card is your choice."
