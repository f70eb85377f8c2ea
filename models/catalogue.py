"""The fixed vocabulary of the model: trends, impact areas, drivers and policy levers.

One string per concept. The labels below are the ``trend``, ``area`` and ``driver``
coordinates of every dataset, the keys of every YAML file and the legend keys of every plot.
Display names (Dutch and English) come from here and nowhere else.

Sources: the eleven trends are described in NDS 2021 chapter 4, seed lines L3286-L3398; the
five impact areas are named at L3407-L3412; the two scenario axes at L3414-L3434.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A labelled concept with its Dutch and English display names."""

    label: str
    name_nl: str
    name_en: str
    description: str
    source: str


TRENDS: tuple[Term, ...] = (
    Term("mega_ecosystemen", "Mega Ecosystemen", "Mega ecosystems",
         "Services bundled into one 'super app' that users enter directly.", "L3286-3299"),
    Term("decentralisering", "Decentralisering", "Decentralisation",
         "Radical alternatives to winner-takes-all platforms: decentral storage, "
         "intelligence and applications.", "L3301-3309"),
    Term("data_soevereiniteit", "Data-soevereiniteit", "Data sovereignty",
         "Citizens, firms and governments control their data and choose what they share.",
         "L3311-3319"),
    Term("digitale_valuta", "Digitale Valuta", "Digital currency",
         "Cryptocurrencies let people transact without banks, with new reward structures.",
         "L3321-3328"),
    Term("eigenwijze_data", "Eigenwijze Data", "Headstrong data",
         "Sensor data and AI make cities, homes and factories predictable and steerable.",
         "L3329-3336"),
    Term("autonomisering", "Autonomisering", "Autonomisation",
         "AI systems act on their own and take on ever more complex tasks.", "L3338-3347"),
    Term("zwermcultuur", "Zwermcultuur", "Swarm culture",
         "Platforms let crowds collaborate and ideas spread, sped up by AR and easy AI.",
         "L3349-3358"),
    Term("virtuele_leefwerelden", "Virtuele leefwerelden", "Virtual worlds",
         "Entertainment, work and education move into virtual worlds.", "L3360-3370"),
    Term("mensoptimalisering", "Mensoptimalisering", "Human optimisation",
         "Intimate technology extends people's physical and cognitive abilities.",
         "L3372-3378"),
    Term("strijd_der_stacks", "Strijd der Stacks", "Battle of the Stacks",
         "Major powers each build their own Stack and push it as the global standard.",
         "L3380-3387"),
    Term("kwetsbaarheid", "Kwetsbaarheid", "Vulnerability",
         "Dependence on technical systems and their builders exposes society to conflict, "
         "sabotage and cascading failure.", "L3390-3398"),
)

AREAS: tuple[Term, ...] = (
    Term("verdienvermogen", "Nederlands verdienvermogen", "Dutch earning capacity",
         "The Dutch economy's capacity to earn from digitalisation.", "L3408"),
    Term("openbaar_bestuur", "Openbaar bestuur", "Public governance",
         "The capacity of public administration to steer and supervise.", "L3409"),
    Term("brede_welvaart", "Brede welvaart", "Broad welfare",
         "Well-being beyond income: health, inclusion, living environment.", "L3410"),
    Term("publieke_waarden", "Publieke waarden", "Public values",
         "Privacy, autonomy, equality and other public values.", "L3411"),
    Term("veiligheid", "Veiligheid", "Security",
         "National, economic and digital security.", "L3412"),
)

DRIVERS: tuple[Term, ...] = (
    Term("momentum", "Eigen dynamiek", "Momentum",
         "Constant 1: a trend's own push or pull, independent of the futures.", "assumption"),
    Term("shareholder", "Aandeelhoudersmodel", "Shareholder model",
         "1 - ownership: infrastructure and platforms run for shareholders.", "L3428-3431"),
    Term("stakeholder", "Stakeholdermodel", "Stakeholder model",
         "ownership: infrastructure and platforms run for stakeholders.", "L3428-3431"),
    Term("growth", "Economische groei", "Economic growth",
         "1 - purpose: digitalisation serves mainly economic growth.", "L3431-3433"),
    Term("welfare", "Brede welvaart", "Broad welfare",
         "purpose: digitalisation serves mainly broad welfare.", "L3431-3433"),
    Term("eu_regulation", "EU-regulering", "EU regulation",
         "Strength of EU rules on platforms, data and algorithms.", "L3456-3462"),
    Term("security_pressure", "Veiligheidsdruk", "Security pressure",
         "Pressure after incidents; zero in the continuous model, raised by events.",
         "L2109-2113"),
)

LEVERS: tuple[Term, ...] = (
    Term("ai_investment", "AI-investeringen", "AI investment",
         "SAPAI, NL AI Coalition, AiNed: public AI money and programmes.", "L648-745, L6429-6694"),
    Term("data_sharing", "Datadeling", "Data sharing",
         "Data-sharing rules and coalitions, Regie op Gegevens, DGA/Data Act.",
         "L976-1227, L5556-5640"),
    Term("connectivity", "Connectiviteit", "Connectivity",
         "Fibre, 5G spectrum, datacentres.", "L1776-2096"),
    Term("cyber_resilience", "Cyberweerbaarheid", "Cyber resilience",
         "NCSA, NCSC, Digital Trust Center, certification.", "L2097-2558"),
    Term("open_source_standards", "Open source en standaarden", "Open source and standards",
         "'Open, tenzij', open standards, standardisation and internet governance.",
         "L2747-2770, L3128-3208"),
    Term("digital_skills", "Digitale vaardigheden", "Digital skills",
         "Skills and inclusion: information points, AI course, retraining.", "L1481-1775"),
)

TREND_LABELS: tuple[str, ...] = tuple(t.label for t in TRENDS)
AREA_LABELS: tuple[str, ...] = tuple(a.label for a in AREAS)
DRIVER_LABELS: tuple[str, ...] = tuple(d.label for d in DRIVERS)
LEVER_LABELS: tuple[str, ...] = tuple(lever.label for lever in LEVERS)

#: Drivers set by a future's position on the two axes (ownership, purpose); a future may
#: override the other drivers except ``momentum``, which is always 1.
AXIS_DRIVERS: tuple[str, ...] = ("shareholder", "stakeholder", "growth", "welfare")

#: The four futures of the study (L3436-L3496), in the document's order.
FUTURES: tuple[Term, ...] = (
    Term("versnelling", "Versnelling", "Acceleration",
         "Shareholder model, economic growth: big tech keeps the platforms.", "L3436-3449"),
    Term("voorwaardelijke_groei", "Voorwaardelijke groei", "Conditional growth",
         "Shareholder model, broad welfare: strict EU rules.", "L3451-3465"),
    Term("radicale_markten", "Radicale markten", "Radical markets",
         "Stakeholder model, economic growth: an open, decentral web 3.0.", "L3467-3482"),
    Term("gelijk_speelveld", "Gelijk speelveld", "Level playing field",
         "Stakeholder model, broad welfare: public-private partnership.", "L3484-3496"),
)
FUTURE_LABELS: tuple[str, ...] = tuple(f.label for f in FUTURES)


def columns() -> tuple[str, ...]:
    """Labels of the impactor columns of the cross-impact system: trends, drivers, levers."""
    return TREND_LABELS + DRIVER_LABELS + LEVER_LABELS


def lookup(label: str) -> Term:
    """Return the catalogue entry for any trend, area, driver, lever or future label."""
    for term in TRENDS + AREAS + DRIVERS + LEVERS + FUTURES:
        if term.label == label:
            return term
    raise KeyError(f"label {label!r} is not in the catalogue")
