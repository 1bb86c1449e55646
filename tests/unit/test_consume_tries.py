"""A record that makes the enricher raise is retried alone, then dead-lettered; a broken
enricher stops the consumer instead of dead-lettering everything."""

from __future__ import annotations

import pytest
from test_warehouse_rows import cleaned, enriched

from pipeline.consume.tries import TRIES, enrich_with_tries
from pipeline.errors import NewsflowError, PoisonRecord, TransientError


class Choking:
    """Raises on batches holding a title in `chokes_on`; `fails_first` calls raise anyway."""

    def __init__(
        self,
        chokes_on: set[str] = frozenset(),
        fails_first: int = 0,
        error: Exception | None = None,
    ) -> None:
        self.chokes_on = chokes_on
        self.fails_first = fails_first
        self.error = error or ValueError("[E088] text too odd")
        self.calls: list[list[str]] = []

    def enrich_each(self, records):
        self.calls.append([r.title for r in records])
        if len(self.calls) <= self.fails_first or any(r.title in self.chokes_on for r in records):
            raise self.error
        return [enriched(r) for r in records]


def test_a_batch_that_works_is_enriched_in_one_call():
    enricher = Choking()
    results = enrich_with_tries(enricher, [cleaned(1), cleaned(2)])
    assert [r.title for r in results] == ["Story 1", "Story 2"]
    assert enricher.calls == [["Story 1", "Story 2"]]


def test_a_passing_failure_is_retried_record_by_record():
    enricher = Choking(fails_first=1)
    results = enrich_with_tries(enricher, [cleaned(1), cleaned(2)])
    assert [r.title for r in results] == ["Story 1", "Story 2"]
    assert enricher.calls == [["Story 1", "Story 2"], ["Story 1"], ["Story 2"]]


def test_a_record_failing_three_times_alone_becomes_poison_and_the_rest_goes_on():
    enricher = Choking(chokes_on={"Story 2"})
    results = enrich_with_tries(enricher, [cleaned(1), cleaned(2), cleaned(3)])

    assert [getattr(r, "title", None) for r in results] == ["Story 1", None, "Story 3"]
    poison = results[1]
    assert isinstance(poison, PoisonRecord) and poison.stage == "enrich"
    assert (
        str(poison) == f"the enricher failed on this record {TRIES} times: ValueError: "
        "[E088] text too odd"
    )
    assert enricher.calls.count(["Story 2"]) == TRIES == 3


def test_a_lone_record_is_poison_when_the_enricher_still_handles_a_sample():
    results = enrich_with_tries(Choking(chokes_on={"Story 7"}), [cleaned(7)])
    assert isinstance(results[0], PoisonRecord)


def test_an_enricher_failing_on_everything_is_broken_and_stops_the_consumer():
    with pytest.raises(NewsflowError, match="broken") as failure:
        enrich_with_tries(Choking(fails_first=10**6), [cleaned(1), cleaned(2)])
    assert not isinstance(failure.value, PoisonRecord)


def test_infrastructure_errors_are_not_blamed_on_records():
    enricher = Choking(fails_first=1, error=TransientError("model server restarting"))
    with pytest.raises(TransientError):
        enrich_with_tries(enricher, [cleaned(1), cleaned(2)])
    assert len(enricher.calls) == 1
