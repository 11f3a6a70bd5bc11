"""The printed patient documents as PDF (fpdf2): wallet card, after-visit summary, injection record,
Part 2 consent form and referral packet.

Each ``render_*`` takes the frozen content of :mod:`naltrack.services.documents` and returns PDF bytes; it
lays out, it decides nothing (every date is already in the content). Text is set in DejaVu Sans from
Debian's ``fonts-dejavu-core`` when it is installed (all of Unicode the texts use), else in the PDF core
font with the few other characters spelled in Latin-1 (:func:`naltrack.web.report_pdf.latin1`).
Pages are US Letter; the wallet card is two credit-card panels (ISO/IEC 7810 ID-1, 85.6 x 54 mm), front
and back side by side with cut marks at the corners and a dashed fold line between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from naltrack.domain.patient_texts import (
    CARD_CHOICE_TEXT,
    EMERGENCY_PAIN_ADVICE,
    FORM_WORDS,
    OVERDOSE_WARNING,
    PRINTED_SOURCES,
    SIDE_EFFECTS_TO_REPORT,
)
from naltrack.domain.security.consent import PURPOSES
from naltrack.domain.security.consent_form import (
    CONDITIONING_TEXT,
    CONSENT_ELEMENTS_SOURCE,
    REVOCATION_TEXT,
)
from naltrack.domain.security.roles import CLINICAL_CATEGORIES
from naltrack.services.documents import (
    AfterVisitSummary,
    ConsentFormContent,
    DocumentHeader,
    InjectionRecord,
    ReferralPacket,
    WalletCard,
)
from naltrack.web.report_pdf import latin1

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
#: ISO/IEC 7810 ID-1 (a credit card), in mm.
CARD_WIDTH, CARD_HEIGHT = 85.6, 54.0
CARD_PAD = 3.0
INK, MUTED, ALERT = (27, 31, 36), (74, 83, 97), (164, 22, 26)

#: The record categories of a consent in plain words.
CATEGORY_WORDS: dict[str, str] = {
    "demographics": "name, date of birth and contact details", "schedule": "appointments",
    "episodes": "treatment episodes (start and end of care)", "diagnoses": "diagnoses, including substance use "
    "disorder", "regimens": "naltrexone orders", "administrations": "naltrexone doses and injections given",
    "medications": "medicines", "allergies": "allergies", "labs": "lab results (including liver tests and "
    "pregnancy tests)", "urine-screens": "urine drug screens", "substance-use": "alcohol and drug use reported",
    "questionnaires": "questionnaire scores", "counseling": "counseling notes and groups",
    "adverse-events": "side effects", "safety-assessments": "suicide-risk safety assessments",
    "clinical-views": "treatment summaries (blocked-through date, alerts)",
}
PURPOSE_WORDS: dict[str, str] = {
    "treatment": "treatment", "payment": "payment", "health-care-operations": "health care operations",
    "referral": "referral to another provider", "research": "research", "patient-request": "at my request",
    "legal": "legal proceedings", "emergency": "medical emergency",
}
VISIT_WORDS: dict[str, str] = {
    "injection": "injection visit", "induction": "starting naltrexone", "prescriber": "visit with your prescriber",
    "counseling": "counseling", "lab": "lab tests", "intake": "intake",
}


def day_text(day: date) -> str:
    """A day as the documents print it.

    Examples
    --------
    >>> day_text(date(2026, 12, 8))
    'Tuesday, December 8, 2026'
    """
    return f"{day:%A, %B} {day.day}, {day.year}"


class _Document(FPDF):
    """A page with DejaVu Sans when installed (else Helvetica), and a few helpers."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.unicode = all((FONT_DIR / name).is_file() for name in _FONT_FILES.values())
        if self.unicode:
            for style, name in _FONT_FILES.items():
                self.add_font("dejavu", style, str(FONT_DIR / name))
        self.family = "dejavu" if self.unicode else "helvetica"
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(self.plain(title))
        self.set_creator("naltrack")
        self.footer_text = ""

    def plain(self, text: str) -> str:
        """``text`` in the font's character set."""
        return text if self.unicode else latin1(text)

    def font(self, size: float, style: str = "", color: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*color)

    def footer(self) -> None:
        if not self.footer_text:
            return
        self.set_y(-12)
        self.font(7.5, color=MUTED)
        self.cell(0, 4, self.plain(f"{self.footer_text} - page {self.page_no()}"), align="C")

    def heading(self, text: str, size: float = 13, color: tuple[int, int, int] = INK) -> None:
        if self.will_page_break(size):
            self.add_page()
        self.font(size, "B", color)
        self.multi_cell(0, size * 0.5, self.plain(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.2)

    def para(self, text: str, size: float = 10.5, style: str = "", color: tuple[int, int, int] = INK) -> None:
        self.font(size, style, color)
        self.multi_cell(0, size * 0.48, self.plain(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def bullets(self, items: Sequence[str], size: float = 10.5) -> None:
        self.font(size)
        for item in items:
            self.set_x(self.l_margin + 2)
            self.cell(4, size * 0.48, self.plain("\u2022"))
            self.multi_cell(0, size * 0.48, self.plain(item), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(0.6)
        self.ln(1)

    def boxed(self, title: str, lines: Sequence[str], color: tuple[int, int, int] = ALERT) -> None:
        """A framed block: a bold title in ``color`` and its lines."""
        x, y, width = self.get_x(), self.get_y(), self.epw
        self.set_left_margin(x + 3)
        self.set_right_margin(self.r_margin + 3)
        self.set_y(y + 2.5)
        self.heading(title, 11.5, color)
        for line in lines:
            self.para(line, 10)
        self.set_left_margin(x)
        self.set_right_margin(self.r_margin - 3)
        bottom = self.get_y() + 1
        self.set_draw_color(*color)
        self.set_line_width(0.6)
        self.rect(x, y, width, bottom - y)
        self.set_y(bottom + 3)

    def blank_line(self, label: str, width: float = 0, size: float = 10.5) -> None:
        """A label and a line to write on."""
        self.font(size)
        label_w = self.get_string_width(self.plain(label)) + 2
        self.cell(label_w, 8, self.plain(label))
        line_w = (width or self.epw) - label_w
        x, y = self.get_x(), self.get_y() + 6
        self.set_draw_color(*MUTED)
        self.set_line_width(0.25)
        self.line(x, y, x + line_w, y)
        self.ln(9)


def _who(pdf: _Document, header: DocumentHeader) -> None:
    pdf.para(f"{header.patient_name}, born {day_text(header.birth_date)}", 11, "B")
    pdf.para(f"{header.clinic_name} - printed {day_text(header.made_on)}", 9.5, color=MUTED)
    pdf.ln(1)


def _contact(header: DocumentHeader) -> str:
    return header.contact or "____________________"


def _blocked_words(blocked_through: date | None, today: date) -> str:
    if blocked_through is None:
        return "No naltrexone block is on record."
    if blocked_through < today:
        return (f"Your naltrexone block ended on {day_text(blocked_through)}. You are NOT protected against "
                f"opioids now.")
    return (f"Opioids are blocked through {day_text(blocked_through)}. After that day the block wears off and you "
            f"are not protected.")


# The wallet card ----------------------------------------------------------------------------------------------

def render_wallet_card(card: WalletCard) -> bytes:
    """The emergency wallet card: front and back panels on one page, with cut marks and a fold line."""
    pdf = _Document(f"Naltrexone wallet card - {card.header.patient_name}")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    left = (pdf.w - 2 * CARD_WIDTH) / 2
    top = 22.0
    pdf.font(12, "B")
    pdf.set_xy(left, 10)
    pdf.cell(2 * CARD_WIDTH, 6, pdf.plain("Emergency wallet card"), align="C")
    _front(pdf, card, left, top)
    _back(pdf, card, left + CARD_WIDTH, top)
    _marks(pdf, left, top)
    pdf.set_xy(left, top + CARD_HEIGHT + 8)
    pdf.set_left_margin(left)
    pdf.set_right_margin(left)
    pdf.para("Cut along the corner marks, fold on the dashed line (printed sides out), and keep the card with your "
             "ID. " + CARD_CHOICE_TEXT + " It names your medicine so an emergency team can treat pain safely; it "
             "does not name any diagnosis.", 9.5)
    pdf.para(PRINTED_SOURCES, 7.5, color=MUTED)
    return bytes(pdf.output())


def _panel_text(pdf: _Document, x: float, y: float, width: float, height: float,
                parts: Sequence[tuple[str, str, float, tuple[int, int, int]]]) -> None:
    """Set ``parts`` (text, style, size, colour) in the box, shrinking them together until they fit."""
    scale = 1.0
    while scale > 0.5:
        total = 0.0
        for text, style, size, _ in parts:
            pdf.font(size * scale, style)
            lines = pdf.multi_cell(width, size * scale * 0.42, pdf.plain(text), align="L", dry_run=True, output="LINES")
            total += len(cast(list[str], lines)) * size * scale * 0.42 + 0.6
        if total <= height:
            break
        scale -= 0.04
    pdf.set_xy(x, y)
    for text, style, size, color in parts:
        pdf.font(size * scale, style, color)
        pdf.set_x(x)
        pdf.multi_cell(width, size * scale * 0.42, pdf.plain(text), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_y(pdf.get_y() + 0.6)


def _front(pdf: _Document, card: WalletCard, x: float, y: float) -> None:
    band = 9.0
    pdf.set_fill_color(*ALERT)
    pdf.rect(x, y, CARD_WIDTH, band, style="F")
    pdf.font(10.5, "B", (255, 255, 255))
    pdf.set_xy(x, y + 1.5)
    pdf.cell(CARD_WIDTH, 6, pdf.plain("I TAKE NALTREXONE (opioid blocker)"), align="C")
    header = card.header
    blocked = (f"Opioids blocked through: {day_text(card.blocked_through)}" if card.blocked_through is not None
               else "Opioids blocked through: not on record")
    parts = [
        (f"Form: {FORM_WORDS[card.form]}", "", 7.8, INK),
        (f"Last dose: {day_text(card.last_dose_on)}", "", 7.8, INK),
        (blocked, "B", 9.5, ALERT),
        (f"Name: {header.patient_name}  (born {header.birth_date.isoformat()})", "", 7, INK),
        (f"Clinic: {header.clinic_name}", "", 7, INK),
        (f"Clinic phone: {_contact(header)}", "", 7, INK),
        (f"Card printed {header.made_on.isoformat()}. See the back for pain treatment.", "I", 6, MUTED),
    ]
    _panel_text(pdf, x + CARD_PAD, y + band + 1.5, CARD_WIDTH - 2 * CARD_PAD, CARD_HEIGHT - band - 1.5 - CARD_PAD,
                parts)


def _back(pdf: _Document, card: WalletCard, x: float, y: float) -> None:
    parts = [("For the emergency team", "B", 9.5, ALERT),
             *((f"\u2022 {line}", "", 7.8, INK) for line in EMERGENCY_PAIN_ADVICE),
             (f"Call the clinic: {card.header.clinic_name}, {_contact(card.header)}", "B", 7.8, INK)]
    _panel_text(pdf, x + CARD_PAD, y + CARD_PAD, CARD_WIDTH - 2 * CARD_PAD, CARD_HEIGHT - 2 * CARD_PAD, parts)


def _marks(pdf: _Document, left: float, top: float) -> None:
    """Cut marks outside the four corners of the folded pair, a dashed fold line, a faint outline."""
    right, bottom, mark, gap = left + 2 * CARD_WIDTH, top + CARD_HEIGHT, 5.0, 1.5
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.1)
    pdf.rect(left, top, 2 * CARD_WIDTH, CARD_HEIGHT)
    pdf.set_line_width(0.3)
    for cx, sx in ((left, -1), (right, 1)):
        for cy, sy in ((top, -1), (bottom, 1)):
            pdf.line(cx + sx * gap, cy, cx + sx * (gap + mark), cy)
            pdf.line(cx, cy + sy * gap, cx, cy + sy * (gap + mark))
    fold = left + CARD_WIDTH
    pdf.line(fold, top - gap - mark, fold, top - gap)
    pdf.line(fold, bottom + gap, fold, bottom + gap + mark)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=1.2, gap=1.2)
        pdf.line(fold, top, fold, bottom)


# The after-visit summary --------------------------------------------------------------------------------------

def render_after_visit(summary: AfterVisitSummary) -> bytes:
    header = summary.header
    pdf = _Document(f"After your visit - {header.patient_name}")
    pdf.footer_text = f"{header.clinic_name} - after-visit summary - {header.made_on.isoformat()}"
    pdf.add_page()
    pdf.heading("After your visit", 18)
    _who(pdf, header)
    pdf.heading("What you got today")
    if summary.doses_today:
        pdf.bullets([d.text for d in summary.doses_today])
    else:
        pdf.para("No naltrexone dose was given at this visit.")
    pdf.heading("Your opioid block")
    pdf.para(_blocked_words(summary.blocked_through, header.made_on), 11, "B")
    if summary.next_injection_due is not None:
        pdf.para(f"Next injection due: {day_text(summary.next_injection_due)}. Come on time: the block wears off "
                 "if the injection is late.", 11)
    pdf.heading("Your next appointments")
    if summary.next_visits:
        pdf.bullets([f"{day_text(v.starts_at.date())} at {v.starts_at:%I:%M %p}".replace(" 0", " ")
                     + f": {VISIT_WORDS.get(v.kind, v.kind)}" for v in summary.next_visits])
    else:
        pdf.para("No appointment is booked yet. Please call the clinic to book one.")
    pdf.heading("Call the clinic if you notice")
    pdf.bullets(SIDE_EFFECTS_TO_REPORT)
    pdf.boxed("Overdose warning", OVERDOSE_WARNING)
    pdf.para(f"Clinic: {header.clinic_name}. Phone: {_contact(header)}", 11, "B")
    pdf.para(PRINTED_SOURCES, 7.5, color=MUTED)
    return bytes(pdf.output())


# The injection record -----------------------------------------------------------------------------------------

def render_injection_record(record: InjectionRecord) -> bytes:
    header = record.header
    pdf = _Document(f"Injection record - {header.patient_name}")
    pdf.footer_text = f"{header.clinic_name} - injection record - {header.made_on.isoformat()}"
    pdf.add_page()
    pdf.heading("Your naltrexone injections", 18)
    _who(pdf, header)
    if record.next_injection_due is not None:
        pdf.para(f"Next injection due: {day_text(record.next_injection_due)}", 12, "B", ALERT)
    if not record.injections:
        pdf.para("No injection is on record.")
        return bytes(pdf.output())
    pdf.ln(2)
    pdf.font(9.5)
    with pdf.table(col_widths=(62, 26, 30, 20, 42), text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT"),
                   line_height=5.2, first_row_as_headings=True) as table:
        row = table.row()
        for title in ("Date", "Side", "Lot", "Dose", "Given by"):
            row.cell(pdf.plain(title))
        for shot in record.injections:
            row = table.row()
            for value in (day_text(shot.given_on), f"{shot.side} buttock", shot.lot, f"{shot.dose_mg:g} mg",
                          shot.given_by):
                row.cell(pdf.plain(value))
    pdf.ln(3)
    pdf.para(f"{len(record.injections)} injection(s) on record. Bring this record to any new doctor or clinic.",
             9.5, color=MUTED)
    return bytes(pdf.output())


# The consent form ---------------------------------------------------------------------------------------------

def render_consent_form(form: ConsentFormContent) -> bytes:
    header, consent = form.header, form.consent
    pdf = _Document(f"Consent to disclose - {header.patient_name}")
    pdf.footer_text = (f"{header.patient_name} - consent to disclose substance use disorder records (42 CFR Part 2)"
                       + (f" - consent {consent.id}" if consent is not None else " - blank form"))
    pdf.add_page()
    pdf.heading("Consent to share substance use disorder treatment records", 15)
    pdf.para("Federal law (42 CFR Part 2) protects these records. We may share them only as you allow on this "
             "form. Please read each part before you sign.", 10)
    if consent is not None and consent.revoked_at is not None:
        pdf.para(f"This consent was revoked on {consent.revoked_at.date().isoformat()}: it allows no further "
                 "disclosure.", 11, "B", ALERT)
    # What the patient reads comes first; the signature and its date close the form, together on one page.
    signing = [e for e in form.elements if e.key in _SIGNING]
    for element in [e for e in form.elements if e.key not in _SIGNING] + signing:
        if pdf.will_page_break(_SIGNING_BLOCK_MM if signing and element is signing[0] else 30):
            pdf.add_page()
        pdf.font(11, "B")
        pdf.multi_cell(0, 5.5, pdf.plain(element.heading), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.para(f"({element.citation}) {element.requirement}", 7.5, "I", MUTED)
        _consent_element(pdf, form, element.key)
        pdf.ln(1.5)
    pdf.para(f"Required elements: {CONSENT_ELEMENTS_SOURCE}.", 7.5, color=MUTED)
    return bytes(pdf.output())


#: The elements signed last, and the height they need together (mm).
_SIGNING = frozenset({"signature", "date"})
_SIGNING_BLOCK_MM = 75.0


def _consent_element(pdf: _Document, form: ConsentFormContent, key: str) -> None:
    consent, header = form.consent, form.header
    if key == "patient":
        pdf.para(f"{header.patient_name}, born {header.birth_date.isoformat()}")
    elif key == "discloser":
        pdf.para(f"{form.discloser} (the program)")
    elif key == "information":
        pdf.para("Substance use disorder treatment records from the program (naltrexone treatment for opioid or "
                 "alcohol use disorder), limited to:", 10)
        if consent is not None:
            pdf.bullets([CATEGORY_WORDS.get(c, c) for c in consent.categories], 10)
        else:
            pdf.bullets([f"[  ] {CATEGORY_WORDS[c]}" for c in CLINICAL_CATEGORIES], 9.5)
    elif key == "recipient":
        if consent is not None:
            pdf.para(consent.recipient, 11, "B")
        else:
            pdf.blank_line("Name of person or organization:")
    elif key == "purpose":
        if consent is not None:
            pdf.para(PURPOSE_WORDS.get(consent.purpose, consent.purpose), 11, "B")
        else:
            pdf.para("   ".join(f"[  ] {PURPOSE_WORDS[p]}" for p in PURPOSES if p != "emergency"), 10)
            pdf.blank_line("Other (describe):")
    elif key == "revocation":
        pdf.para(REVOCATION_TEXT, 10)
    elif key == "expiration":
        if consent is not None:
            pdf.para(f"This consent ends on {day_text(consent.expires_on)} unless you revoke it sooner.", 11, "B")
        else:
            pdf.blank_line("This consent ends on (date, event or condition):")
    elif key == "signature":
        pdf.blank_line("Signature of patient:")
        pdf.blank_line("Signature of person authorized to sign for the patient (if any):")
        pdf.blank_line("Their name and authority (e.g. parent, guardian):")
    elif key == "date":
        if consent is not None:
            pdf.para(f"Recorded as signed on {day_text(consent.signed_on)} by the {consent.signed_by}.", 10)
        pdf.blank_line("Date signed:", 90)
    elif key == "conditioning":
        pdf.para(CONDITIONING_TEXT, 10)


# The referral packet ------------------------------------------------------------------------------------------

def render_referral_packet(packet: ReferralPacket) -> bytes:
    pdf = _Document(f"Records disclosed to {packet.recipient}")
    pdf.footer_text = f"{packet.program} - disclosure {packet.disclosure_id} - 42 CFR Part 2 protected"
    pdf.add_page()
    pdf.heading("Records disclosed with the patient's written consent", 15)
    pdf.para(f"From: {packet.program}", 10.5, "B")
    pdf.para(f"To: {packet.recipient}", 10.5, "B")
    pdf.para(f"Purpose: {PURPOSE_WORDS.get(packet.purpose, packet.purpose)}", 10.5)
    pdf.para("Records included: " + "; ".join(CATEGORY_WORDS.get(c, c) for c in packet.categories), 10.5)
    pdf.para(f"Disclosed {packet.disclosed_at:%Y-%m-%d %H:%M %Z} (disclosure {packet.disclosure_id})", 9,
             color=MUTED)
    pdf.boxed("Notice to the recipient (42 CFR 2.32)", [packet.notice])
    if not packet.sections:
        pdf.para("No record of the consented categories is on file.")
    for section in packet.sections:
        pdf.heading(f"{section.kind.replace('_', ' ').capitalize()} ({len(section.records)})", 12)
        for record in section.records:
            text = "; ".join(f"{name}: {value}" for name, value in record)
            pdf.bullets([text], 9)
    return bytes(pdf.output())
