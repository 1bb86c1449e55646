"""README's "Tests" section tells how to move `make test` off taken ports; the ports it names
are the ones the test stack really uses (tests/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_test_settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
TESTS = README[README.index("## Tests") :]


def _ports(monkeypatch, slot: int) -> dict[str, int]:
    monkeypatch.setenv("NEWSFLOW_TEST_STACK_SLOT", str(slot))
    settings = make_test_settings()
    return {
        "Kafka": int(settings.kafka_bootstrap_servers.rsplit(":", 1)[1]),
        "controller": settings.kafka_controller_port,
        "PostgreSQL": settings.pg_port,
        "Airflow": settings.airflow_port,
        "sample site": settings.sample_site_port,
    }


def test_the_default_ports_are_the_test_stacks(monkeypatch):
    for name, port in _ports(monkeypatch, 0).items():
        assert f"{name} {port}" in TESTS, f"README's Tests section does not say {name} {port}"


@pytest.mark.parametrize("slot", [2])
def test_the_slot_example_names_the_ports_that_slot_uses(monkeypatch, slot):
    example = re.search(rf"`NEWSFLOW_TEST_STACK_SLOT={slot} make test` uses ([^;]+);", TESTS)
    assert example, "README shows no NEWSFLOW_TEST_STACK_SLOT example with its ports"
    named = dict(
        (name, int(port))
        for name, port in re.findall(r"(Kafka|PostgreSQL|Airflow) (\d+)", example[1])
    )
    ports = _ports(monkeypatch, slot)
    assert named == {name: ports[name] for name in named}
    assert set(named) == {"Kafka", "PostgreSQL", "Airflow"}


def test_the_rule_matches_the_ports_of_every_slot(monkeypatch):
    assert "up by 100 × N" in TESTS and "PostgreSQL up by N" in TESTS
    base = _ports(monkeypatch, 0)
    for slot in range(1, 10):
        ports = _ports(monkeypatch, slot)
        assert ports == {
            name: port + (slot if name == "PostgreSQL" else 100 * slot)
            for name, port in base.items()
        }
