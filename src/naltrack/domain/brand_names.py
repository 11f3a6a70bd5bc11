"""Brand names of the medicines naltrack classifies, with the generic words each stands for.

RxNorm brand-name (BN) codes and free text often carry a brand without its ingredients; the
terminology (:mod:`naltrack.domain.terminology`) reads each brand as the generic words below before
classifying the product (codes.md §1 "Brand names", §2).
"""

from __future__ import annotations

#: Brand (lower case) -> the generic words it stands for.
BRANDS: dict[str, str] = {
    "vivitrol": "naltrexone injectable suspension", "revia": "naltrexone oral tablet",
    "depade": "naltrexone oral tablet", "contrave": "bupropion / naltrexone",
    "embeda": "morphine / naltrexone extended release", "troxyca": "oxycodone / naltrexone extended release",
    "suboxone": "buprenorphine / naloxone", "zubsolv": "buprenorphine / naloxone",
    "bunavail": "buprenorphine / naloxone", "subutex": "buprenorphine sublingual",
    "sublocade": "buprenorphine prefilled syringe", "brixadi": "buprenorphine prefilled syringe",
    "probuphine": "buprenorphine drug implant", "butrans": "buprenorphine transdermal",
    "belbuca": "buprenorphine buccal film", "buprenex": "buprenorphine 0.3 mg/ml injection",
    "dolophine": "methadone", "methadose": "methadone", "diskets": "methadone",
    "narcan": "naloxone", "kloxxado": "naloxone", "evzio": "naloxone", "zimhi": "naloxone",
    "rextovy": "naloxone", "opvee": "nalmefene", "imodium": "loperamide", "lomotil": "diphenoxylate",
    "duragesic": "fentanyl transdermal", "oxycontin": "oxycodone extended release",
    "percocet": "oxycodone", "roxicodone": "oxycodone", "norco": "hydrocodone", "vicodin": "hydrocodone",
    "dilaudid": "hydromorphone", "ultram": "tramadol", "nucynta": "tapentadol", "demerol": "meperidine",
    "sublimaze": "fentanyl", "abstral": "fentanyl", "actiq": "fentanyl", "fentora": "fentanyl",
    "subsys": "fentanyl", "lazanda": "fentanyl", "talwin": "pentazocine", "stadol": "butorphanol",
    "kadian": "morphine extended release", "avinza": "morphine extended release",
    "ms contin": "morphine extended release", "arymo": "morphine extended release",
    "morphabond": "morphine extended release", "duramorph": "morphine", "infumorph": "morphine",
    "astramorph": "morphine", "depodur": "morphine", "exalgo": "hydromorphone extended release",
    "opana": "oxymorphone", "hysingla": "hydrocodone extended release", "zohydro": "hydrocodone extended release",
    "xtampza": "oxycodone extended release", "roxybond": "oxycodone", "conzip": "tramadol extended release",
}
