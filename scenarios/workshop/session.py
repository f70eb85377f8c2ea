r"""The model behind the live workshop page: sliders in, chart data out, fast.

A workshop session fixes one ensemble of members per future when it starts (the uncertain
parameters drawn once, exactly as ``futures run ensemble.members=M`` would draw them) and
re-runs the futures on those same members whenever a slider moves: common random numbers, so
a line moves because a setting moved, never because of a new sample. Discrete events are off
(the continuous model): they cost more than the whole rest of a request (``docs/workshop.md``).

Every chart shows three variants of the chosen future, as En-ROADS does:

``baseline``
    the future with the default settings of the config the session started from;
``world``
    the baseline with the changed *world assumptions* only (the axes of the plane, EU
    regulation, cross-impact strength, transition years, lever efficacy);
``current``
    the world assumptions plus the *policy levers*.

One request computes ``world`` and ``current`` for every future of the session in one call of
:func:`scenarios.engine.simulate.simulate` (2 x 4 futures); the baseline of every future is computed once at
start. Future-specific settings (the two axes and EU regulation) move the chosen future only;
the shared world assumptions and the lever package apply to every future, so the page can
show how the package fares in each of the four futures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from models import catalogue
from models.ensemble import Future, Outcome
from scenarios.config.errors import ConfigError
from scenarios.config.schema import RunSpec
from scenarios.engine.simulate import draw_members, simulate

VARIANTS = ("baseline", "world", "current")
GROUPS = ("axis", "world", "lever")
#: Quantiles shown: the band (10 % - 90 % of the members) and the median.
QUANTILES = (0.1, 0.5, 0.9)


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
                   for t in catalogue.LEVERS)
    return axis + world + levers


def defaults(spec: RunSpec, future: Future) -> dict[str, float]:
    """Every slider's value in the baseline of ``future``."""
    world = spec.world
    eu_index = catalogue.DRIVER_LABELS.index("eu_regulation")
    out = {
        "ownership": future.ownership,
        "purpose": future.purpose,
        "eu_regulation": float(future.drivers.get("eu_regulation",
                                                  world.status_quo[eu_index])),
        "cross_impact_strength": 1.0,
        "transition_years": world.transition_years,
        "lever_efficacy": 1.0,
    }
    for k, lever in enumerate(catalogue.LEVER_LABELS):
        out[lever] = float(future.levers.get(lever, world.lever_reference[k]))
    return out


def _round(values: np.ndarray, digits: int = 4) -> list:
    # four decimals are far below a pixel on any chart and keep the JSON small
    return np.round(values, digits).tolist()


def quantiles(values: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles over the last axis, as ``np.quantile(values, qs, axis=-1)`` (linear method).

    One sort serves every quantile, where ``np.quantile`` partitions once per quantile
    (``bench/bench_workshop.py`` times both on a request's arrays).

    Parameters
    ----------
    values : ndarray, shape (..., M)
    qs : tuple of float, each in [0, 1]

    Returns
    -------
    ndarray, shape (len(qs), ...)
    """
    ordered = np.sort(values, axis=-1)
    n = ordered.shape[-1]
    out = []
    for q in qs:
        position = q * (n - 1)
        below = math.floor(position)
        above = min(below + 1, n - 1)
        frac = position - below
        low, high = ordered[..., below], ordered[..., above]
        out.append(low + frac * (high - low))
    return np.stack(out)


class Workshop:
    """A session: fixed members, the baselines, and :meth:`compute` per request.

    Parameters
    ----------
    spec : RunSpec
        The validated configuration the session starts from (its futures, world, seed).
    members : int
        Members per future (>= 1); the page is specified for >= 200.
    """

    def __init__(self, spec: RunSpec, members: int) -> None:
        self.spec = replace(spec, members=members, events=None)
        self.members = members
        self.labels = [f.label for f in spec.futures]
        self.sliders = sliders(spec)
        self.by_key = {s.key: s for s in self.sliders}
        # Drawn once: every request reuses these members (common random numbers).
        self.sample = draw_members(self.spec)
        self.defaults = {f.label: defaults(spec, f) for f in spec.futures}
        base = self._run(list(spec.futures), self.sample)
        self.base_levels, self.base_impacts = base.levels, base.impacts
        self.times = base.times

    def _run(self, futures: list[Future], sample: Mapping[str, np.ndarray]) -> Outcome:
        outcome, _ = simulate(self.spec, futures=futures, members=sample, events=False,
                              precision="float64", chunk=max(8, self.members), threads=1)
        return outcome

    def check(self, label: Any, settings: Any) -> dict[str, float]:
        """Validate a request: the future and every setting (type, range, known key).

        Parameters
        ----------
        label : object
            Must be one of the session's future labels.
        settings : object
            A mapping of slider key to number; keys not given keep the future's default.

        Returns
        -------
        dict of str to float
            Every slider's value.

        Raises
        ------
        ConfigError
            Naming the key, the bad value and what is allowed.
        """
        if not isinstance(label, str) or label not in self.labels:
            raise ConfigError("future", label, f"future not found; expected one of "
                                               f"{self.labels}")
        if not isinstance(settings, Mapping):
            raise ConfigError("settings", settings, "expected a JSON object of "
                                                    "slider: number")
        values = dict(self.defaults[label])
        for key, value in settings.items():
            slider = self.by_key.get(key) if isinstance(key, str) else None
            if slider is None:
                raise ConfigError(f"settings.{key}", value, f"unknown setting; expected one "
                                                            f"of {list(self.by_key)}")
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and \
                math.isfinite(value) and slider.low <= value <= slider.high
            if not ok:
                raise ConfigError(f"settings.{key}", value, f"expected a number in "
                                                            f"[{slider.low}, {slider.high}]")
            values[key] = float(value)
        return values

    def scenario(self, label: str, values: Mapping[str, float]
                 ) -> tuple[list[Future], list[Future], dict[str, np.ndarray]]:
        """The ``world`` and ``current`` futures and the members for ``values``.

        The chosen future takes the axis position and EU regulation of ``values``; every
        future takes the shared world assumptions (on its members) and, in ``current``, the
        lever settings.
        """
        world_futures = []
        for future in self.spec.futures:
            if future.label == label:
                drivers = {**future.drivers, "eu_regulation": values["eu_regulation"]}
                future = replace(future, ownership=values["ownership"],
                                 purpose=values["purpose"], drivers=drivers)
            world_futures.append(future)
        levers = {lv: values[lv] for lv in catalogue.LEVER_LABELS}
        current = [replace(f, levers=levers) for f in world_futures]
        sample = dict(self.sample)
        shape = (len(self.labels), self.members)
        for name in ("cross_impact_strength", "lever_efficacy"):
            # Factors with nominal 1: scaling the draws moves the nominal and keeps the spread
            # relative, as scaling the uncertainty range [low, high] does in `futures run`.
            drawn = sample.get(name, np.ones(shape))
            sample[name] = drawn * values[name]
        shift = values["transition_years"] - self.spec.world.transition_years
        sample["transition_years"] = sample.get(
            "transition_years", np.full(shape, self.spec.world.transition_years)) + shift
        return world_futures, current, sample

    def compute(self, label: str, values: Mapping[str, float]) -> dict[str, Any]:
        """Chart data for the chosen future and settings (already :meth:`check`-ed).

        Returns
        -------
        dict
            ``trends`` and ``areas``: label -> variant -> ``median`` (and for ``baseline`` and
            ``current`` the band ``low``, ``high``) over time; ``futures``: per future label
            the 2030 median of every area in each variant.
        """
        world_futures, current, sample = self.scenario(label, values)
        n_fut = len(self.labels)
        both = {k: np.concatenate([v, v]) for k, v in sample.items()}
        out = self._run(world_futures + current, both)
        c = self.labels.index(label)
        levels = {"baseline": self.base_levels[c], "world": out.levels[c],
                  "current": out.levels[n_fut + c]}
        impacts = {"baseline": self.base_impacts[c], "world": out.impacts[c],
                   "current": out.impacts[n_fut + c]}
        trends = self._summary(levels, catalogue.TREND_LABELS)
        areas = self._summary(impacts, catalogue.AREA_LABELS)
        final = {"baseline": np.median(self.base_impacts[:, -1], axis=-1),
                 "world": np.median(out.impacts[:n_fut, -1], axis=-1),
                 "current": np.median(out.impacts[n_fut:, -1], axis=-1)}  # (F, areas)
        futures = {f: {v: dict(zip(catalogue.AREA_LABELS, _round(final[v][i])))
                       for v in VARIANTS} for i, f in enumerate(self.labels)}
        return {"future": label, "settings": dict(values), "trends": trends, "areas": areas,
                "futures": futures}

    @staticmethod
    def _summary(arrays: Mapping[str, np.ndarray], labels: tuple[str, ...]) -> dict:
        """Quantiles over members of (T, k, M) arrays: label -> variant -> series."""
        stacked = np.stack([arrays[v] for v in VARIANTS])  # (3, T, k, M)
        q = quantiles(stacked, QUANTILES)  # (3 quantiles, 3 variants, T, k)
        out: dict[str, dict[str, dict[str, list]]] = {}
        for j, name in enumerate(labels):
            out[name] = {}
            for i, variant in enumerate(VARIANTS):
                series = {"median": _round(q[1, i, :, j])}
                if variant != "world":
                    series["low"] = _round(q[0, i, :, j])
                    series["high"] = _round(q[2, i, :, j])
                out[name][variant] = series
        return out
