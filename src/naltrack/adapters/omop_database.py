"""OMOP CDM tables read from a database (a SQLAlchemy URL: PostgreSQL, SQLite, ...), for the population measures.

:func:`input_path` gives a measure of :mod:`naltrack.analytics.population` its input: a file or folder as it
is, or the tables of a database copied to a folder (:func:`staged_omop`): the tables a measure reads, only
their needed columns, are copied to Parquet files in a private temporary folder, in chunks of rows streamed
from the database; the measure then reads the folder as it reads any OMOP folder
(:mod:`naltrack.analytics.omop`), on DuckDB or Spark. One read of the database, one definition of the
measure: the SQL that runs over Parquet runs over the copy. When the database has the vocabulary's ``concept``
table, the concept id columns the measure reads are copied too, and of ``concept`` only the rows a copied
concept id column refers to, of the vocabularies read there (RxNorm and RxNorm Extension for drugs; SNOMED,
ICD10CM and ICD10 for diagnoses): the database selects them, so a vocabulary of millions of concepts is not
copied. The folder is removed when the measure ends. On a Spark cluster the copy is on this machine: its
executors read it only when the temporary folder (``TMPDIR``) is on a file system they share.

A password in the URL never appears in an error: the URL is shown with it hidden.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from naltrack.analytics.iet_population import EPISODE_COLUMNS, IET_COLUMNS, IET_CONCEPT_COLUMNS
from naltrack.analytics.omop import CONCEPT_COLUMNS, OMOP_COLUMNS, OMOP_CONCEPT_COLUMNS
from naltrack.analytics.population import InputFormat
from naltrack.domain.errors import InvalidInput

#: Rows fetched from the database and written to DuckDB at a time.
CHUNK_ROWS = 100_000
#: Concept id columns by (table, column), each with the vocabularies read there.
References = dict[tuple[str, str], tuple[str, ...]]


def is_database_url(text: str) -> bool:
    """True for a database URL (``scheme://...``), as opposed to a file or folder path.

    >>> is_database_url("postgresql+psycopg://reader@db/cdm"), is_database_url("/data/omop")
    (True, False)
    """
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").isalnum()


def shown(url: str) -> str:
    """The URL with its password hidden (what an error may print).

    >>> shown("postgresql://reader:s3cret@db/cdm")
    'postgresql://reader:***@db/cdm'
    """
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("://", 1)[0] + "://..."


@contextmanager
def input_path(source: Path | str, input_format: InputFormat, *, iet: bool = False,
               schema: str | None = None) -> Iterator[Path]:
    """The input's path: ``source`` itself, or, for OMOP tables in a database (``source`` a URL), a temporary
    folder of the tables the measure reads (:func:`staged_omop`; ``iet``: also
    the diagnoses, visits and episodes; the concepts they refer to when the database has ``concept``), removed
    when the measure ends.

    Raises
    ------
    InvalidInput
        A database URL given for claims, or ``schema`` for a file or folder.
    """
    text = str(source)
    if not is_database_url(text):
        if schema is not None:
            raise InvalidInput("schema", schema, "is for OMOP tables in a database (INPUT a database URL)")
        yield Path(source)
        return
    if input_format != "omop":
        raise InvalidInput("INPUT", shown(text), "is a database URL: only OMOP tables are read from one "
                                                 "(--format omop)")
    tables = {**OMOP_COLUMNS, **(IET_COLUMNS if iet else {}), **({"episode": EPISODE_COLUMNS} if iet else {})}
    references = {**OMOP_CONCEPT_COLUMNS, **(IET_CONCEPT_COLUMNS if iet else {})}
    with staged_omop(text, tables, frozenset({"episode"}), schema, references) as folder:
        yield folder


@contextmanager
def staged_omop(url: str, tables: dict[str, tuple[str, ...]], optional: frozenset[str] = frozenset(),
                schema: str | None = None, references: References | None = None) -> Iterator[Path]:
    """A temporary folder holding ``<table>.parquet`` for each of ``tables`` (their ``needed`` columns) read from
    the database at ``url`` (in ``schema`` when given); a table of ``optional`` the database lacks is left out.
    When the database has a ``concept`` table, the concept id columns of ``references`` are needed too, and
    ``concept.parquet`` holds the concepts they refer to, of the vocabularies named for each.

    Raises
    ------
    InvalidInput
        A URL SQLAlchemy cannot open (its driver is not installed, the server refuses), a missing table or
        column (named ``table.column``), a value that does not convert (a date that is not one).
    """
    folder = Path(tempfile.mkdtemp(prefix="naltrack-omop-"))
    try:
        _copy(url, tables, optional, schema, references or {}, folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy(url: str, tables: dict[str, tuple[str, ...]], optional: frozenset[str], schema: str | None,
          references: References, folder: Path) -> None:
    try:
        engine = sa.create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise InvalidInput("INPUT", shown(url), f"is not a database URL this installation opens ({error})") from error
    try:
        with engine.connect() as connection, duckdb.connect() as con:
            inspector = sa.inspect(connection)
            present = set(inspector.get_table_names(schema=schema))
            wanted = dict(tables)
            if "concept" in present:
                for table, column in references:
                    wanted[table] = (*wanted.get(table, ()), column)
                wanted["concept"] = CONCEPT_COLUMNS
            for table, needed in wanted.items():
                if table not in present:
                    if table in optional:
                        continue
                    where = f" (schema {schema})" if schema else ""
                    raise InvalidInput(table, shown(url), f"is not a table of the database{where}")
                types = {c["name"]: c["type"] for c in inspector.get_columns(table, schema=schema)}
                for column in needed:
                    if column not in types:
                        raise InvalidInput(f"{table}.{column}", "", "is a required column and is missing")
                source = sa.table(table, *(sa.column(c) for c in needed), schema=schema)
                query = _concepts_query(source, references, schema) if table == "concept" else sa.select(*source.c)
                _copy_table(connection, con, table, [(c, _duck_type(types[c])) for c in needed], query, folder)
    except SQLAlchemyError as error:
        raise InvalidInput("INPUT", shown(url), f"could not be read ({str(error).splitlines()[0]})") from error
    finally:
        engine.dispose()


def _concepts_query(concept: sa.TableClause, references: References, schema: str | None) -> sa.Select[object]:
    """The ``concept`` rows a referring column holds the id of, of the vocabularies read there (the database
    selects them: a vocabulary of millions of concepts is not streamed)."""
    wanted = [sa.and_(concept.c.vocabulary_id.in_(vocabularies),
                      concept.c.concept_id.in_(sa.select(sa.table(table, sa.column(column), schema=schema).c[column])))
              for (table, column), vocabularies in references.items()]
    return sa.select(*concept.c).where(sa.or_(sa.false(), *wanted))


def _copy_table(connection: sa.Connection, con: duckdb.DuckDBPyConnection, table: str,
                columns: list[tuple[str, str]], query: sa.Select[object], folder: Path) -> None:
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{name} {kind}' for name, kind in columns)})")
    unnested = ", ".join(f"unnest(${n}::{kind}[])" for n, (_, kind) in enumerate(columns, start=1))
    result = connection.execution_options(stream_results=True).execute(query)
    while rows := result.fetchmany(CHUNK_ROWS):
        values = [list(column) for column in zip(*rows, strict=True)]
        try:
            con.execute(f"INSERT INTO {table} SELECT {unnested}", values)
        except duckdb.Error as error:
            raise InvalidInput(table, "", f"has a value that cannot be read ({str(error).splitlines()[0]})") from error
    target = str(folder / f"{table}.parquet").replace("'", "''")
    con.execute(f"COPY {table} TO '{target}' (FORMAT PARQUET)")


def _duck_type(kind: sa.types.TypeEngine[object]) -> str:
    """The DuckDB type a column is staged as: dates as DATE, integers as BIGINT, anything else as text."""
    if isinstance(kind, sa.Date | sa.DateTime):
        return "DATE"
    if isinstance(kind, sa.Integer):
        return "BIGINT"
    return "VARCHAR"


__all__ = ["CHUNK_ROWS", "input_path", "is_database_url", "shown", "staged_omop"]
