"""docs/sql.md's generated parts: the schema diagram (from the models) and the example outputs.

`python -m devtools.sqldoc` redraws the diagram after a model changes; the example outputs
are rewritten by running tests/integration/test_sql_docs.py with NEWSFLOW_UPDATE_DOCS=1 (they
need the sample site's data). Tests fail while either is stale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql

from pipeline.table import format_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "sql.md"
_EXAMPLE = re.compile(
    r"<!-- example: (?P<name>[a-z0-9-]+) -->\s*```sql\n(?P<sql>.*?)```\s*"
    r"(?P<between>.*?)```text\n(?P<output>.*?)```",
    re.DOTALL,
)
_TYPES = {"timestamp with time zone": "timestamptz", "character varying": "varchar"}


@dataclass(frozen=True)
class Example:
    name: str
    sql: str
    output: str


def _type(table: Table, column: str) -> str:
    rendered = str(table.c[column].type.compile(dialect=postgresql.dialect())).lower()
    for long, short in _TYPES.items():
        rendered = rendered.replace(long, short)
    return rendered.replace(" ", "_")


def schema_diagram(metadata: MetaData) -> str:
    """A Mermaid erDiagram of every table, its columns and keys, and its foreign keys."""
    lines = ["erDiagram"]
    tables = sorted(metadata.tables.values(), key=lambda t: t.name)
    for table in tables:
        lines.append(f"    {table.name} {{")
        for column in table.columns:
            keys = [k for k, on in (("PK", column.primary_key), ("FK", column.foreign_keys)) if on]
            lines.append(
                f"        {_type(table, column.name)} {column.name}"
                f"{' ' + ', '.join(keys) if keys else ''}"
            )
        lines.append("    }")
    for table in tables:
        for fk in sorted(table.foreign_key_constraints, key=lambda c: list(c.column_keys)):
            parent = fk.referred_table.name
            # A foreign key that is the whole primary key makes a one-to-one extension table.
            one = set(fk.column_keys) == {c.name for c in table.primary_key.columns}
            lines.append(
                f"    {parent} ||--{'o|' if one else 'o{'} {table.name} : "
                f'"{", ".join(fk.column_keys)}"'
            )
    return "\n".join(lines) + "\n"


def replace_block(document: str, name: str, content: str) -> str:
    """Replace what stands between `<!-- NAME:begin -->` and `<!-- NAME:end -->`."""
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"no <!-- {name}:begin --> ... <!-- {name}:end --> block")
    return pattern.sub(lambda m: m.group(1) + content + m.group(2), document, count=1)


def diagram_block(metadata: MetaData) -> str:
    return f"```mermaid\n{schema_diagram(metadata)}```\n"


def examples(document: str) -> list[Example]:
    return [Example(m["name"], m["sql"].strip(), m["output"]) for m in _EXAMPLE.finditer(document)]


def render_output(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """What `newsflow sql` prints for a result, as the docs show it."""
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    return f"{format_table(columns, rows)}\n{count}\n"


def with_outputs(document: str, outputs: dict[str, str]) -> str:
    """The document with each named example's output block replaced."""

    def swap(match: re.Match[str]) -> str:
        output = outputs.get(match["name"], match["output"])
        return match.group(0)[: match.start("output") - match.start(0)] + output + "```"

    return _EXAMPLE.sub(swap, document)


def main() -> None:
    from pipeline.warehouse.models import Base

    DOC.write_text(
        replace_block(DOC.read_text(encoding="utf-8"), "schema", diagram_block(Base.metadata)),
        encoding="utf-8",
    )
    print(f"redrew the schema diagram in {DOC}")


if __name__ == "__main__":
    main()
