"""Plain-text tables for the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.warehouse.query import StatementResult

# psql prints the command tag after the rows of these when they have RETURNING.
_WRITES = {"INSERT", "UPDATE", "DELETE", "MERGE"}


def format_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(columns)] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_results(results: Sequence[StatementResult]) -> str:
    """Statement results as psql prints them: a table then `(N rows)`, followed by the
    command tag for a write that returned rows (`DELETE ... RETURNING`); the command tag
    alone (`DELETE 44`) for a statement without rows. A blank line follows each table that
    is not the last thing printed."""
    blocks: list[str] = []
    for result in results:
        if result.columns is not None:
            count = len(result.rows)
            blocks.append(
                f"{format_table(result.columns, result.rows)}\n"
                f"({count} row{'s' if count != 1 else ''})\n"
            )
            if result.tag and result.tag.split()[0] in _WRITES:
                blocks.append(result.tag)
        elif result.tag:
            blocks.append(result.tag)
    return "\n".join(blocks).rstrip("\n")
