"""Which enricher a consumer runs: spaCy NER, or (NEWSFLOW_ENRICHER=stub) a stand-in for tests.

The stub lives in the development tools (devtools/stub_enricher.py) and is found through the
`newsflow.enrichers` entry point they declare: an installed newsflow does not contain it.
"""

from __future__ import annotations

import logging

from pipeline.config import Settings
from pipeline.consume.batch import Enricher
from pipeline.errors import ConfigError
from pipeline.plugins import DEV_INSTALL, ENRICHERS, registered

log = logging.getLogger(__name__)


def make_enricher(settings: Settings) -> Enricher:
    if settings.enricher == "spacy":
        from pipeline.enrich import Enricher as SpacyEnricher  # loads spaCy: only when needed

        return SpacyEnricher(settings=settings)
    point = registered(ENRICHERS).get(settings.enricher)
    if point is None:
        raise ConfigError(f"NEWSFLOW_ENRICHER={settings.enricher} needs {DEV_INSTALL}; "
                          "unset it for spaCy")
    log.warning("NEWSFLOW_ENRICHER=stub: entities are capitalized words, not NER "
                "(for delivery tests only)")
    return point.load()()
