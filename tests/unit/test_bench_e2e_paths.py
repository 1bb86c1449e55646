"""`newsflow bench e2e --old-paths`: the variants are real settings, the table gives ratios."""

from __future__ import annotations

import pytest

from devtools.bench.e2e_paths import NEW_PATHS, OLD_PATHS, paths_table
from pipeline.config import Settings


def test_the_variants_are_settings_and_new_is_the_default() -> None:
    old = Settings(**OLD_PATHS)
    assert (old.kafka_compression, old.store_path) == ("gzip", "insert")
    default = Settings()
    assert {name: getattr(default, name) for name in NEW_PATHS} == NEW_PATHS


def test_a_setting_outside_the_choices_is_refused() -> None:
    with pytest.raises(ValueError, match="store_path"):
        Settings(store_path="executemany")


def test_the_table_gives_each_figure_with_its_ratio_to_old() -> None:
    figures = {"articles": 216, "latency_p50_s": 1.0, "latency_p95_s": 2.0}
    results = [
        {"paths": "new", **NEW_PATHS, **figures, "articles_per_s": 60.0, "speed_ratio": 1.2}
        | {"p50_ratio": 0.5, "p95_ratio": 0.8},
        {"paths": "old", **OLD_PATHS, **figures, "articles_per_s": 50.0, "speed_ratio": 1.0}
        | {"p50_ratio": 1.0, "p95_ratio": 1.0},
    ]
    lines = paths_table(results).splitlines()
    assert lines[0].split() == [
        "paths", "codec", "store", "articles", "articles/s", "vs", "old",
        "p50", "s", "vs", "old", "p95", "s", "vs", "old",
    ]  # fmt: skip
    assert lines[2].split() == ["new", "zstd", "copy", "216", "60.0", "1.20x"] + [
        "1.0", "0.50x", "2.0", "0.80x",
    ]  # fmt: skip
    assert lines[3].split()[:6] == ["old", "gzip", "insert", "216", "50.0", "1.00x"]
