"""docs/sql.md against the sample site: every example query runs, as the analysts' read-only
role, and prints exactly the output the docs show.

The sample warehouse is a database of its own on the test stack's server, filled with the
sample site split into three sources (one per publisher template) through the pipeline's own
functions: ingest_source (a dry run, for fetch_log and sources), clean, the spaCy enricher and
store_batch. Kafka is left out so no other test's records can change the outputs.

NEWSFLOW_UPDATE_DOCS=1 rewrites the outputs in docs/sql.md instead of comparing them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sample_warehouse import load_sample_site
from scratch_db import scratch_database
from sqlalchemy import create_engine, make_url
from story_cases import FOLLOW_UPS

from devtools.sample_site import stories
from devtools.sqldoc import DOC, examples, render_output, with_outputs
from pipeline.config import Settings
from pipeline.jobs import migrate_warehouse
from pipeline.warehouse.db import make_engine
from pipeline.warehouse.reader_role import READER, configure_reader

pytestmark = pytest.mark.integration
EXAMPLES = examples(DOC.read_text(encoding="utf-8"))
UPDATE = os.environ.get("NEWSFLOW_UPDATE_DOCS") == "1"
READER_PASSWORD = "reader-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def sample_warehouse(stack: Settings, tmp_path_factory) -> Iterator[dict]:
    with scratch_database(
        stack, "test_sqldocs", reader_password=SecretStr(READER_PASSWORD)
    ) as settings:
        migrate_warehouse(settings)
        engine = make_engine(settings)
        configure_reader(settings, engine)
        engine.dispose()
        refused = load_sample_site(settings, tmp_path_factory.mktemp("sqldocs"), follow_ups=True)
        yield {"settings": settings, "refused": refused}


@pytest.fixture(scope="module")
def reader(sample_warehouse: dict) -> Iterator:
    url = make_url(sample_warehouse["settings"].database_url()).set(
        username=READER, password=READER_PASSWORD
    )
    engine = create_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def outputs() -> Iterator[dict[str, str]]:
    """Outputs the examples printed; written into docs/sql.md at the end with UPDATE."""
    printed: dict[str, str] = {}
    yield printed
    if UPDATE and printed:
        DOC.write_text(with_outputs(DOC.read_text(encoding="utf-8"), printed), encoding="utf-8")


def test_the_docs_have_ten_example_queries():
    assert len(EXAMPLES) >= 10
    assert len({e.name for e in EXAMPLES}) == len(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_query_prints_what_the_docs_show(example, reader, outputs):
    with reader.connect() as conn:
        result = conn.exec_driver_sql(example.sql)
        printed = render_output(list(result.keys()), [tuple(row) for row in result])
    outputs[example.name] = printed
    if not UPDATE:
        assert printed == example.output, (
            f"docs/sql.md example {example.name} is stale: rerun with NEWSFLOW_UPDATE_DOCS=1"
        )


def test_sample_warehouse_holds_every_story(sample_warehouse, reader):
    assert sample_warehouse["refused"] == [], "the enricher refused sample articles"
    with reader.connect() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM articles").scalar_one()
        indexed = conn.exec_driver_sql(
            "SELECT count(*) FROM article_search WHERE config = 'english'::regconfig"
        ).scalar_one()
        in_stories = conn.exec_driver_sql(
            "SELECT count(*) FROM articles JOIN article_stories USING (article_id)"
        ).scalar_one()
    # The site's stories and the other outlets' reports of two of them, each in a story.
    assert stored == indexed == in_stories == len(stories()) + len(FOLLOW_UPS)
