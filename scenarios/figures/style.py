"""One look for every figure and page: a colour per future, display names in NL or EN.

The colours are from Okabe & Ito's colour-blind-safe palette (2008), one per future, the same
in every figure, page and handout. Names come from the study (``conf/study/``) only, through
:func:`scenarios.engine.dataset.term_name`.
"""

from __future__ import annotations

from scenarios.config.study import Study
from scenarios.engine.dataset import term_name

#: Colour of each built-in future (Okabe-Ito): distinct for the common colour-vision
#: deficiencies and in greyscale print by lightness.
FUTURE_COLOURS: dict[str, str] = {
    "versnelling": "#E69F00",            # orange
    "voorwaardelijke_groei": "#0072B2",  # blue
    "radicale_markten": "#D55E00",       # vermillion
    "gelijk_speelveld": "#009E73",       # bluish green
}

#: Colours for futures a user adds (``+future.NAME=...``), in order of appearance.
EXTRA_COLOURS: tuple[str, ...] = ("#CC79A7", "#56B4E9", "#F0E442", "#000000")

LANGUAGES = ("nl", "en")


def future_colour(label: str, labels: list[str] | tuple[str, ...] = ()) -> str:
    """The colour of future ``label``; added futures take the extra colours in the order of
    ``labels`` (the run's futures)."""
    if label in FUTURE_COLOURS:
        return FUTURE_COLOURS[label]
    extra = [x for x in labels if x not in FUTURE_COLOURS]
    index = extra.index(label) if label in extra else 0
    return EXTRA_COLOURS[index % len(EXTRA_COLOURS)]


def display_name(label: str, lang: str = "nl", study: Study | None = None) -> str:
    """The display name of any label of ``study`` (trend, area, driver, lever, future; the
    default study when not given) in ``lang`` (``nl`` or ``en``); an unknown label (a
    user-added future) is shown as written."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang={lang!r}: expected one of {list(LANGUAGES)}")
    return term_name(label, lang, study=study)
