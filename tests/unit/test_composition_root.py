"""The jobs are the one composition root: what they export resolves, and the DAG files call
nothing else of `pipeline` (import-linter checks the package; the DAG folder is not one)."""

from __future__ import annotations

import ast
from pathlib import Path

import pipeline.jobs

DAGS = Path(__file__).resolve().parents[2] / "dags"
# What a DAG task may import besides the jobs: the settings, the errors it turns into
# Airflow's, and the task log's quieting of the Kafka client.
DAG_MAY_IMPORT = {"pipeline.jobs", "pipeline.config", "pipeline.errors", "pipeline.task_logging"}


def test_every_name_the_jobs_export_resolves():
    for name in pipeline.jobs.__all__:
        assert getattr(pipeline.jobs, name) is not None, name


def test_dag_files_import_only_the_jobs_of_pipeline():
    imported = set()
    for path in DAGS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((path.name, node.module))
            elif isinstance(node, ast.Import):
                imported.update((path.name, alias.name) for alias in node.names)
    ours = {(name, module) for name, module in imported if module.split(".")[0] == "pipeline"}
    assert ours, "no DAG imports pipeline: wrong folder?"
    assert {(name, m) for name, m in ours if m not in DAG_MAY_IMPORT} == set()
