"""docs/sql.md stays true to the code: its schema diagram is the models' (redraw with
`python -m devtools.sqldoc`), and its examples are well-formed for the integration test
that runs them (tests/integration/test_sql_docs.py)."""

from __future__ import annotations

import pytest

from devtools.sqldoc import (
    DOC,
    diagram_block,
    examples,
    render_output,
    replace_block,
    schema_diagram,
    with_outputs,
)
from pipeline.warehouse.models import Base


def test_the_schema_diagram_in_the_docs_is_drawn_from_the_models():
    document = DOC.read_text(encoding="utf-8")
    assert replace_block(document, "schema", diagram_block(Base.metadata)) == document, (
        "docs/sql.md's diagram is stale: run `python -m devtools.sqldoc`"
    )


def test_the_diagram_has_every_table_column_and_foreign_key():
    diagram = schema_diagram(Base.metadata)
    for table in Base.metadata.tables.values():
        assert f"    {table.name} {{" in diagram
        for column in table.columns:
            assert f" {column.name}" in diagram
    assert "articles ||--o{ mentions" in diagram
    assert "entities ||--o{ mentions" in diagram
    assert "articles ||--o| article_search" in diagram  # its key is the foreign key: 1:1
    assert "varchar(64) article_id PK, FK" in diagram


def test_the_docs_have_ten_named_examples_each_with_an_output_block():
    found = examples(DOC.read_text(encoding="utf-8"))
    assert len(found) >= 10
    assert len({e.name for e in found}) == len(found)
    assert all(e.sql.rstrip().endswith(";") for e in found)


def test_outputs_are_replaced_by_name_and_nothing_else_moves():
    document = (
        "intro\n<!-- example: one -->\n```sql\nSELECT 1;\n```\n\n```text\nold\n```\n"
        "<!-- example: two -->\n```sql\nSELECT 2;\n```\n\n```text\nkept\n```\nend\n"
    )
    updated = with_outputs(document, {"one": render_output(["x"], [(1,)])})
    assert updated == document.replace("old\n", "x\n-\n1\n(1 row)\n")
    assert [e.output for e in examples(updated)] == ["x\n-\n1\n(1 row)\n", "kept\n"]


def test_a_missing_block_is_an_error():
    with pytest.raises(ValueError, match="schema:begin"):
        replace_block("no markers here", "schema", "x")
