"""A rule-based NER pipeline for a language without a statistical model: spaCy's blank pipeline
for the language and EntityRulers built from the gazetteer's names.

It finds only the entities the gazetteer knows (countries, organisations, capitals, people;
pipeline/enrich/gazetteer.yaml), in that language's spelling or in the spelling every language
shares (NATO, "Mark Rutte"); each span carries the entry's label, and resolution then names it
with the entry's canonical name and Wikidata id, as in English. Nothing else is tagged: a
person or place the gazetteer does not list is not found, and the record says so
(`entities_skipped: "gazetteer entities only: …"`, pipeline/enrich/ner_models.py).

Matching follows `Gazetteer.lookup`: a name of up to four characters exactly ("UN", "Nato"),
a longer one in any case, but a match must start with a capital (a name, not the same letters
as a common word: Portuguese "china" is porcelain). Hyphens split tokens here, so "NATO" is
found in "NATO-Gipfel" and "EU" in "EU-Kommission", as German writes compounds.
"""

from __future__ import annotations

from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_infix_regex

import pipeline
from pipeline.enrich.gazetteer import Gazetteer

PIPELINE_NAME = "newsflow_gazetteer"
# The gazetteer's short-name rule (gazetteer._EXACT_MAX_LENGTH): exact up to four characters.
_EXACT_MAX_LENGTH = 4
_HYPHEN_INFIX = r"(?<=\w)[-‐](?=\w)"


# Listed names that are also a common word capitalized at the start of a sentence, and the words
# after which they are that word: Italian "Nato a Roma nel 1948" is "born", not NATO.
_SENTENCE_START_WORDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "it": (
        frozenset({"Nato", "Nata", "Nati", "Nate"}),
        frozenset({"a", "ad", "nel", "nella", "in", "da", "il", "lo", "la", "l'", "nell'"}),
    ),
}
_SENTENCE_END = frozenset('.!?:;«»"“”„')


@Language.component("newsflow_proper_names_only")
def _proper_names_only(doc: Doc) -> Doc:
    """Drop a case-insensitive match that starts in lower case (a word, not the name), and a
    listed word opening a sentence where what follows makes it the common word."""
    words, followers = _SENTENCE_START_WORDS.get(doc.lang_, (frozenset(), frozenset()))
    kept = []
    for ent in doc.ents:
        if not ent.text[:1].isupper():
            continue
        opens = ent.start == 0 or doc[ent.start - 1].text[-1:] in _SENTENCE_END
        after = doc[ent.end].lower_ if ent.end < len(doc) else ""
        if ent.text in words and opens and after in followers:
            continue
        kept.append(ent)
    doc.ents = kept
    return doc


def build_pipeline(language: str, gazetteer: Gazetteer) -> Language:
    """spaCy's blank `language` pipeline with the gazetteer's names for it: full names first
    (any case), then short names and acronyms (exact), then people's bare surnames (exact),
    each ruler leaving what an earlier one found."""
    try:
        nlp = spacy.blank(language)
    except ImportError:  # a language spaCy has no tokenizer rules for: its generic ones
        nlp = spacy.blank("xx")
    infixes = [*(nlp.Defaults.infixes or ()), _HYPHEN_INFIX]
    tokenizer: Any = nlp.tokenizer  # spacy.tokenizer.Tokenizer, compiled, without stubs
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    full: list[dict[str, str]] = []
    short: list[dict[str, str]] = []
    for name, entry in gazetteer.rule_names(language):
        pattern = {"label": entry.label, "pattern": name, "id": entry.name}
        (short if len(name) <= _EXACT_MAX_LENGTH else full).append(pattern)
    surnames = [
        {"label": entry.label, "pattern": surname, "id": entry.name}
        for surname, entry in gazetteer.surnames()
    ]
    for name, patterns, attr in (
        ("gazetteer_names", full, "LOWER"),
        ("gazetteer_short_names", short, "ORTH"),
        ("gazetteer_surnames", surnames, "ORTH"),
    ):
        if patterns:
            ruler = nlp.add_pipe("entity_ruler", name=name, config={"phrase_matcher_attr": attr})
            ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    nlp.add_pipe("newsflow_proper_names_only")
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = pipeline.__version__
    return nlp
