"""Off-topic scores do not depend on the string hash seed (the order a set is walked in)."""

from __future__ import annotations

import os
import subprocess
import sys

PROGRAM = """
from collections import Counter
from pipeline.enrich.offtopic import _salience
terms = frozenset(f"term{i}" for i in range(60))
counts = Counter({f"term{i}": 1 + (i * 7919) % 23 for i in range(60)})
print(repr(_salience(terms, counts, 1, frozenset({"term3", "term17"}))))
"""


def salience_with_seed(seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_salience_is_the_same_whatever_the_hash_seed():
    values = {salience_with_seed(seed) for seed in range(8)}
    assert len(values) == 1, values
