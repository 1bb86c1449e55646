"""The near-duplicate index in the warehouse: shared by every consumer, kept across restarts.

One transaction per batch, under an advisory lock: the batch's signatures are upserted first
(an article seen before keeps its place in the order), then every stored article sharing a
band key with the batch is read back and matched in Python. The lock serializes this step
between consumers, so two copies of a story handled at the same moment by two consumers still
find each other; it is held for two statements and an update, not for the batch's NER.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pipeline.config import Settings
from pipeline.enrich.duplicates import Entry, Probe, band_keys, earliest_match
from pipeline.warehouse.db import make_engine
from pipeline.warehouse.models_dedup import DedupSignature

_LOCK = 0x64656475  # "dedu": any constant shared by every newsflow process
_DTYPE = np.dtype("<u4")


class WarehouseDuplicateIndex:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseDuplicateIndex:
        return cls(make_engine(settings))

    def assign(self, probes: Sequence[Probe]) -> dict[str, str | None]:
        result: dict[str, str | None] = {p.article_id: None for p in probes}
        # One row per article: of two versions in a batch, the later one is what is stored.
        latest = {p.article_id: p for p in probes if p.signature is not None}
        if not latest:
            return result
        # The same filter again, for mypy: it does not carry the one above through the dict.
        signatures = {aid: p.signature for aid, p in latest.items() if p.signature is not None}
        keys = {aid: band_keys(signature) for aid, signature in signatures.items()}
        with self.engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(_LOCK)))
            insert_stmt = pg_insert(DedupSignature)
            upsert = insert_stmt.on_conflict_do_update(
                index_elements=[DedupSignature.article_id],
                set_={
                    "signature": insert_stmt.excluded.signature,
                    "band_keys": insert_stmt.excluded.band_keys,
                    "published": insert_stmt.excluded.published,
                },
            ).returning(DedupSignature.article_id, DedupSignature.seq, sort_by_parameter_order=True)
            seqs: dict[str, int] = dict(
                conn.execute(
                    upsert,
                    [
                        {
                            "article_id": aid,
                            "signature": signatures[aid].astype(_DTYPE).tobytes(),
                            "band_keys": keys[aid],
                            "published": p.published,
                        }
                        for aid, p in latest.items()
                    ],
                ).all()
            )
            wanted = sorted({key for found in keys.values() for key in found})
            query = select(
                DedupSignature.article_id,
                DedupSignature.seq,
                DedupSignature.signature,
                DedupSignature.published,
                DedupSignature.band_keys,
            ).where(DedupSignature.band_keys.overlap(wanted))
            by_key: dict[int, list[Entry]] = {}
            for aid, seq, sig, published, stored_keys in conn.execute(query):
                entry = Entry(aid, np.frombuffer(sig, dtype=_DTYPE), published, seq)
                for key in stored_keys:
                    by_key.setdefault(key, []).append(entry)
            answers = []
            for aid, probe in latest.items():
                candidates = {e.article_id: e for key in keys[aid] for e in by_key.get(key, ())}
                match = earliest_match(
                    Entry(aid, signatures[aid], probe.published, seqs[aid]),
                    list(candidates.values()),
                )
                result[aid] = match[0] if match else None
                answers.append(
                    {
                        "aid": aid,
                        "match": match[0] if match else None,
                        "similar": match[1] if match else None,
                    }
                )
            conn.execute(
                update(DedupSignature)
                .where(DedupSignature.article_id == bindparam("aid"))
                .values(duplicate_of=bindparam("match"), similarity=bindparam("similar")),
                answers,
            )
        return result
