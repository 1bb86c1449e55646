"""`newsflow sql` is read-only unless `--write`, even when the warehouse URL is a superuser
(the test stack connects as `postgres`), and every statement prints its command tag and row
count as psql does.

A database of its own on the test stack's server, migrated, with a few article rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scratch_db import database_url, scratch_database
from sqlalchemy import Engine, create_engine, text

from pipeline.config import Settings
from pipeline.jobs import migrate_warehouse
from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration
NEWSFLOW = str(Path(sys.executable).parent / "newsflow")
ARTICLES = 5


@pytest.fixture(scope="module")
def warehouse(stack: Settings) -> Iterator[dict]:
    with scratch_database(stack, "test_sqlwrite") as settings:
        owner = create_engine(database_url(settings))
        try:
            migrate_warehouse(settings)
            yield {"env": {**os.environ, **settings_env(settings)}, "owner": owner}
        finally:
            owner.dispose()


@pytest.fixture
def articles(warehouse: dict) -> Engine:
    """ARTICLES rows in `articles`, from source `a` (the first three) and `b`."""
    owner = warehouse["owner"]
    with owner.begin() as conn:
        conn.execute(text("DELETE FROM articles"))
        for i in range(ARTICLES):
            conn.execute(
                text(
                    "INSERT INTO articles (article_id, source_id, url, canonical_url, title, "
                    "authors, fetched_at, tags, text, word_count, content_hash, version, "
                    "extractor, enricher) VALUES (:id, :source, :url, :url, :title, '{}', now(), "
                    "'{}', 'body', 1, :id, 1, '{}', '{}')"
                ),
                {
                    "id": f"{i:064x}",
                    "source": "a" if i < 3 else "b",
                    "url": f"https://example.org/{i}",
                    "title": f"story {i}",
                },
            )
    return owner


def _sql(warehouse: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NEWSFLOW, "sql", *args],
        capture_output=True,
        text=True,
        env=warehouse["env"],
        input=stdin,
        timeout=60,
    )


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM articles")).scalar_one()


def test_the_test_stack_connects_as_a_superuser(warehouse):
    with warehouse["owner"].connect() as conn:
        assert conn.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ).scalar_one()


def test_delete_without_write_fails_naming_the_flag_and_deletes_nothing(warehouse, articles):
    result = _sql(warehouse, "DELETE FROM articles")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("newsflow: error: ")
    assert "read-only" in lines[0] and "--write" in lines[0]
    assert "DELETE" not in result.stdout
    assert _count(articles) == ARTICLES


def test_switching_the_transaction_to_read_write_needs_write_too(warehouse, articles):
    result = _sql(warehouse, "SET TRANSACTION READ WRITE; DELETE FROM articles")
    assert result.returncode == 1
    assert "--write" in result.stderr
    assert _count(articles) == ARTICLES
    result = _sql(warehouse, "COMMIT; DELETE FROM articles")
    assert result.returncode == 1
    assert "--write" in result.stderr
    assert _count(articles) == ARTICLES


def test_delete_with_write_prints_the_command_tag_with_the_real_count(warehouse, articles):
    result = _sql(warehouse, "--write", "DELETE FROM articles WHERE source_id = 'a'")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "DELETE 3\n"
    assert _count(articles) == ARTICLES - 3


def test_update_and_insert_print_their_command_tags(warehouse, articles):
    result = _sql(warehouse, "--write", "UPDATE articles SET title = upper(title)")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"UPDATE {ARTICLES}\n"
    result = _sql(
        warehouse,
        "--write",
        "INSERT INTO sources (source_id, name, config, enabled) "
        "SELECT s, s, '{}', true FROM unnest(ARRAY['a', 'b', 'c']) AS s",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "INSERT 0 3\n"
    with articles.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM articles WHERE title LIKE 'STORY %'")
            ).scalar_one()
            == ARTICLES
        )
        assert conn.execute(text("SELECT count(*) FROM sources")).scalar_one() == 3
    _sql(warehouse, "--write", "DELETE FROM sources")


def test_each_statement_prints_its_result(warehouse, articles):
    result = _sql(
        warehouse,
        "--write",
        "UPDATE articles SET word_count = 2 WHERE source_id = 'b'; "
        "SELECT source_id, count(*) FROM articles GROUP BY 1 ORDER BY 1; "
        "DELETE FROM articles WHERE source_id = 'b' RETURNING source_id",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "UPDATE 2\n"
        "source_id  count\n"
        "---------  -----\n"
        "a          3\n"
        "b          2\n"
        "(2 rows)\n"
        "\n"
        "source_id\n"
        "---------\n"
        "b\n"
        "b\n"
        "(2 rows)\n"
        "\n"
        "DELETE 2\n"
    )


def test_select_prints_the_table_and_its_row_count(warehouse, articles):
    result = _sql(warehouse, "SELECT title FROM articles WHERE source_id = 'b' ORDER BY 1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "title\n-------\nstory 3\nstory 4\n(2 rows)\n"


def test_json_prints_row_objects_and_keeps_the_tag_off_stdout(warehouse, articles):
    result = _sql(
        warehouse, "--json", "SELECT title FROM articles WHERE source_id = 'b' ORDER BY 1"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"title": "story 3"}, {"title": "story 4"}]
    result = _sql(warehouse, "--json", "--write", "DELETE FROM articles WHERE source_id = 'b'")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert result.stderr == "DELETE 2\n"


def test_interactive_psql_is_read_only_unless_write(warehouse, articles):
    result = _sql(warehouse, stdin="DELETE FROM articles;\n")
    assert "cannot execute DELETE in a read-only transaction" in result.stderr
    assert _count(articles) == ARTICLES
    result = _sql(warehouse, "--write", stdin="DELETE FROM articles;\n")
    assert result.returncode == 0, result.stderr
    assert f"DELETE {ARTICLES}" in result.stdout
    assert _count(articles) == 0
