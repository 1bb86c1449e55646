"""The detector's transitions are read from the mapped copy, not copied, and are py3langid's."""

from __future__ import annotations

from pathlib import Path

from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts
from test_language_model import TEXTS

from pipeline.language_model import load_identifier

_SAMPLES = Path(__file__).parent / "enrich_cases.py"


def test_the_transitions_are_the_mapped_file_and_equal_py3langids(tmp_path: Path) -> None:
    packed = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    load_identifier(tmp_path)  # writes the copy
    mapped = load_identifier(tmp_path)  # reads it
    moves = mapped.tk_nextmove
    assert isinstance(moves, memoryview)  # b123a2b copied the 39 MB into an array
    assert moves.readonly and moves.format == packed.tk_nextmove.typecode
    assert len(moves) == len(packed.tk_nextmove)
    assert moves.tobytes() == packed.tk_nextmove.tobytes()
    # The walk over it counts what py3langid's own counts, key order included.
    source = _SAMPLES.read_text(encoding="utf-8")
    texts = [source[i : i + 600] for i in range(0, len(source), 300)] + TEXTS
    for text in texts:
        data = packed._encode(text)
        ours = visit_counts(moves, mapped._rowbase, mapped.tk_output, data)
        theirs = visit_counts(packed.tk_nextmove, packed._rowbase, packed.tk_output, data)
        assert ours == theirs and list(ours or ()) == list(theirs or ())
        assert mapped.rank(text) == packed.rank(text)
