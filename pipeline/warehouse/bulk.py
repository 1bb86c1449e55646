"""The consumer's bulk writes: COPY into staging tables, then one INSERT ... SELECT each.

A batch of 500 articles carries some 7,000 mentions and 500 version rows of the whole record;
sent as multi-row INSERTs or executemany they cost one parameter set per row in psycopg and
a large query text to parse per statement. COPY streams them in one round trip each:

- articles and article_versions go through a temporary table shaped like theirs (dropped at
  commit), so the upserts keep their ON CONFLICT rules, written once in `db.py`;
- mentions, whose rows of these articles were deleted just before in the same transaction,
  are copied straight into `mentions`.

Entity ids are remembered per engine across batches (`EntityIds`); the ids a batch uses are
checked against the table (and locked against deletion) in one query, so a warehouse that
lost or renumbered its entities gets fresh ids, never another entity's.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Engine, bindparam, column, table, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.types import Integer

STAGE_PREFIX = "newsflow_stage_"


@contextmanager
def _driver_copy(conn: Connection, table_name: str, columns: Sequence[str]) -> Iterator[Any]:
    """A psycopg COPY ... FROM STDIN on the connection's transaction; the driver's errors come
    out as SQLAlchemy's (a NUL character is a DataError, as with any other statement)."""
    driver = conn.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    names = ", ".join(f'"{name}"' for name in columns)
    sql = f'COPY "{table_name}" ({names}) FROM STDIN'
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            yield copy
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


def _copy_value(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict) else value


def copy_rows(
    conn: Connection, table_name: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> None:
    """COPY the rows (dicts keyed by `columns`) into `table_name`, in the caller's
    transaction. Names come from the code, never from data."""
    with _driver_copy(conn, table_name, columns) as copy:
        for row in rows:
            copy.write_row([_copy_value(row[name]) for name in columns])


# COPY's text format: a backslash starts an escape; tabs and line ends separate fields and rows.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):  # an array literal of quoted elements
        value = (
            "{"
            + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
            + "}"
        )
    return value.translate(_COPY_ESCAPES)


def copy_text(
    conn: Connection,
    table_name: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],  # of ints, strings, string lists and None
) -> None:
    """COPY rows of ints, strings, string lists and NULLs, encoded here in one piece: for
    many narrow rows (mentions), where encoding row by row in the driver costs more than the
    server's work."""
    data = "".join("\t".join(map(_text_field, row)) + "\n" for row in rows)
    with _driver_copy(conn, table_name, columns) as copy:
        copy.write(data.encode())


def stage(
    conn: Connection, like: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> TableClause:
    """A temporary table with `columns` of `like`, holding just these rows; dropped at commit. Made
    again (empty) when a savepoint of the same transaction already made it."""
    name = f"{STAGE_PREFIX}{like}"
    names = ", ".join(f'"{n}"' for n in columns)
    # The columns' types, none of the constraints or defaults.
    # Names from the code, never from data.
    create = f'CREATE TEMPORARY TABLE IF NOT EXISTS "{name}" ON COMMIT DROP AS SELECT {names} '  # noqa: S608
    create += f'FROM "{like}" WITH NO DATA'
    conn.exec_driver_sql(create)
    conn.exec_driver_sql(f'TRUNCATE "{name}"')
    copy_rows(conn, name, columns, rows)
    return table(name, *(column(n) for n in columns))


_CHECK = text(
    "SELECT entity_id, canonical, label FROM entities WHERE entity_id = ANY(:ids) "
    "ORDER BY entity_id FOR KEY SHARE"
).bindparams(bindparam("ids", type_=ARRAY(Integer)))


class EntityIds:
    """(canonical, label) → entity_id, remembered per engine across batches."""

    def __init__(self) -> None:
        self._by_engine: weakref.WeakKeyDictionary[Engine, dict[tuple[str, str], int]] = (
            weakref.WeakKeyDictionary()
        )

    def known(
        self, conn: Connection, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], int]:
        """The remembered ids of `keys` that the table still holds under the same key,
        locked FOR KEY SHARE until the transaction ends; forgets the others."""
        cache = self._by_engine.setdefault(conn.engine, {})
        wanted = {key: cache[key] for key in keys if key in cache}
        if not wanted:
            return {}
        rows = conn.execute(_CHECK, {"ids": sorted(set(wanted.values()))})
        found = {(canonical, label): entity_id for entity_id, canonical, label in rows}
        for key, entity_id in wanted.items():
            if found.get(key) != entity_id:
                cache.pop(key, None)
        return {key: entity_id for key, entity_id in wanted.items() if found.get(key) == entity_id}

    def remember(self, conn: Connection, ids: Mapping[tuple[str, str], int]) -> None:
        self._by_engine.setdefault(conn.engine, {}).update(ids)

    def forget(self, engine: Engine) -> None:
        self._by_engine.pop(engine, None)


ENTITY_IDS = EntityIds()
