"""Words on the figures and in the handout, in Dutch and English, from one small table.

Names of trends, areas, drivers, levers and futures come from the study (``conf/study/``) through
:func:`scenarios.figures.style.display_name`; this table holds only what the study does not:
titles, axis labels, legend entries, event kinds and the names of scheduled events.
"""

from __future__ import annotations

from scenarios.config.study import Study
from scenarios.figures.style import LANGUAGES, display_name

#: key -> (Dutch, English).
TEXT: dict[str, tuple[str, str]] = {
    # fan charts
    "fans_title": ("Trends per toekomst: {future}", "Trends per future: {future}"),
    "fans_compared_title": ("De elf trends in elke toekomst",
                            "The eleven trends in each future"),
    "level": ("niveau (0-1)", "level (0-1)"),
    "year": ("jaar", "year"),
    "median": ("mediaan", "median"),
    "band50": ("50% van de werelden", "50% of worlds"),
    "band90": ("90% van de werelden", "90% of worlds"),
    "members_note": ("{members} gesimuleerde werelden per toekomst", "{members} simulated worlds per future"),
    "members_read": ("(kwantielen uit {used} gelijk verdeelde werelden)",
                     "(quantiles from {used} evenly spaced worlds)"),
    "swept": ("gevarieerd: {keys}", "swept: {keys}"),
    "sweep_note": ("lijnen: mediaan per waarde; vlak: 50% van de werelden",
                   "lines: median per value; band: 50% of worlds"),
    # quadrant
    "quadrant_title": ("De toekomsten op twee assen", "The futures on two axes"),
    "ownership_axis": ("eigenaarschap:  aandeelhouders  \u2192  stakeholders",
                       "ownership:  shareholders  \u2192  stakeholders"),
    "purpose_axis": ("doel:  economische groei  \u2192  brede welvaart",
                     "purpose:  economic growth  \u2192  broad welfare"),
    "key_trends": (("balkjes: trends die de toekomst het meest onderscheiden "
                   "(mediaan 2030, schaal 0-1);\nstreepje: gemiddelde van de andere toekomsten"),
                   ("bars: the trends that set the future apart most "
                   "(median 2030, scale 0-1);\ntick: mean of the other futures")),
    # impacts
    "impacts_title": ("Impact in {year}: verdeling over de werelden",
                      "Impact in {year}: distribution over the simulated worlds"),
    "impact_axis": ("verandering sinds 2021 (hoger is beter)",
                    "change since 2021 (higher is better)"),
    "impact_note": ("viool: verdeling; balk: middelste 50%; wit: mediaan",
                    "violin: distribution; bar: middle 50%; white: median"),
    # cross-impact
    "matrix_title": ("Kruisimpactmatrix: wat duwt (+) of remt (\u2212) elke trend",
                     "Cross-impact matrix: what pushes (+) or brakes (\u2212) each trend"),
    "matrix_rows": ("trend die verandert (rij)", "trend that changes (row)"),
    "matrix_cols": ("oorzaak (kolom)",
                    "cause (column)"),
    "group_trends": ("trends", "trends"),
    "group_drivers": ("drijvers", "drivers"),
    "group_levers": ("beleidshefbomen", "policy levers"),
    "matrix_unit": ("impact per jaar bij volledig niveau", "impact per year at full level"),
    "matrix_swept": ("omrande cellen varieren in de sweep", "outlined cells vary in the sweep"),
    # events
    "events_title": ("Gebeurtenissen door de tijd", "Events over time"),
    "events_axis": ("gem. aantal per lid per jaar", "mean count per member per year"),
    "milestones": ("Geplande gebeurtenissen", "Scheduled events"),
    "events_off": ("Gebeurtenissen staan uit in deze run (events.enabled=false)",
                   "Events are switched off in this run (events.enabled=false)"),
    # event kinds and scheduled events
    "cyber_incident": ("Cyberincident", "Cyber incident"),
    "crypto_crash": ("Cryptocrash", "Crypto crash"),
    "stack_split": ("Splitsing van de Stack", "Stack split"),
    "eu_rule": ("EU-regel", "EU rule"),
    "election": ("Verkiezingen", "Election"),
    "cabinet": ("Nieuw kabinet", "New cabinet"),
    "dma": ("DMA", "DMA"),
    "dsa": ("DSA", "DSA"),
    "data_act": ("Data Act", "Data Act"),
    "ai_rules": ("AI-regels", "AI rules"),
}


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (``nl`` or ``en``), with ``{name}`` fields filled in."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang={lang!r}: expected one of {list(LANGUAGES)}")
    nl, en = TEXT[key]
    return (nl if lang == "nl" else en).format(**values)


def name(label: str, lang: str, study: Study | None = None) -> str:
    """Display name of a study's label (``study``, or the default study), an event kind or a
    scheduled event's name."""
    if label in TEXT:
        return text(label, lang)
    return display_name(label, lang, study)


def milestone_name(milestone: str, lang: str) -> str:
    """``eu_rule:dma`` -> ``DMA``; ``election:2025`` -> ``Verkiezingen 2025``."""
    kind, _, what = milestone.partition(":")
    if kind == "election":
        return f"{text('election', lang)} {what}"
    return name(what, lang) if what in TEXT else what.replace("_", " ")
