"""The end of `newsflow demo` on a real warehouse: the rollups are refreshed, so the examples
of docs/sql.md that read them (2-5) return rows right after a first demo, before
news_maintenance ever ran; the commands it prints are the ones the user can type.

A database of its own on the test stack's server, filled with the sample site as
test_sql_docs does, but with the rollups left stale as the demo's DAG run leaves them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sample_warehouse import load_sample_site
from scratch_db import database_url, scratch_database
from sqlalchemy import create_engine

from devtools.demo import show_warehouse
from devtools.sqldoc import DOC, examples
from pipeline.config import CLEANED_TOPIC, Settings

pytestmark = pytest.mark.integration
ROLLUP_EXAMPLES = examples(DOC.read_text(encoding="utf-8"))[1:5]


@pytest.fixture(scope="module")
def demo_warehouse(stack: Settings, tmp_path_factory) -> Iterator[tuple[Settings, object]]:
    with scratch_database(stack, "test_demo") as settings:
        engine = create_engine(database_url(settings))
        try:
            from pipeline.jobs import migrate_warehouse

            migrate_warehouse(settings)
            assert load_sample_site(settings, tmp_path_factory.mktemp("demo"), refresh=False) == []
            yield settings, engine
        finally:
            engine.dispose()


def _rows(engine, sql: str) -> int:
    with engine.connect() as conn:
        return len(conn.exec_driver_sql(sql).all())


def test_the_demo_refreshes_the_rollups_the_docs_examples_read(demo_warehouse):
    settings, engine = demo_warehouse
    assert [e.name for e in ROLLUP_EXAMPLES] == [
        "top-entities-per-day",
        "top-entities-per-source",
        "entity-timeline",
        "entity-cooccurrence",
    ]
    # As a DAG run leaves them: the articles are stored, the rollups are still empty.
    assert _rows(engine, "SELECT * FROM articles") > 0
    assert {e.name: _rows(engine, e.sql) for e in ROLLUP_EXAMPLES} == {
        e.name: 0 for e in ROLLUP_EXAMPLES
    }

    printed: list[str] = []
    show_warehouse(settings, printed.append, ".venv/bin/newsflow")

    empty = [e.name for e in ROLLUP_EXAMPLES if _rows(engine, e.sql) == 0]
    assert empty == [], f"docs/sql.md examples with no rows after the demo: {empty}"
    assert any(line.startswith('$ .venv/bin/newsflow sql "SELECT') for line in printed)
    assert printed[-3].endswith(f".venv/bin/newsflow tail {CLEANED_TOPIC} -n 3")
    assert printed[-1].endswith(".venv/bin/newsflow stack down")
