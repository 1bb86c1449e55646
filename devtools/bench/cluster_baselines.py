"""Baselines for `newsflow bench cluster`, scored the same way as the story index, so its figure
has context:

- **singletons**: every article is a story of its own (B-cubed precision 1, recall 1/size);
- **tf-idf single pass**: a plain online clusterer. Each article, in time order, becomes a
  TF-IDF vector of its words (title and text: lower-cased runs of letters and digits, two
  characters or more, no stop list, no stemming, no entities), the IDF taken over the articles
  seen so far (smoothed, as scikit-learn's), L2-normalised. It joins the story whose centroid (the
  sum of its articles' vectors) is the most cosine-similar, at `threshold` or above (ties: the
  earlier story), else starts a story of its own. Every story is a candidate: no time window.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from devtools.bench.story_sets import StoryDoc

_WORD = re.compile(r"[^\W_]{2,}")
TFIDF_THRESHOLDS = tuple(round(0.05 * n, 2) for n in range(1, 17))  # 0.05 to 0.8
TFIDF_DEFAULT = 0.5  # when it is not tuned


def singletons(docs: Sequence[StoryDoc]) -> dict[str, str]:
    return {d.id: d.id for d in docs}


def words(doc: StoryDoc) -> Counter[str]:
    text = doc.text if doc.text == doc.title else f"{doc.title}\n{doc.text}"
    return Counter(_WORD.findall(text.casefold()))


def tfidf_single_pass(docs: Sequence[StoryDoc], threshold: float) -> dict[str, str]:
    """Each doc's story (the id of the doc that started it), assigned in the order given."""
    df: Counter[str] = Counter()
    seen = 0
    centroids: list[dict[str, float]] = []
    norms: list[float] = []  # squared norms of the centroids
    first: list[str] = []
    postings: dict[str, list[int]] = {}  # word -> stories whose centroid has it
    predicted: dict[str, str] = {}
    for doc in docs:
        counts = words(doc)
        seen += 1
        df.update(counts.keys())
        vector = {w: n * (math.log((seen + 1) / (df[w] + 1)) + 1.0) for w, n in counts.items()}
        length = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vector = {w: v / length for w, v in vector.items()}
        dots: dict[int, float] = {}
        for word, weight in vector.items():
            for story in postings.get(word, ()):
                dots[story] = dots.get(story, 0.0) + weight * centroids[story][word]
        best, best_score, best_dot = -1, -1.0, 0.0
        for story, dot in dots.items():
            score = dot / math.sqrt(norms[story]) if norms[story] else 0.0
            if score > best_score or (score == best_score and story < best):
                best, best_score, best_dot = story, score, dot
        if best < 0 or best_score < threshold:
            best, best_dot = len(centroids), 0.0
            centroids.append({})
            norms.append(0.0)
            first.append(doc.id)
        centroid = centroids[best]
        for word, weight in vector.items():
            if word not in centroid:
                postings.setdefault(word, []).append(best)
            centroid[word] = centroid.get(word, 0.0) + weight
        norms[best] += 2 * best_dot + sum(v * v for v in vector.values())
        predicted[doc.id] = first[best]
    return predicted
