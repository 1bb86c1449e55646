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


def _state(home, names: list[str], pid: int) -> None:
    import json

    run = home / "run"
    run.mkdir(parents=True)
    entries = {
        n: {"name": n, "pid": pid, "port": None, "log": "-", "started_at": "-"} for n in names
    }
    (run / "stack.json").write_text(json.dumps(entries))


def test_a_cluster_and_several_enrichers_count_as_the_running_stack(tmp_path) -> None:
    import os

    from devtools.bench.e2e import _require_stack
    from pipeline.config import Settings

    names = ["postgres", "kafka-1", "kafka-2", "kafka-3", "enricher-1", "enricher-2"]
    _state(tmp_path, names, os.getpid())
    settings = Settings(home=tmp_path, kafka_brokers=3, enrichers=2)
    state = _require_stack(settings, ("postgres", "kafka", "enricher"))
    assert {n for n, run in state.items() if run is not None} == set(names)


def test_a_stopped_cluster_is_named_as_missing(tmp_path) -> None:
    from devtools.bench.e2e import _require_stack
    from pipeline.config import Settings
    from pipeline.errors import NewsflowError

    _state(tmp_path, ["postgres", "kafka-1", "kafka-2", "kafka-3"], 2**22 + 7)  # no such pid
    settings = Settings(home=tmp_path, kafka_brokers=3)
    with pytest.raises(NewsflowError, match="not running: postgres, kafka"):
        _require_stack(settings, ("postgres", "kafka"))
