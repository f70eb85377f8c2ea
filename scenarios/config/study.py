"""The study as data: its vocabulary read from the ``study:`` node of the composed config.

A study (``conf/study/<name>.yaml``, chosen with ``study=<name>``) names its trends, impact
areas, the two axes and their pole drivers, the other drivers, the policy levers and the
futures, each with Dutch and English display names, a description and a source; and it
holds the narratives (expected directions, levels and rankings) and the fitting priors.
:func:`study_of` checks that node and returns a :class:`Study`; every problem raises a
one-line :class:`~scenarios.config.errors.ConfigError`. The models take only the sizes and
label tuples derived from it (``models`` holds no study's labels). docs/study.md documents
every key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from models.ensemble import MOMENTUM
from scenarios.config.checks import expect, label, mapping, number
from scenarios.config.where import conf_dir

#: What a label may look like: it becomes a coordinate, a config key and a file name.
LABEL = re.compile(r"[a-z][a-z0-9_]{0,39}")
#: The axes every study has: a future is a point (ownership, purpose) in [0, 1]^2.
AXES = ("ownership", "purpose")
DIRECTIONS = ("decline", "flat", "rise", "strong rise")
LEVELS = ("L", "L-M", "M", "M-H", "H")
BASES = ("TEXT", "PARTIAL", "INF")
TERM_FIELDS = ("nl", "en", "description", "description_nl", "source")


@dataclass(frozen=True)
class Term:
    """A labelled concept with its Dutch and English display names."""

    label: str
    name_nl: str
    name_en: str
    description: str = ""
    source: str = ""
    description_nl: str = ""

    def meaning(self, lang: str) -> str:
        """The one-sentence meaning in ``lang`` (Dutch where the study gives it, else
        English)."""
        return self.description_nl if lang == "nl" and self.description_nl else \
            self.description


@dataclass(frozen=True)
class Axis:
    """One of the two axes: its name, display names and the drivers at its two ends."""

    name: str
    low: str
    high: str
    name_nl: str = ""
    name_en: str = ""
    source: str = ""


@dataclass(frozen=True)
class LeverCost:
    """A lever's public cost in EUR million per year at its 2021 reference setting.

    ``low`` <= ``reference`` <= ``high`` is the range the cost is uncertain in; ``source``
    names the document's lines or says "assumption". A setting ``x`` costs
    ``reference * x / x_ref`` (linear in effort: 0 stops the programme, twice the reference
    setting doubles its money).
    """

    reference: float
    low: float
    high: float
    source: str


@dataclass(frozen=True)
class Study:
    """A study's vocabulary, narratives and priors, in the order of the YAML."""

    name: str
    trends: tuple[Term, ...]
    areas: tuple[Term, ...]
    drivers: tuple[Term, ...]
    levers: tuple[Term, ...]
    futures: tuple[Term, ...]
    axes: tuple[Axis, ...]
    title: str = ""
    source: str = ""
    #: (future, trend, direction, level, basis) per narrative cell.
    cells: tuple[tuple[str, str, str, str, str], ...] = ()
    #: future -> ((area, basis), ...), best first.
    rankings: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    #: trend -> (stakeholder-minus-shareholder, welfare-minus-growth) prior swing.
    axis_priors: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    #: lever -> its yearly cost at the 2021 reference setting (:class:`LeverCost`).
    costs: Mapping[str, LeverCost] = field(default_factory=dict)

    @property
    def trend_labels(self) -> tuple[str, ...]:
        return tuple(t.label for t in self.trends)

    @property
    def area_labels(self) -> tuple[str, ...]:
        return tuple(t.label for t in self.areas)

    @property
    def driver_labels(self) -> tuple[str, ...]:
        return tuple(t.label for t in self.drivers)

    @property
    def lever_labels(self) -> tuple[str, ...]:
        return tuple(t.label for t in self.levers)

    @property
    def future_labels(self) -> tuple[str, ...]:
        return tuple(t.label for t in self.futures)

    @property
    def axis_drivers(self) -> tuple[str, ...]:
        """The pole drivers of the axes: (ownership low, high, purpose low, high)."""
        return tuple(d for axis in self.axes for d in (axis.low, axis.high))

    @property
    def other_drivers(self) -> tuple[str, ...]:
        """Drivers a future may override: neither momentum nor an axis pole."""
        return tuple(d for d in self.driver_labels
                     if d != MOMENTUM and d not in self.axis_drivers)

    def columns(self) -> tuple[str, ...]:
        """Labels of the impactor columns of the cross-impact system: trends, drivers, levers."""
        return self.trend_labels + self.driver_labels + self.lever_labels

    def lookup(self, label: str) -> Term | None:
        """The entry of any trend, area, driver, lever or future label (None if unknown)."""
        for term in self.trends + self.areas + self.drivers + self.levers + self.futures:
            if term.label == label:
                return term
        return None

    def display(self, label: str, lang: str = "nl") -> str:
        """Display name of ``label`` in ``lang``; an unknown label is shown as written."""
        term = self.lookup(label)
        if term is None:
            return label.replace("_", " ")
        return getattr(term, f"name_{lang}") or label.replace("_", " ")


def _terms(key: str, node: object, *, required: bool = True) -> tuple[Term, ...]:
    entries = mapping(key, node if node is not None else {})
    expect(len(entries) > 0 or not required, key, "{}", "expected at least one entry, "
           "label: {nl: ..., en: ..., description: ..., source: ...}")
    out = []
    for name, value in entries.items():
        expect(isinstance(name, str) and LABEL.fullmatch(name) is not None, f"{key}.{name}",
               name, "a label is 1-40 characters: a lower-case letter, then lower-case "
               "letters, digits or _")
        entry = mapping(f"{key}.{name}", value if value is not None else {})
        for k, v in entry.items():
            expect(k in TERM_FIELDS, f"{key}.{name}.{k}", v,
                   f"unknown field; expected {list(TERM_FIELDS)}")
            expect(isinstance(v, str), f"{key}.{name}.{k}", v, "expected text")
        out.append(Term(str(name), str(entry.get("nl", name)), str(entry.get("en", name)),
                        str(entry.get("description", "")), str(entry.get("source", "")),
                        str(entry.get("description_nl", ""))))
    return tuple(out)


def _axes(node: object, drivers: tuple[str, ...]) -> tuple[Axis, ...]:
    entries = mapping("study.axes", node)
    expect(sorted(entries) == sorted(AXES), "study.axes", sorted(entries),
           f"a study has the two axes {list(AXES)}, each with a low and a high driver")
    out = []
    for name in AXES:
        key = f"study.axes.{name}"
        axis = mapping(key, entries[name])
        for k in axis:
            expect(k in ("low", "high", "nl", "en", "source"), f"{key}.{k}", axis[k],
                   "unknown field; expected low, high, nl, en, source")
        poles = []
        for end in ("low", "high"):
            value = axis.get(end)
            expect(value in drivers, f"{key}.{end}", value,
                   f"driver not found; expected one of {list(drivers)}")
            poles.append(str(value))
        expect(poles[0] != poles[1], f"{key}.high", poles[1], "the two ends need two drivers")
        out.append(Axis(name, poles[0], poles[1], str(axis.get("nl", "")),
                        str(axis.get("en", "")), str(axis.get("source", ""))))
    used = [d for a in out for d in (a.low, a.high)]
    expect(len(set(used)) == len(used), "study.axes", used, "each driver ends one axis at most")
    return tuple(out)


def _cells(node: object, trends: tuple[str, ...],
           futures: tuple[str, ...]) -> tuple[tuple[str, str, str, str, str], ...]:
    out = []
    for trend, row in mapping("study.narratives.cells", node).items():
        key = f"study.narratives.cells.{trend}"
        expect(trend in trends, key, trend, f"trend not found; expected one of {list(trends)}")
        for future, text in mapping(key, row).items():
            ckey = f"{key}.{future}"
            expect(future in futures, ckey, future,
                   f"future not found; expected one of {list(futures)}")
            parts = [p.strip() for p in str(text).split(",")]
            expect(len(parts) == 3 and parts[0] in DIRECTIONS and parts[1] in LEVELS
                   and parts[2] in BASES, ckey, text,
                   f"expected 'direction, level, basis' with direction in {list(DIRECTIONS)}, "
                   f"level in {list(LEVELS)}, basis in {list(BASES)}")
            out.append((str(future), str(trend), parts[0], parts[1], parts[2]))
    order = {f: i for i, f in enumerate(futures)}
    return tuple(sorted(out, key=lambda c: (trends.index(c[1]), order[c[0]])))


def _rankings(node: object, areas: tuple[str, ...],
              futures: tuple[str, ...]) -> dict[str, tuple[tuple[str, str], ...]]:
    out = {}
    for future, ranking in mapping("study.narratives.rankings", node).items():
        key = f"study.narratives.rankings.{future}"
        expect(future in futures, key, future,
               f"future not found; expected one of {list(futures)}")
        expect(isinstance(ranking, (list, tuple)), key, ranking,
               "expected a list of '- area: basis', best first")
        pairs = []
        for item in ranking:
            expect(isinstance(item, Mapping) and len(item) == 1, key, item,
                   "expected '- area: basis' entries")
            (area, basis), = item.items()
            expect(area in areas, f"{key}.{area}", area,
                   f"area not found; expected one of {list(areas)}")
            expect(basis in BASES, f"{key}.{area}", basis, f"expected one of {list(BASES)}")
            pairs.append((str(area), str(basis)))
        expect(sorted(a for a, _ in pairs) == sorted(areas), key, [a for a, _ in pairs],
               f"a ranking orders every area once: {list(areas)}")
        out[str(future)] = tuple(pairs)
    return out


def _priors(node: object, trends: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    out = {}
    for trend, pair in mapping("study.priors.axes", node).items():
        key = f"study.priors.axes.{trend}"
        expect(trend in trends, key, trend, f"trend not found; expected one of {list(trends)}")
        expect(isinstance(pair, (list, tuple)) and len(pair) == 2, key, pair,
               "expected [stakeholder-minus-shareholder, welfare-minus-growth]")
        out[str(trend)] = (number(key, pair[0], -10.0, 10.0), number(key, pair[1], -10.0, 10.0))
    return out


STUDY_FIELDS = ("name", "title", "source", "trends", "areas", "axes", "drivers", "levers",
                "costs", "futures", "narratives", "priors")
COST_FIELDS = ("reference", "low", "high", "source")


def _costs(node: object, levers: tuple[str, ...]) -> dict[str, LeverCost]:
    out = {}
    for name, value in mapping("study.costs", node).items():
        key = f"study.costs.{name}"
        label(key, name, levers, "lever")
        entry = mapping(key, value)
        for k in entry:
            expect(k in COST_FIELDS, f"{key}.{k}", entry[k],
                   f"unknown field; expected {list(COST_FIELDS)}")
        for k in COST_FIELDS:
            expect(k in entry, f"{key}.{k}", "missing",
                   "every cost gives reference, low, high (EUR m/yr) and source")
        ref = number(f"{key}.reference", entry["reference"], 0.0, 1e6)
        low = number(f"{key}.low", entry["low"], 0.0, ref)
        high = number(f"{key}.high", entry["high"], ref, 1e6)
        src = entry["source"]
        expect(isinstance(src, str) and src.strip() != "", f"{key}.source", src,
               "expected the document's lines (e.g. L337-341) or 'assumption'")
        out[str(name)] = LeverCost(ref, low, high, str(src))
    return out


def study_of(node: object) -> Study:
    """Check the ``study`` node of a composed config and return the :class:`Study`."""
    s = mapping("study", node)
    for key in s:
        expect(key in STUDY_FIELDS, f"study.{key}", s[key],
               f"unknown config key; keys at study are {sorted(STUDY_FIELDS)}")
    trends = _terms("study.trends", s.get("trends"))
    areas = _terms("study.areas", s.get("areas"))
    drivers = _terms("study.drivers", s.get("drivers"))
    levers = _terms("study.levers", s.get("levers"), required=False)
    futures = _terms("study.futures", s.get("futures"))
    labels = [t.label for t in trends + areas + drivers + levers]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    expect(not twice, f"study.{twice[0] if twice else ''}", twice[0] if twice else "",
           "a label names one trend, area, driver or lever")
    driver_labels = tuple(d.label for d in drivers)
    expect(MOMENTUM in driver_labels, "study.drivers", list(driver_labels),
           f"the drivers include {MOMENTUM!r} (constant 1: a trend's own push)")
    axes = _axes(s.get("axes"), driver_labels)
    narratives = mapping("study.narratives", s.get("narratives") or {})
    for key in narratives:
        expect(key in ("cells", "rankings"), f"study.narratives.{key}", narratives[key],
               "unknown config key; keys at study.narratives are ['cells', 'rankings']")
    priors = mapping("study.priors", s.get("priors") or {})
    for key in priors:
        expect(key == "axes", f"study.priors.{key}", priors[key],
               "unknown config key; keys at study.priors are ['axes']")
    t_labels, f_labels = tuple(t.label for t in trends), tuple(f.label for f in futures)
    return Study(
        name=str(s.get("name", "")), title=str(s.get("title", "")),
        source=str(s.get("source", "")), trends=trends, areas=areas, drivers=drivers,
        levers=levers, futures=futures, axes=axes,
        cells=_cells(narratives.get("cells") or {}, t_labels, f_labels),
        rankings=_rankings(narratives.get("rankings") or {}, tuple(a.label for a in areas),
                           f_labels),
        axis_priors=_priors(priors.get("axes") or {}, t_labels),
        costs=_costs(s.get("costs") or {}, tuple(t.label for t in levers)))


@cache
def default_study() -> Study:
    """The default study (``conf/study/nds2021.yaml``), for code that has no run's config:
    display names of figures drawn from old outputs, tests."""
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(OmegaConf.load(conf_dir() / "study" / "nds2021.yaml"))
    assert isinstance(node, dict)
    return study_of(node["study"])


def study_from_text(config: str) -> Study | None:
    """The study of a resolved config stored with outcomes (``attrs['config']``), or None."""
    import yaml

    try:
        node = yaml.safe_load(config)
        return study_of(node["study"]) if isinstance(node, dict) and "study" in node else None
    except Exception:  # noqa: BLE001 - an old or foreign file: the caller falls back
        return None


def study_node(cfg: Mapping[str, Any]) -> Any:
    """The ``study`` node of a config, or an error naming it when it is missing."""
    expect("study" in cfg and cfg["study"], "study", None,
           "no study chosen; add study=nds2021 (conf/study/) or a study of --config-dir")
    return cfg["study"]


def study_in(config: Mapping[str, Any]) -> Study:
    """The study of a resolved config (e.g. one stored with outcomes), or the default study
    for a config written before studies were data."""
    node = config.get("study") if isinstance(config, Mapping) else None
    return study_of(node) if node else default_study()
