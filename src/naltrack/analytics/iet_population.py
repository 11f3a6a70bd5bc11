"""HEDIS IET over an OMOP CDM v5.4 folder, on DuckDB or Spark: the program's IET rule in SQL both engines run.

The measure is :func:`naltrack.analytics.iet.measure_iet`'s (clinical.md §7.3), read from OMOP tables instead
of the program's courses; each member's facts are reduced by SQL and placed by the same
:func:`~naltrack.analytics.iet.iet_patient` and :func:`~naltrack.analytics.iet.iet_result`, so the reasons and
the cohorts are the program's own. What each fact is read from:

* **diagnoses**: ``condition_occurrence`` rows that are an OUD or AUD diagnosis by
  :func:`naltrack.domain.terminology.classify_condition` (ICD-10-CM F11/F10, the SNOMED CT concepts of the
  public value sets). With a ``concept`` table, a row is classified by the concept of its
  ``condition_concept_id``, else by that of its ``condition_source_concept_id`` (concepts of the
  vocabularies ``SNOMED``, ``ICD10CM`` and ``ICD10``, read by their ``concept_code``), else by its
  ``condition_source_value`` (ICD-10-CM, then SNOMED CT), the first that names OUD or AUD deciding; without
  one (as ``export omop`` writes), by the source value alone. The codes and concepts present are read once
  and classified by the domain, not by SQL;
* **episodes of care**: the optional ``episode`` table, rows whose ``episode_source_value`` is one of the
  program's indications (``OUD``, ``AUD``, ``OUD+AUD``, ``stimulant``; what ``export omop`` writes). Other
  episodes (a cancer episode of a research network) are not read;
* **the index**: a member's earliest episode start or OUD/AUD diagnosis; the **cohort** is the first episode's
  indication, else the kinds of the member's OUD/AUD diagnoses (the program's rule);
* **naltrexone doses**: ``drug_exposure`` rows of a naltrexone therapy code of the catalog (oral, injection,
  implant; Contrave is not one), the injection and the implant being the long-acting doses; a row's code is
  read as POD reads it (the RxNorm concept's code, else the source value; rows of other drugs are skipped);
* **treatment contacts**: ``visit_occurrence`` rows of a member with an episode of care (the program's own
  contacts, as ``export omop`` writes them), and visits carrying an OUD or AUD diagnosis
  (``condition_occurrence.visit_occurrence_id``), as a payer's claims do. A visit of another kind is not a
  treatment contact, and every naltrexone dose is one.

``drug_exposure`` is checked by the POD loader (:func:`naltrack.analytics.omop.load_omop`): the same rules and
the same named errors as POD over the same folder, the same rows skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from naltrack.analytics.definitions import DEFAULT_DEFINITIONS, MeasureDefinitions
from naltrack.analytics.engines import Engine, EngineError
from naltrack.analytics.iet import LONG_ACTING_FORMS, IetResult, iet_patient, iet_result
from naltrack.analytics.omop import has_table, load_omop, open_concepts, open_parquet, parquet_path, vocabulary_list
from naltrack.domain.catalog import FORM_OF_CLASS, all_medications, is_naltrexone_therapy
from naltrack.domain.episodes import INDICATIONS
from naltrack.domain.errors import InvalidInput
from naltrack.domain.terminology import ICD10CM, SNOMED, classify_condition

#: The OMOP tables and columns IET reads beside POD's (``episode`` is optional).
IET_COLUMNS: dict[str, tuple[str, ...]] = {
    "condition_occurrence": ("person_id", "condition_start_date", "condition_source_value", "visit_occurrence_id"),
    "visit_occurrence": ("person_id", "visit_occurrence_id", "visit_start_date"),
}
EPISODE_COLUMNS = ("person_id", "episode_start_date", "episode_source_value")
#: The OMOP vocabularies of a diagnosis concept read (``vocabulary_id``), by the code system they classify in.
CONDITION_VOCABULARIES: dict[str, str] = {"SNOMED": SNOMED, "ICD10CM": ICD10CM, "ICD10": "http://hl7.org/fhir/sid/icd-10"}
#: The concept id columns IET reads when ``concept`` is present, by (table, column): the vocabularies read there.
IET_CONCEPT_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("condition_occurrence", "condition_concept_id"): tuple(CONDITION_VOCABULARIES),
    ("condition_occurrence", "condition_source_concept_id"): tuple(CONDITION_VOCABULARIES),
}
_EPOCH = date(1970, 1, 1)
#: A code as it may stand in a SQL literal (the codes classified are letters, digits and dots).
_PLAIN_CODE = re.compile(r"[A-Za-z0-9.]{1,20}")


def measure_iet_omop(db: Engine, folder: Path, start: date | None, end: date | None,
                     definitions: MeasureDefinitions = DEFAULT_DEFINITIONS) -> IetResult:
    """IET over the OMOP ``folder`` on ``db``, the members whose index falls from ``start`` to ``end``.

    Raises
    ------
    InvalidInput
        A missing table or column (named ``table.column``), a drug exposure POD's rules refuse, a value that
        cannot be read.
    """
    load_omop(db, folder)
    for table, needed in IET_COLUMNS.items():
        open_parquet(db, table, parquet_path(folder, table), needed)
    vocabulary = open_concepts(db, folder, IET_CONCEPT_COLUMNS)
    has_episodes = has_table(folder, "episode")
    if has_episodes:
        open_parquet(db, "episode", parquet_path(folder, "episode"), EPISODE_COLUMNS)
    try:
        _load_codes(db, vocabulary)
        db.keep("iet_facts", _facts_sql(db, has_episodes, vocabulary, definitions))
        low = "" if start is None else f" AND idx >= {(start - _EPOCH).days}"
        high = "" if end is None else f" AND idx <= {(end - _EPOCH).days}"
        found = db.rows(f"SELECT pid, indication, idx, prior_dose, initiated, long_acting, later_days "
                        f"FROM iet_facts WHERE 1 = 1{low}{high}")
    except EngineError as error:
        raise InvalidInput("condition_occurrence, visit_occurrence, episode, concept", str(folder),
                           f"have a value that cannot be read ({error})") from error
    return iet_result((iet_patient(str(pid), indication, _EPOCH + timedelta(days=int(index)), _day(prior),
                                   _day(initiated), _day(long_acting), int(later or 0), definitions), indication)
                      for pid, indication, index, prior, initiated, long_acting, later in found)


def _load_codes(db: Engine, vocabulary: bool) -> None:
    """The code tables: the OUD/AUD diagnosis codes and concepts present in the input (classified by the
    domain), the naltrexone therapy codes with their long-acting flag, the program's indications."""
    present = [str(row[0]) for row in db.rows(
        "SELECT DISTINCT trim(condition_source_value) FROM condition_occurrence "
        "WHERE condition_source_value IS NOT NULL")]
    kinds = [(code, kind) for code in present if _PLAIN_CODE.fullmatch(code)
             and (kind := classify_condition(ICD10CM, code) or classify_condition(SNOMED, code))]
    db.keep("sud_codes", _values(("code", "kind"), kinds, ("STRING", "STRING")))
    if vocabulary:
        db.keep("sud_concepts", _values(("concept_id", "kind"), _concept_kinds(db), ("BIGINT", "STRING")))
    naltrexone = [(med.code, int(FORM_OF_CLASS[med.medication_class] in LONG_ACTING_FORMS))
                  for med in all_medications() if is_naltrexone_therapy(med)]
    db.keep("ntx_codes", _values(("code", "long_acting"), naltrexone, ("STRING", "INT")))
    db.keep("indications", _values(("name",), [(name,) for name in INDICATIONS], ("STRING",)))


def _concept_kinds(db: Engine) -> list[tuple[int, str]]:
    """The OUD/AUD concepts among those ``condition_occurrence`` refers to, by concept id."""
    referred = " UNION ".join(f"SELECT {column} AS concept_id FROM {table}" for table, column in IET_CONCEPT_COLUMNS)
    rows = db.rows(f"""SELECT DISTINCT c.concept_id, c.vocabulary_id, trim(CAST(c.concept_code AS STRING))
                       FROM concept AS c JOIN ({referred}) AS r ON r.concept_id = c.concept_id
                       WHERE c.vocabulary_id IN {vocabulary_list(CONDITION_VOCABULARIES)}
                         AND c.concept_code IS NOT NULL""")
    return [(int(concept_id), kind) for concept_id, vocabulary_id, code in rows
            if _PLAIN_CODE.fullmatch(str(code))
            and (kind := classify_condition(CONDITION_VOCABULARIES[str(vocabulary_id)], str(code)))]


def _values(names: tuple[str, ...], rows: Sequence[tuple[object, ...]], types: tuple[str, ...]) -> str:
    """SQL: ``rows`` as a relation of typed columns (no row: an empty one)."""
    casts = ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in zip(names, types, strict=True))
    filler = [tuple("''" if t == "STRING" else "0" for t in types)]
    literal = [tuple(f"'{v}'" if isinstance(v, str) else str(v) for v in row) for row in rows] or filler
    values = ", ".join(f"({', '.join(row)})" for row in literal)
    return f"SELECT {casts} FROM (VALUES {values}) AS t({', '.join(names)})" + ("" if rows else " WHERE 1 = 0")


def _diagnoses_sql(db: Engine, vocabulary: bool) -> str:
    """SQL: the OUD/AUD diagnoses (``pid``, day ``d``, ``kind``, ``visit_occurrence_id``): the kind of the
    standard concept, else of the source concept, else of the source value (see the module text)."""
    joins, kinds = "", ["k.kind"]
    if vocabulary:
        joins = """LEFT JOIN sud_concepts AS s ON s.concept_id = c.condition_concept_id
                   LEFT JOIN sud_concepts AS t ON t.concept_id = c.condition_source_concept_id"""
        kinds = ["s.kind", "t.kind", "k.kind"]
    return f"""SELECT pid, d, kind, visit_occurrence_id FROM (
        SELECT CAST(c.person_id AS STRING) AS pid, {db.day_number('c.condition_start_date')} AS d,
               coalesce({', '.join(kinds)}) AS kind, c.visit_occurrence_id
        FROM condition_occurrence AS c {joins}
        LEFT JOIN sud_codes AS k ON k.code = trim(c.condition_source_value)
        WHERE c.condition_start_date IS NOT NULL) AS classified
    WHERE kind IS NOT NULL"""


def _facts_sql(db: Engine, has_episodes: bool, vocabulary: bool, d: MeasureDefinitions) -> str:
    """Each member's index, cohort indication and the facts :func:`iet_patient` reads (see the module text)."""
    day = db.day_number
    episodes = (f"""SELECT CAST(e.person_id AS STRING) AS pid, {day('e.episode_start_date')} AS d, i.name
                    FROM episode AS e JOIN indications AS i ON i.name = trim(e.episode_source_value)
                    WHERE e.episode_start_date IS NOT NULL""" if has_episodes
                else "SELECT CAST('' AS STRING) AS pid, 0 AS d, CAST('' AS STRING) AS name WHERE 1 = 0")
    initiation_last = d.iet_initiation_days - 1
    engagement = d.iet_engagement_days
    return f"""WITH episodes AS ({episodes}
), first_episode AS (
    SELECT pid, d, name FROM (
        SELECT pid, d, name, row_number() OVER (PARTITION BY pid ORDER BY d, name) AS n FROM episodes) AS ranked
    WHERE n = 1
), diagnoses AS ({_diagnoses_sql(db, vocabulary)}
), diagnosed AS (
    SELECT pid, MIN(d) AS d, MAX(CASE WHEN kind = 'oud' THEN 1 ELSE 0 END) AS oud,
           MAX(CASE WHEN kind = 'aud' THEN 1 ELSE 0 END) AS aud
    FROM diagnoses GROUP BY pid
), members AS (      -- the index: the earlier of the first episode and the first diagnosis
    SELECT coalesce(e.pid, x.pid) AS pid,
           CASE WHEN e.d IS NULL THEN x.d WHEN x.d IS NULL OR e.d <= x.d THEN e.d ELSE x.d END AS idx,
           CASE WHEN e.pid IS NOT NULL THEN e.name
                WHEN x.oud = 1 AND x.aud = 1 THEN 'OUD+AUD' WHEN x.oud = 1 THEN 'OUD' ELSE 'AUD' END AS indication
    FROM first_episode AS e FULL OUTER JOIN diagnosed AS x ON x.pid = e.pid
), doses AS (
    SELECT CAST(r.person_id AS STRING) AS pid, {day('r.drug_exposure_start_date')} AS d, n.long_acting
    FROM omop_drugs AS r JOIN ntx_codes AS n ON n.code = r.code
    WHERE r.drug_exposure_start_date IS NOT NULL
), visits AS (       -- treatment contacts: a member's visits under an episode of care, or with an OUD/AUD diagnosis
    SELECT DISTINCT v.pid, v.d
    FROM (SELECT CAST(person_id AS STRING) AS pid, {day('visit_start_date')} AS d, visit_occurrence_id AS vid
          FROM visit_occurrence WHERE visit_start_date IS NOT NULL) AS v
    LEFT JOIN first_episode AS e ON e.pid = v.pid
    LEFT JOIN (SELECT DISTINCT visit_occurrence_id AS vid FROM diagnoses
               WHERE visit_occurrence_id IS NOT NULL) AS x ON x.vid = v.vid
    WHERE e.pid IS NOT NULL OR x.vid IS NOT NULL
), events AS (
    SELECT pid, d FROM visits UNION SELECT pid, d FROM doses
), history AS (
    SELECT m.pid, MAX(o.d) AS prior_dose
    FROM members AS m JOIN doses AS o ON o.pid = m.pid AND o.d >= m.idx - {d.iet_negative_history_days} AND o.d < m.idx
    GROUP BY m.pid
), initiated AS (
    SELECT m.pid, MIN(v.d) AS initiated
    FROM members AS m JOIN events AS v ON v.pid = m.pid AND v.d BETWEEN m.idx AND m.idx + {initiation_last}
    GROUP BY m.pid
), later AS (
    SELECT i.pid, COUNT(DISTINCT v.d) AS later_days
    FROM initiated AS i JOIN events AS v ON v.pid = i.pid AND v.d > i.initiated AND v.d <= i.initiated + {engagement}
    GROUP BY i.pid
), long_acting AS (
    SELECT i.pid, MIN(o.d) AS long_acting
    FROM initiated AS i JOIN doses AS o ON o.pid = i.pid AND o.long_acting = 1
         AND o.d > i.initiated AND o.d <= i.initiated + {engagement}
    GROUP BY i.pid
)
SELECT m.pid, m.indication, m.idx, h.prior_dose, i.initiated, a.long_acting, l.later_days
FROM members AS m
LEFT JOIN history AS h ON h.pid = m.pid
LEFT JOIN initiated AS i ON i.pid = m.pid
LEFT JOIN later AS l ON l.pid = m.pid
LEFT JOIN long_acting AS a ON a.pid = m.pid
"""


def _day(number: object) -> date | None:
    return None if number is None else _EPOCH + timedelta(days=int(number))  # type: ignore[call-overload]


__all__ = ["CONDITION_VOCABULARIES", "EPISODE_COLUMNS", "IET_COLUMNS", "IET_CONCEPT_COLUMNS", "measure_iet_omop"]
