"""The per-state integers the detector's walk reads (row offsets, features) are packed arrays
holding py3langid's own values, and the walk over them counts what py3langid's counts."""

from __future__ import annotations

import json
from pathlib import Path

from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts
from test_language_model import TEXTS

from pipeline.language_model import load_identifier

_ARTICLES = Path(__file__).resolve().parents[1] / "fixtures" / "enrich" / "articles.jsonl"


def test_the_walks_state_arrays_are_packed_and_py3langids(tmp_path: Path) -> None:
    packed = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    load_identifier(tmp_path)  # writes the copy
    ours = load_identifier(tmp_path)  # reads it
    for name in ("_rowbase", "tk_output"):
        values = getattr(ours, name)
        assert isinstance(values, memoryview), name
        assert values.tolist() == list(getattr(packed, name)), name
    texts = list(TEXTS)
    for line in _ARTICLES.read_text(encoding="utf-8").splitlines()[:20]:
        text = "\n\n".join(json.loads(line)["paragraphs"])
        texts += [text[i : i + 600] for i in range(0, min(len(text), 3000), 600)]
    for text in texts:
        data = packed._encode(text)
        found = visit_counts(ours.tk_nextmove, ours._rowbase, ours.tk_output, data)
        expected = visit_counts(packed.tk_nextmove, packed._rowbase, packed.tk_output, data)
        assert found == expected and list(found or ()) == list(expected or ())
        assert ours.classify(text) == packed.classify(text)
