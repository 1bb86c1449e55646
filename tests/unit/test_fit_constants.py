"""devtools/fit_constants.py: a setting reaches every place the cleaner reads a constant, and
the walks it keeps between settings give the plain cleaner's page scores."""

from pathlib import Path

import pytest

from devtools import fit_constants
from devtools.bench.extract import _load
from pipeline.clean import body, furniture, lines

READABILITY_PAGES = Path(__file__).parents[1] / "data" / "extraction" / "readability-pages"


def _changed(**values: float) -> fit_constants.Setting:
    names = [knob.name for knob in fit_constants.KNOBS]
    setting = list(fit_constants.HAND)
    for name, value in values.items():
        setting[names.index(name)] = value
    return tuple(setting)


def test_a_setting_reaches_every_binding_and_is_undone() -> None:
    fit_constants.apply(_changed(PROSE_CHARS=125, _PAYWALL_MAX_CHARS=450, ISOLATED=1.0))
    try:
        assert (body.PROSE_CHARS, furniture.PROSE_CHARS) == (125, 125)
        assert lines._LOWER_MAX_CHARS == 450
        assert body.ISOLATED == 1.0
    finally:
        fit_constants.apply(fit_constants.HAND)
    assert (body.PROSE_CHARS, furniture.PROSE_CHARS, lines._LOWER_MAX_CHARS) == (80, 80, 300)
    assert fit_constants.read_setting() == fit_constants.HAND


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = _load(READABILITY_PAGES)[:40]
    monkeypatch.setattr(fit_constants, "_PAGES", loaded)
    monkeypatch.setattr(fit_constants, "_SCORED", [{} for _ in loaded])


@pytest.mark.usefixtures("pages")
def test_kept_walks_give_the_plain_cleaners_scores() -> None:
    # Turns that change what the body step marks as captions and which container wins, then
    # the walk's own knob, then back: a kept walk must not remember an earlier setting.
    settings = [
        fit_constants.HAND,
        _changed(_BOX_BLOCKS=1, _ALT_MIN=25, ISOLATED=1.0, MAX_LINK_DENSITY=0.7),
        _changed(PROSE_CHARS=100, _FORM_KEEP_PARAGRAPHS=1),
        fit_constants.HAND,
        _changed(_BOX_BLOCKS=3, _ALT_SHARE=0.7, _ICON_PIXELS=120, CAPTION_WEIGHT=0.4),
    ]
    plain = [fit_constants.run_setting(setting) for setting in settings]
    for scored in fit_constants._SCORED:
        scored.clear()
    walks = fit_constants._Walks()
    try:
        kept = [fit_constants.run_setting(setting) for setting in settings]
    finally:
        walks.close()
    assert kept == plain
    assert len(set(plain)) > 2  # the settings do change pages
