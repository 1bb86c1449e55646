"""`newsflow bench e2e --enrichers`: its arguments and its table (the benchmark itself runs on
the stack and is no test)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from devtools.bench.e2e import scaling_table
from devtools.bench.enrichers import parse_counts
from pipeline.cli import main
from pipeline.errors import ConfigError


def test_enricher_counts_keep_their_order_without_repeats() -> None:
    assert parse_counts("1,2,3") == [1, 2, 3]
    assert parse_counts(" 3, 1 ,3") == [3, 1]


@pytest.mark.parametrize("value", ["", "1,,2", "0", "-1", "two", "1.5"])
def test_bad_enricher_counts_are_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="positive whole numbers"):
        parse_counts(value)


def test_bad_counts_fail_before_touching_the_stack(tmp_path) -> None:
    env = {"NEWSFLOW_HOME": str(tmp_path), "NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    result = CliRunner().invoke(main, ["bench", "e2e", "--enrichers", "1,x"], env=env)
    assert result.exit_code != 0
    assert "--enrichers '1,x'" in result.output
    assert not (tmp_path / "run").exists()


def test_stub_needs_the_bench_enrichers() -> None:
    result = CliRunner().invoke(main, ["bench", "e2e", "--enricher", "stub"])
    assert result.exit_code == 2
    assert "add --enrichers" in result.output


def test_table_shows_each_count_with_its_ratio_to_the_first() -> None:
    rounds = [
        {
            "enrichers": n,
            "articles": 108,
            "seconds": s,
            "articles_per_s": r,
            "speed_ratio": q,
            "latency_p50_s": 1.0,
            "latency_p95_s": 2.0,
        }
        for n, s, r, q in [(1, 5.6, 19.3, 1.0), (2, 3.47, 31.14, 1.61)]
    ]
    lines = scaling_table(rounds).splitlines()
    assert lines[0].split() == [
        "enrichers",
        "articles",
        "seconds",
        "articles/s",
        "vs",
        "1",
        "p50",
        "s",
        "p95",
        "s",
    ]
    assert lines[2].split()[:5] == ["1", "108", "5.6", "19.3", "1.00x"]
    assert lines[3].split()[:5] == ["2", "108", "3.47", "31.14", "1.61x"]
