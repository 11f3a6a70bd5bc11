"""The portal's education pages: short, plain-language texts for patients.

Written for the portal from the clinic's patient-education pages (``seeds/``) and the facts of
``reference/clinical.md`` (each page names the sections it rests on in :attr:`Topic.sources`).
They describe; they never compute a patient's own dates (those are on the home page).
"""

from __future__ import annotations

from dataclasses import dataclass

from naltrack.domain.errors import NotFound


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    summary: str
    paragraphs: tuple[str, ...]
    sources: str


TOPICS: tuple[Topic, ...] = (
    Topic(
        "how-it-works", "How naltrexone works",
        "It blocks opioids and makes alcohol less rewarding.",
        ("Naltrexone sits on the opioid receptors in your brain and blocks them. While it is working, opioids "
         "such as heroin, fentanyl, oxycodone or codeine cannot give their usual effects. It also makes "
         "drinking less rewarding, which helps many people drink less.",
         "Naltrexone is not an opioid. It does not make you high and you do not become dependent on it.",
         "It comes as a tablet you take by mouth, a shot into the buttock muscle every 4 weeks (Vivitrol, "
         "380 mg), or an implant under the skin. Your care team will tell you which one you have and when the "
         "next dose is due. Your home page shows the date your protection is expected to last through."),
        "seeds (naltrexone and Vivitrol pages); clinical.md §2, §3",
    ),
    Topic(
        "starting", "Starting: opioid-free first",
        "You must be off all opioids for 7 to 10 days, and longer after methadone or buprenorphine.",
        ("Naltrexone pushes opioids off the receptors. If opioids are still in your body, this can cause sudden, "
         "severe withdrawal (called precipitated withdrawal), sometimes bad enough to need a hospital.",
         "So you need to be free of all opioids for at least 7 to 10 days before the first dose. The clinic "
         "checks with a urine test, and may give a small test dose of naloxone first.",
         "After methadone or buprenorphine (Suboxone), withdrawal can be set off for as long as two weeks, so "
         "the wait is usually longer: often 7 to 14 days after the last buprenorphine. Tell the team exactly "
         "what you took and when, even if it was only once."),
        "clinical.md §2.1 (opioid-free 7-10 days; up to two weeks after methadone or buprenorphine; ASAM 7-14 days)",
    ),
    Topic(
        "side-effects", "Side effects to report",
        "Tell us about any problem where the shot was given, and about low mood.",
        ("Common side effects are nausea or vomiting, dizziness, sleepiness or trouble sleeping, muscle cramps "
         "and less appetite. Tell the clinic about any that bother you.",
         "Where the shot was given you may have pain, tenderness, swelling, a hard lump, redness or itching. "
         "Most of these go away, but some reactions become very serious and need surgery. Report any pain, "
         "swelling or lump at the site in this portal or by phone, and call the clinic the same day if it gets "
         "worse, becomes an open sore, or has not improved after 2 weeks.",
         "Also tell us about yellow skin or eyes, dark urine or pain in the upper belly (these can mean a liver "
         "problem), and about feeling down or hopeless. If you think about harming yourself, call or text 988 "
         "now. In an emergency call 911."),
        "clinical.md §3 (injection-site reactions, FDA 2008; hepatotoxicity; common adverse events)",
    ),
    Topic(
        "overdose-risk", "Overdose risk after stopping or missing a dose",
        "When naltrexone wears off, a dose you used to take can kill you.",
        ("After detox and weeks without opioids, your body is no longer used to them: your tolerance is low. "
         "When naltrexone wears off (at the end of the 4 weeks after a shot, after a missed dose, or after you "
         "stop) the amount of opioid you used to take can now cause a fatal overdose.",
         "Trying to get past the block by taking a lot of opioids is also very dangerous and can be fatal.",
         "Keep naloxone (Narcan) at home and with you, and show the people close to you how to use it. If "
         "someone will not wake up or is not breathing well, give naloxone and call 911.",
         "If you miss a dose, call the clinic: do not wait until the next visit."),
        "clinical.md §3 (vulnerability to opioid overdose; naloxone co-prescribing, label 2.2)",
    ),
    Topic(
        "pain-medicine", "Before any pain medicine: tell every provider",
        "Opioid pain medicine will not work normally while you are on naltrexone.",
        ("Tell every doctor, dentist, pharmacist and emergency team that you take naltrexone, before they give "
         "you any pain medicine. Opioid pain medicines will not work the usual way while it is blocking.",
         "In an emergency, pain can still be treated: with numbing (regional anesthesia), with medicines that "
         "are not opioids, or, if opioids are really needed, under close watch in a hospital.",
         "Carry your wallet card with you at all times. It says that you take naltrexone and who to call. Ask "
         "the front desk for a printed card if you do not have one. Before planned surgery, tell the surgeon "
         "early: the naltrexone may need to be stopped days to weeks ahead."),
        "clinical.md §3 (emergency pain management; wallet card; ASAM: stop before elective surgery)",
    ),
    Topic(
        "support", "Counseling and support groups",
        "Medication works best with counseling and support.",
        ("Naltrexone works best together with counseling. Your counselor can meet with you alone, with your "
         "family, or in a group, and helps you plan for cravings and hard days.",
         "Support groups such as 12-step meetings (Narcotics Anonymous, Alcoholics Anonymous) or SMART Recovery "
         "let you meet people who have been where you are. Ask the clinic which groups meet near you.",
         "Your diary in this portal (drinks and cravings) helps you and your counselor see patterns."),
        "seeds (medication-assisted treatment with counseling and 12-step support); DESIGN.md (counseling)",
    ),
)


def find_topic(slug: str) -> Topic:
    """The topic named ``slug``; :class:`NotFound` otherwise."""
    for topic in TOPICS:
        if topic.slug == slug:
            return topic
    raise NotFound("page", slug)
