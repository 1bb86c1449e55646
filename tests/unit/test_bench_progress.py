"""`newsflow bench extract` shows its passes: a live line on a terminal, plain log lines on
stderr into a pipe; stdout is still the one JSON object (or the table) it always printed."""

from __future__ import annotations

import json
import re

from terminal_support import run_on_terminal, run_with_pipes
from test_clean_bench import SUMMARY_KEYS, dataset  # noqa: F401 (a fixture)


def test_bench_extract_on_a_terminal_shows_its_passes_and_the_same_table(dataset):  # noqa: F811
    run = run_on_terminal(["bench", "extract", "--dataset", str(dataset)], {}, timeout=120)

    assert run.returncode == 0, run.raw
    drawn = run.drawn()
    assert "bench extract  passes 0/2  pages 0  newsflow pass 1/2" in drawn, drawn
    assert "bench extract  passes 1/2  pages 3  newsflow pass 2/2" in drawn, drawn
    shown = [line for line in run.lines() if line]
    header, _, ours = shown[:3]
    assert header.split() == ["extractor", "pages", "precision", "recall", "f1", "empty", "docs/s"]
    assert ours.split()[:6] == ["newsflow", "3", "1.000", "1.000", "1.000", "1"]
    assert re.fullmatch(r"bench extract: done in \d+s: 3 pages, f1 1\.000", shown[-1]), shown


def test_bench_extract_into_a_pipe_logs_its_passes_and_prints_only_the_json(dataset):  # noqa: F811
    result = run_with_pipes(["bench", "extract", "--dataset", str(dataset), "--json"], {}, 120)

    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    figures = json.loads(line)
    assert SUMMARY_KEYS <= set(figures) and figures["pages"] == 3
    progress = [
        line.split(" newsflow.progress: ", 1)[1]
        for line in result.stderr.splitlines()
        if " INFO newsflow.progress: " in line
    ]
    assert progress[0] == "bench extract  passes 0/2  pages 0", result.stderr
    steps = [re.sub(r" \(\d+s\)$", "", line) for line in progress[1:-1]]
    # A line as each pass starts, with the counts so far (and one as it ends, if a second
    # went by: a step line comes at most once a second).
    expected = [
        "bench extract  passes 0/2  pages 0  warming up",
        "bench extract  passes 0/2  pages 0  newsflow pass 1/2",
        "bench extract  passes 1/2  pages 3  newsflow pass 2/2",
    ]
    assert [line for line in steps if line in expected] == expected, result.stderr
    assert len(steps) <= 2 * len(expected), result.stderr
    assert re.fullmatch(r"bench extract: done in \d+s: 3 pages, f1 1\.000", progress[-1])
