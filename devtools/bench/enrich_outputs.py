"""Whether two runs of `newsflow enrich` on the same input wrote the same records
(`newsflow bench enrich --against REV`: a change made for speed must not change a record)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class OutputComparison:
    records: int  # lines of the first output
    identical: int  # lines byte for byte the same in both
    fields: list[str] = field(default_factory=list)  # top-level fields that differ somewhere
    first_difference: int | None = None  # line number (from 1) of the first differing record

    def summary(self, revision: str) -> str:
        if self.identical == self.records:
            return f"records written: {self.records} of {self.records} identical to {revision}'s"
        return (
            f"records written: {self.records - self.identical} of {self.records} differ from "
            f"{revision}'s (first at line {self.first_difference}; fields: "
            f"{', '.join(self.fields) or 'none: the number of lines differs'})"
        )


def compare_outputs(ours: Path, theirs: Path) -> OutputComparison:
    """Compare two files of enriched records, line by line."""
    a = ours.read_bytes().splitlines()
    b = theirs.read_bytes().splitlines()
    identical, fields, first = 0, set[str](), None
    for number in range(1, max(len(a), len(b)) + 1):
        left = a[number - 1] if number <= len(a) else None
        right = b[number - 1] if number <= len(b) else None
        if left == right:
            identical += 1
            continue
        first = first or number
        if left is not None and right is not None:
            x, y = json.loads(left), json.loads(right)
            fields.update(k for k in x.keys() | y.keys() if x.get(k) != y.get(k))
    return OutputComparison(len(a), min(identical, len(a)), sorted(fields), first)
