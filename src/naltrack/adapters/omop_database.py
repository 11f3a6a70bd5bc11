"""OMOP CDM tables read from a database (a SQLAlchemy URL: PostgreSQL, SQLite, ...), for the population measures.

:func:`input_path` gives a measure of :mod:`naltrack.analytics.population` its input: a file or folder as it
is, or the tables of a database copied to a folder (:func:`staged_omop`): the tables a measure reads, only
their needed columns, are copied to Parquet files in a private temporary folder, in chunks of rows streamed
from the database; the measure then reads the folder as it reads any OMOP folder
(:mod:`naltrack.analytics.omop`), on DuckDB or Spark. One read of the database, one definition of the
measure: the SQL that runs over Parquet runs over the copy. The folder is removed when the measure ends. On a
Spark cluster the copy is on this machine: its executors read it only when the temporary folder (``TMPDIR``)
is on a file system they share.

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

from naltrack.analytics.iet_population import EPISODE_COLUMNS, IET_COLUMNS
from naltrack.analytics.omop import OMOP_COLUMNS
from naltrack.analytics.population import InputFormat
from naltrack.domain.errors import InvalidInput

#: Rows fetched from the database and written to DuckDB at a time.
CHUNK_ROWS = 100_000


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
    the diagnoses, visits and episodes), removed when the measure ends.

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
    with staged_omop(text, tables, frozenset({"episode"}), schema) as folder:
        yield folder


@contextmanager
def staged_omop(url: str, tables: dict[str, tuple[str, ...]], optional: frozenset[str] = frozenset(),
                schema: str | None = None) -> Iterator[Path]:
    """A temporary folder holding ``<table>.parquet`` for each of ``tables`` (their ``needed`` columns) read from
    the database at ``url`` (in ``schema`` when given); a table of ``optional`` the database lacks is left out.

    Raises
    ------
    InvalidInput
        A URL SQLAlchemy cannot open (its driver is not installed, the server refuses), a missing table or
        column (named ``table.column``), a value that does not convert (a date that is not one).
    """
    folder = Path(tempfile.mkdtemp(prefix="naltrack-omop-"))
    try:
        _copy(url, tables, optional, schema, folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy(url: str, tables: dict[str, tuple[str, ...]], optional: frozenset[str], schema: str | None,
          folder: Path) -> None:
    try:
        engine = sa.create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise InvalidInput("INPUT", shown(url), f"is not a database URL this installation opens ({error})") from error
    try:
        with engine.connect() as connection, duckdb.connect() as con:
            inspector = sa.inspect(connection)
            present = set(inspector.get_table_names(schema=schema))
            for table, needed in tables.items():
                if table not in present:
                    if table in optional:
                        continue
                    where = f" (schema {schema})" if schema else ""
                    raise InvalidInput(table, shown(url), f"is not a table of the database{where}")
                types = {c["name"]: c["type"] for c in inspector.get_columns(table, schema=schema)}
                for column in needed:
                    if column not in types:
                        raise InvalidInput(f"{table}.{column}", "", "is a required column and is missing")
                _copy_table(connection, con, table, [(c, _duck_type(types[c])) for c in needed], schema, folder)
    except SQLAlchemyError as error:
        raise InvalidInput("INPUT", shown(url), f"could not be read ({str(error).splitlines()[0]})") from error
    finally:
        engine.dispose()


def _copy_table(connection: sa.Connection, con: duckdb.DuckDBPyConnection, table: str,
                columns: list[tuple[str, str]], schema: str | None, folder: Path) -> None:
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{name} {kind}' for name, kind in columns)})")
    source = sa.table(table, *(sa.column(name) for name, _ in columns), schema=schema)
    unnested = ", ".join(f"unnest(${n}::{kind}[])" for n, (_, kind) in enumerate(columns, start=1))
    result = connection.execution_options(stream_results=True).execute(sa.select(*source.c))
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
