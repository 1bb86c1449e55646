"""The language detector read from its uncompressed copy is py3langid's own model."""

from __future__ import annotations

import lzma
from pathlib import Path

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from pipeline.language_model import load_identifier

TEXTS = [
    "Councillors voted by 52 to 37 in favour of a second line running from the city centre.",
    "Die Bundesregierung hat am Dienstag in Berlin neue Regeln für die Verwaltung beschlossen.",
    "Le gouvernement a présenté mercredi un projet de loi sur la réforme des retraites.",
    "Dette er en norsk tekst om havnen som åpnet igjen etter stormen.",
    "東京都は月曜日、新しい交通計画を発表した。",
    "Правительство объявило о новых мерах поддержки экономики.",
    "Clay Curtis",
    "2020 — 14:30 @ #",
    "",
]


@pytest.fixture(scope="module")
def packed() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def test_the_copy_gives_what_the_packed_model_gives(
    packed: LanguageIdentifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_identifier(tmp_path)  # decompresses the model and writes the copy
    (copy,) = tmp_path.iterdir()
    assert copy.name.startswith("py3langid-")
    assert sorted(p.name for p in copy.iterdir()) == [
        "classes.npy",
        "nextmove.npy",
        "nextmove_row.npy",
        "out_feat.npy",
        "pc.npy",
        "ptc.npy",
    ]

    def no_lzma(*args: object, **kwargs: object) -> None:
        raise AssertionError("the packed model was read again")

    monkeypatch.setattr(lzma, "open", no_lzma)
    second = load_identifier(tmp_path)  # from the copy alone
    for text in TEXTS:
        assert first.classify(text) == packed.classify(text), text
        assert second.classify(text) == packed.classify(text), text
        assert second.rank(text) == packed.rank(text), text


def test_a_cache_that_cannot_be_written_is_left_alone(
    packed: LanguageIdentifier, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    for cache_dir in (not_a_directory, None):
        identifier = load_identifier(cache_dir)
        assert [identifier.classify(t) for t in TEXTS] == [packed.classify(t) for t in TEXTS]
    assert not_a_directory.read_text() == ""
