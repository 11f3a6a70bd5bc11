"""The required elements of a written consent to disclose Part 2 records, as data (42 CFR 2.31(a)).

A printed consent form (``naltrack documents consent-form``) holds every element of
:data:`CONSENT_ELEMENTS`, each under its heading, and the test of the form checks each heading
appears. The list follows 42 CFR 2.31(a)(1)-(10) as revised by the 2024 final rule
(89 FR 12472, February 16, 2024); the element texts are the program's plain paraphrase of the
rule, not its wording. UNCONFIRMED: the reference files do not hold the 2024 text, so the
sub-paragraph numbers are given as the program read them; the statement that treatment is not
conditioned on signing ("where applicable") is cited to 2.31(a) without a sub-paragraph.

Examples
--------
>>> [e.key for e in CONSENT_ELEMENTS][:3]
['patient', 'discloser', 'information']
>>> all(e.citation.startswith("42 CFR 2.31(a)") for e in CONSENT_ELEMENTS)
True
"""

from __future__ import annotations

from dataclasses import dataclass

#: Where the element list comes from.
CONSENT_ELEMENTS_SOURCE = "42 CFR 2.31(a) as revised by the final rule of 89 FR 12472 (February 16, 2024)"


@dataclass(frozen=True)
class ConsentElement:
    """One required element: a key, the heading the form prints, what it must say, and its paragraph."""

    key: str
    heading: str
    requirement: str
    citation: str


CONSENT_ELEMENTS: tuple[ConsentElement, ...] = (
    ConsentElement("patient", "Name of the patient", "The patient's name.", "42 CFR 2.31(a)(1)"),
    ConsentElement("discloser", "Who may disclose", "The name or general designation of the program, entity or "
                   "person permitted to make the disclosure.", "42 CFR 2.31(a)(2)"),
    ConsentElement("information", "What information may be disclosed", "How much and what kind of information "
                   "may be disclosed, specific and meaningful, including an explicit description of the substance "
                   "use disorder information.", "42 CFR 2.31(a)(3)"),
    ConsentElement("recipient", "Who may receive it", "The name of the person(s) or the name of the entity(-ies) "
                   "to which a disclosure is to be made.", "42 CFR 2.31(a)(4)(i)"),
    ConsentElement("purpose", "Purpose of the disclosure", "A description of each purpose of the requested use or "
                   "disclosure.", "42 CFR 2.31(a)(5)"),
    ConsentElement("revocation", "Your right to revoke", "The patient's right to revoke the consent in writing, "
                   "how to revoke it, and that revocation does not apply to information already used or disclosed "
                   "in reliance on it.", "42 CFR 2.31(a)(6)"),
    ConsentElement("expiration", "When this consent ends", "An expiration date or an expiration event or condition "
                   "that relates to the patient or the purpose.", "42 CFR 2.31(a)(7)"),
    ConsentElement("signature", "Signature of the patient", "The signature of the patient and, where required, of "
                   "a person authorized to sign in lieu of the patient.", "42 CFR 2.31(a)(8)"),
    ConsentElement("date", "Date signed", "The date on which the consent is signed.", "42 CFR 2.31(a)(9)"),
    ConsentElement("conditioning", "Treatment does not depend on signing", "A statement that treatment, payment, "
                   "enrollment or eligibility for benefits is not conditioned on signing, where applicable.",
                   "42 CFR 2.31(a)"),
)

#: The form's fixed statements, in the patient's words where the rule allows.
REVOCATION_TEXT = (
    "You may take back (revoke) this consent at any time, except for information we already shared while the "
    "consent was in force: revoking does not undo a disclosure already made. To revoke, tell the program in writing "
    "(a signed note or letter handed to the front desk or sent to the program), or tell a staff member, who records "
    "it in your chart."
)
CONDITIONING_TEXT = (
    "Signing is your choice. The program will not refuse you treatment, and your payment, enrollment or eligibility "
    "for benefits does not depend on whether you sign this form."
)
