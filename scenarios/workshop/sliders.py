"""The sliders of the workshop page: what each setting is, its range, and its defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.ensemble import Future
from scenarios.config.schema import RunSpec


@dataclass(frozen=True)
class Slider:
    """One setting the page offers.

    Attributes
    ----------
    key : str
        Name in requests and responses.
    group : str
        ``axis``, ``world`` (world assumptions) or ``lever`` (policy).
    low, high, step : float
        Range and granularity of the slider; requests must stay inside [low, high].
    name_nl, name_en : str
        Display names.
    unit_nl, unit_en : str
        Unit shown beside the value, per language.
    """

    key: str
    group: str
    low: float
    high: float
    step: float
    name_nl: str
    name_en: str
    unit_nl: str = ""
    unit_en: str = ""


def sliders(spec: RunSpec) -> tuple[Slider, ...]:
    """The sliders of a session started from ``spec``.

    The transition-years slider starts where every member's sampled transition (the nominal
    value plus its offset) stays above the 0.05-year bound that ``futures run`` checks, so
    every exported setting is one ``futures run`` accepts. Cross-impact strength and lever
    efficacy act as factors on the sampled draws; they are offered only when the draws come
    from a uniform range (the default), since only then does scaling the range in
    ``uncertainties`` reproduce them in ``futures run``.
    """
    drawn = {u.name: u for u in spec.uncertainties}

    def factor(name: str) -> bool:
        u = drawn.get(name)
        return u is not None and u.distribution == "uniform" and not spec.nominal

    low_offset = min((u.low for u in spec.uncertainties if u.name == "transition_years"),
                     default=0.0)
    years_low = max(1.0, math.ceil(2.0 * (0.1 - low_offset)) / 2.0)
    axis = (
        Slider("ownership", "axis", 0.0, 1.0, 0.01, "Eigendom: aandeelhouders (0) - "
               "stakeholders (1)", "Ownership: shareholder (0) - stakeholder (1)"),
        Slider("purpose", "axis", 0.0, 1.0, 0.01, "Doel: economische groei (0) - brede "
               "welvaart (1)", "Purpose: economic growth (0) - broad welfare (1)"),
    )
    world = tuple(s for s in (
        Slider("eu_regulation", "world", 0.0, 1.0, 0.01, "EU-regulering (doel van deze "
               "toekomst)", "EU regulation (this future's target)"),
        Slider("cross_impact_strength", "world", 0.25, 2.0, 0.05, "Sterkte van de "
               "wisselwerking tussen trends", "Strength of trend-on-trend impacts", "x", "x"),
        Slider("transition_years", "world", years_low, max(years_low + 1.0, 12.0), 0.5,
               "Overgangsduur tot de toekomst", "Years until the future's regime is in place",
               "jr", "yr"),
        Slider("lever_efficacy", "world", 0.25, 2.0, 0.05, "Effectiviteit van beleid",
               "Efficacy of policy", "x", "x"),
    ) if s.key not in ("cross_impact_strength", "lever_efficacy") or factor(s.key))
    levers = tuple(Slider(t.label, "lever", 0.0, 1.0, 0.05, t.name_nl, t.name_en)
                   for t in spec.study.levers)
    return axis + world + levers


def defaults(spec: RunSpec, future: Future) -> dict[str, float]:
    """Every slider's value in the baseline of ``future``."""
    world = spec.world
    eu_index = world.drivers.index("eu_regulation")
    out = {
        "ownership": future.ownership,
        "purpose": future.purpose,
        "eu_regulation": float(future.drivers.get("eu_regulation",
                                                  world.status_quo[eu_index])),
        "cross_impact_strength": 1.0,
        "transition_years": world.transition_years,
        "lever_efficacy": 1.0,
    }
    for k, lever in enumerate(world.levers):
        out[lever] = float(future.levers.get(lever, world.lever_reference[k]))
    return out
