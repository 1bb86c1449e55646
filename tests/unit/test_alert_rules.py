"""The alert rules (monitoring/alerts.yml): valid for Prometheus (`promtool check rules`), and
each fires on the series its unit tests give and stays quiet on the others (`promtool test
rules monitoring/alerts_test.yml`). promtool comes with Debian's prometheus (make test-tools)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from conftest import REPO

MONITORING = REPO / "monitoring"
ALERTS = {
    "NewsflowEnricherDown",
    "NewsflowConsumerLagGrowing",
    "NewsflowNoArticleStored",
    "NewsflowSourceFailing",
    "NewsflowRecordsDeadLettered",
    "NewsflowAirflowDown",
    "NewsflowAirflowComponentStale",
    "NewsflowAirflowRestartedByWatchdog",
    "NewsflowAirflowUnwatched",
}


def promtool(*args: str) -> subprocess.CompletedProcess:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool not found: run `make test-tools` (installs Debian's prometheus)")
    return subprocess.run(
        [found, *args], capture_output=True, text=True, cwd=MONITORING, timeout=120
    )


def rules() -> list[dict]:
    loaded = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_alert_rules_pass_promtool_check():
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in checked.stdout


def test_every_alert_has_a_summary_description_and_runbook():
    found = {rule["alert"]: rule for rule in rules()}
    assert set(found) == ALERTS
    for name, rule in found.items():
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), name
        assert rule["labels"]["severity"] in ("warning", "critical"), name


def test_alert_rule_unit_tests_pass():
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_has_a_unit_test_that_fires_it_and_one_that_does_not():
    suite = yaml.safe_load((MONITORING / "alerts_test.yml").read_text())
    fired, quiet = set(), set()
    for case in suite["tests"]:
        for check in case["alert_rule_test"]:
            (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert fired == ALERTS
    assert quiet == ALERTS
