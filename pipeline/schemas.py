"""JSON Schema files of the topic records, generated from the pydantic models.

`newsflow schemas` rewrites `schemas/`; a test fails when the checked-in files drift.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from pipeline.records import CLEANED_SCHEMA, ENRICHED_SCHEMA, CleanedArticle, EnrichedArticle

SCHEMA_FILES: dict[str, tuple[type[BaseModel], str]] = {
    "article.cleaned.v1.json": (CleanedArticle, CLEANED_SCHEMA),
    "article.enriched.v1.json": (EnrichedArticle, ENRICHED_SCHEMA),
}


def render(model: type[BaseModel], schema_name: str) -> str:
    schema = model.model_json_schema(mode="serialization")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://newsflow.dev/schemas/{schema_name}",
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, (model, name) in SCHEMA_FILES.items():
        path = directory / filename
        path.write_text(render(model, name))
        written.append(path)
    return written
