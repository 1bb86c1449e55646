"""A downstream service of newsflow: consume `news.articles.enriched.v1`, validate, use.

It depends only on kafka-python (with its zstd extra: the topics are zstd-compressed, so
`pip install "kafka-python[zstd]" jsonschema`) and jsonschema, not on newsflow's own code: the
contract is the JSON Schema in `schemas/` and the rules in `schemas/README.md`. What it shows:

- a consumer group of its own, so it reads at its own pace and never takes records from the
  enricher or another service;
- every value validated against `schemas/article.enriched.v1.json`; an invalid record is
  reported and skipped, never a reason to stop;
- the topic is at-least-once, so duplicates (same article_id, version and content_hash) and
  stale versions are recognised and skipped;
- offsets committed only after a batch is handled (at-least-once for this service too), and a
  clean stop on SIGTERM/SIGINT.

Each record becomes one JSON line on stdout with its `status` (ok, invalid, duplicate, stale),
where it was read and, when ok, the title and the people and places it mentions:

    python examples/enriched_consumer.py --bootstrap-servers 127.0.0.1:9092 --group my-service
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from kafka import KafkaConsumer

TOPIC = "news.articles.enriched.v1"
SCHEMA_HEADER = b"article.enriched/1"
DEFAULT_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "article.enriched.v1.json"
PLACES = {"GPE", "LOC", "FAC"}

log = logging.getLogger("enriched-consumer")


class Handler:
    """Validates records and remembers the newest (version, content hash) per article."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.validator = Draft202012Validator(schema)
        self.newest: dict[str, tuple[int, str]] = {}
        self.counts = {"ok": 0, "invalid": 0, "duplicate": 0, "stale": 0}

    def handle(self, record: Any) -> dict[str, Any]:
        where = {"partition": record.partition, "offset": record.offset}
        result = self._check(record)
        self.counts[result["status"]] += 1
        return {**result, **where}

    def _check(self, record: Any) -> dict[str, Any]:
        headers = dict(record.headers or ())
        if headers.get("schema", SCHEMA_HEADER) != SCHEMA_HEADER:
            return {"status": "invalid", "error": f"unknown schema {headers['schema']!r}"}
        try:
            article = json.loads(record.value)
        except (TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            return {"status": "invalid", "error": f"not JSON: {exc}"}
        error = best_match(self.validator.iter_errors(article))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "record"
            return {"status": "invalid", "error": f"{where}: {error.message}"}
        article_id, version = article["article_id"], article.get("version", 1)
        seen = self.newest.get(article_id)
        if seen == (version, article["content_hash"]):
            return {"status": "duplicate", "article_id": article_id, "version": version}
        if seen is not None and seen[0] > version:
            return {"status": "stale", "article_id": article_id, "version": version}
        self.newest[article_id] = (version, article["content_hash"])
        entities = article["entities"]
        return {
            "status": "ok", "article_id": article_id, "version": version,
            "title": article["title"],
            "people": sorted({e["canonical"] for e in entities if e["label"] == "PERSON"}),
            "places": sorted({e["canonical"] for e in entities if e["label"] in PLACES}),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--group", default="enriched-example",
                        help="this service's consumer group (never the enricher's)")
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    parser.add_argument("--idle-exit", type=float,
                        help="stop after this many seconds without records")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)

    handler = Handler(json.loads(args.schema.read_text()))
    consumer = KafkaConsumer(TOPIC, bootstrap_servers=args.bootstrap_servers,
                             group_id=args.group, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stopping.append(signum))
    idle_since = time.monotonic()
    try:
        while not stopping:
            polled = consumer.poll(timeout_ms=1000)
            records = sorted((r for batch in polled.values() for r in batch),
                             key=lambda r: (r.partition, r.offset))
            if not records:
                if args.idle_exit is not None and time.monotonic() - idle_since > args.idle_exit:
                    break
                continue
            for record in records:
                result = handler.handle(record)
                if result["status"] == "invalid":
                    log.warning("skipping invalid record at %s[%d]@%d: %s", TOPIC,
                                record.partition, record.offset, result["error"])
                print(json.dumps(result, ensure_ascii=False), flush=True)
            consumer.commit()  # only now: a crash before this handles the batch again
            idle_since = time.monotonic()
    finally:
        consumer.close(autocommit=False)
    log.info("done: %s", json.dumps(handler.counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
