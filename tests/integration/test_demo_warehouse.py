"""The end of `newsflow demo` on a real warehouse: the rollups are refreshed, so the examples
of docs/sql.md that read them (2-5) return rows right after a first demo, before
news_maintenance ever ran; the commands it prints are the ones the user can type.

A database of its own on the test stack's server, filled with the sample site as
test_sql_docs does, but with the rollups left stale as the demo's DAG run leaves them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sample_warehouse import load_sample_site
from sqlalchemy import create_engine, make_url

from devtools.demo import show_warehouse
from devtools.sqldoc import DOC, examples
from pipeline.config import CLEANED_TOPIC, Settings

pytestmark = pytest.mark.integration
ROLLUP_EXAMPLES = examples(DOC.read_text(encoding="utf-8"))[1:5]


@pytest.fixture(scope="module")
def demo_warehouse(stack: Settings, tmp_path_factory) -> Iterator[tuple[Settings, object]]:
    base = make_url(stack.database_url())
    name = f"test_demo_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name)
    settings = stack.model_copy(
        update={"warehouse_url": SecretStr(url.render_as_string(hide_password=False))}
    )
    engine = create_engine(url)
    try:
        from pipeline.jobs import migrate_warehouse

        migrate_warehouse(settings)
        assert load_sample_site(settings, tmp_path_factory.mktemp("demo"), refresh=False) == []
        yield settings, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


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
