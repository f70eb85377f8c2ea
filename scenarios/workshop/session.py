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

One request computes ``world`` and ``current`` for every future of the session (2 x 4
futures, those not cached) through :func:`scenarios.engine.simulate.simulate`, in calls of at
most :data:`SIMULATE_BLOCK` variants; the baseline of every future is computed once at
start. Future-specific settings (the two axes and EU regulation) move the chosen future only;
the shared world assumptions and the lever package apply to every future, so the page can
show how the package fares in each of the four futures.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from models.ensemble import Future, Outcome
from scenarios.config.errors import ConfigError
from scenarios.config.schema import RunSpec
from scenarios.engine.simulate import draw_members, simulate
from scenarios.workshop.sliders import defaults, sliders

VARIANTS = ("baseline", "world", "current")
GROUPS = ("axis", "world", "lever")
#: Quantiles shown: the band (10 % - 90 % of the members) and the median.
QUANTILES = (0.1, 0.5, 0.9)
#: Time points drawn per year: the model steps monthly, the charts draw every quarter (a
#: 300-pixel chart of 2021-2030 puts 8 pixels between quarters; the curves are smooth).
POINTS_PER_YEAR = 4


def drawn_steps(steps_per_year: int, n_steps: int) -> np.ndarray:
    """Indices of the time points the page draws: every quarter and the last one."""
    stride = max(1, steps_per_year // POINTS_PER_YEAR)
    return np.unique(np.append(np.arange(0, n_steps + 1, stride), n_steps))


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


@dataclass(frozen=True)
class Summary:
    """What the page needs of one simulated future-variant (the members are not kept).

    Attributes
    ----------
    final : ndarray, shape (n_areas,)
        Median over members of every impact index in the last year (every future's dot in
        the bottom row of the page).
    trends, areas : dict of str to dict of str to str, or None
        Only for a variant shown as lines (the chosen future's): per trend (area) label the
        JSON text of its ``median``, ``low`` and ``high`` series over time (quantiles over
        members, rounded as :func:`_round`). ``None`` for a variant seen only as a dot.
    """

    final: np.ndarray
    trends: dict[str, dict[str, str]] | None = None
    areas: dict[str, dict[str, str]] | None = None


def _fragments(q: np.ndarray, labels: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """JSON texts of the quantile series (3, T, k) per label: encoded once per variant."""
    names = {"low": 0, "median": 1, "high": 2}
    return {name: {s: json.dumps(_round(q[i, :, j])) for s, i in names.items()}
            for j, name in enumerate(labels)}


#: A future-variant as simulated: the future's label (its members), its resolved axis
#: position, drivers and levers, and the three factors on its members' draws.
VariantKey = tuple[Any, ...]
#: A variant to simulate: its key, future, factors and whether its lines are drawn.
Todo = tuple[VariantKey, Future, tuple[float, float, float], bool]


class LRU(OrderedDict):
    """A mapping that keeps the ``capacity`` most recently used entries (not thread-safe)."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            return default
        self.move_to_end(key)
        return self[key]

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.capacity:
            self.popitem(last=False)


#: Future-variants whose summaries a session keeps (about 43 KB each).
VARIANT_CACHE = 1024
#: Future-variants simulated per kernel call at most: per variant, calls of 4-8 cost least
#: (4 x 256 members: 1 variant 12 ms, 8 variants 60 ms, 32 variants 500 ms in one call, 310
#: ms in four; the arrays of one step outgrow the core's cache). Bit for bit the same
#: numbers (a member does not depend on the futures sharing its call).
SIMULATE_BLOCK = 8


class Workshop:
    """A session: fixed members, the baselines, and :meth:`compute` per request.

    Every simulated future-variant is summarised (quantiles over members) and kept in an LRU
    cache keyed by exactly what it was simulated with (:meth:`key`); a request simulates only
    the variants not in it (:meth:`missing`, :meth:`summaries`, :meth:`store`; the
    scheduler's model processes run :meth:`summaries`).
    A member's numbers do not depend on which other futures share the call (every future is
    its own slice of the kernel's batched products, at the same block width), so a cached
    variant is bit for bit what a full recomputation gives (tested).

    Parameters
    ----------
    spec : RunSpec
        The validated configuration the session starts from (its futures, world, seed).
    members : int
        Members per future (>= 1); the page is specified for >= 200.
    cache : int
        Future-variants kept (:data:`VARIANT_CACHE`).
    kernel : str
        ``numpy`` or ``numba`` (``ensemble.kernel``; the server resolves ``workshop.kernel``).
        The numba kernel's numbers equal the numpy kernel's to rounding, not bit for bit, so
        the export names the one used.
    """

    def __init__(self, spec: RunSpec, members: int, cache: int = VARIANT_CACHE,
                 kernel: str = "numpy") -> None:
        self.spec = replace(spec, members=members, events=None)
        self.members = members
        self.kernel = kernel
        self.labels = [f.label for f in spec.futures]
        self.sliders = sliders(spec)
        self.by_key = {s.key: s for s in self.sliders}
        # Drawn once: every request reuses these members (common random numbers).
        self.sample = draw_members(self.spec)
        self.defaults = {f.label: defaults(spec, f) for f in spec.futures}
        self.variants = LRU(max(cache, 3 * len(self.labels)))
        self.simulated = 0  # future-variants simulated so far (tests and the bench read it)
        #: the time points stored and drawn (the simulation still steps every month)
        self.keep = drawn_steps(self.spec.world.steps_per_year, self.spec.world.n_steps)
        self.times = self.spec.world.times()[self.keep]
        self.baseline = {}
        for label in self.labels:
            world, _, factors = self.scenario(label, self.defaults[label])
            self.baseline[label] = self.key(world[self.labels.index(label)], factors)
        self._simulate(self._variants(self.labels, [self.defaults[f] for f in self.labels]),
                       set(self.baseline.values()))

    def _run(self, futures: list[Future], sample: Mapping[str, np.ndarray]) -> Outcome:
        outcome, _ = simulate(self.spec, futures=futures, members=sample, events=False,
                              precision="float64", chunk=max(8, self.members), threads=1,
                              keep=self.keep, kernel=self.kernel)
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
                 ) -> tuple[list[Future], list[Future], tuple[float, float, float]]:
        """The ``world`` and ``current`` futures and the factors on the members' draws.

        The chosen future takes the axis position and EU regulation of ``values``; every
        future takes the shared world assumptions (on its members) and, in ``current``, the
        lever settings. The factors are ``(cross_impact_strength, lever_efficacy,
        transition_years)``: the first two scale the draws, the third is the nominal
        transition the draws are shifted to (:meth:`members_of`).
        """
        world_futures = []
        for future in self.spec.futures:
            if future.label == label:
                drivers = {**future.drivers, "eu_regulation": values["eu_regulation"]}
                future = replace(future, ownership=values["ownership"],
                                 purpose=values["purpose"], drivers=drivers)
            world_futures.append(future)
        levers = {lv: values[lv] for lv in self.spec.world.levers}
        current = [replace(f, levers=levers) for f in world_futures]
        factors = (values["cross_impact_strength"], values["lever_efficacy"],
                   values["transition_years"])
        return world_futures, current, factors

    def members_of(self, rows: list[int], factors: list[tuple[float, float, float]]
                   ) -> dict[str, np.ndarray]:
        """The members of future ``rows[i]`` under ``factors[i]``, shape (len(rows), M)."""
        sample = {name: drawn[rows] for name, drawn in self.sample.items()}
        shape = (len(rows), self.members)
        for k, name in enumerate(("cross_impact_strength", "lever_efficacy")):
            # Factors with nominal 1: scaling the draws moves the nominal and keeps the spread
            # relative, as scaling the uncertainty range [low, high] does in `futures run`.
            drawn = sample.get(name, np.ones(shape))
            sample[name] = drawn * np.array([f[k] for f in factors])[:, None]
        nominal = self.spec.world.transition_years
        shift = np.array([f[2] - nominal for f in factors])[:, None]
        sample["transition_years"] = sample.get("transition_years",
                                                np.full(shape, nominal)) + shift
        return sample

    def key(self, future: Future, factors: tuple[float, float, float]) -> VariantKey:
        """What a future-variant is simulated with, resolved: equal keys, equal numbers."""
        world = self.spec.world
        drivers = tuple(float(future.drivers.get(d, world.status_quo[k]))
                        for k, d in enumerate(world.drivers))
        levers = tuple(float(future.levers.get(lv, world.lever_reference[k]))
                       for k, lv in enumerate(world.levers))
        strength, efficacy, years = (float(f) for f in factors)
        if levers == tuple(float(r) for r in world.lever_reference):
            # Efficacy scales only the levers' changes from the 2021 reference (zero here):
            # every efficacy gives these numbers bit for bit, so they are one variant.
            efficacy = 1.0
        return (future.label, float(future.ownership), float(future.purpose), drivers,
                levers, strength, efficacy, years)

    def _variants(self, labels: list[str], values: list[Mapping[str, float]]
                  ) -> list[tuple[VariantKey, Future, tuple[float, float, float]]]:
        """The world and current variant of every future for each request."""
        out = []
        for label, settings in zip(labels, values):
            world, current, factors = self.scenario(label, settings)
            out += [(self.key(f, factors), f, factors) for f in world + current]
        return out

    def _shown(self, label: str, variants: list[tuple[VariantKey, Future, Any]]
               ) -> set[VariantKey]:
        """The variants of one request drawn as lines: the chosen future's three."""
        c = self.labels.index(label)
        return {self.baseline[label], variants[c][0], variants[c + len(self.labels)][0]}

    def needs(self, label: str, values: Mapping[str, float]) -> dict[VariantKey, bool]:
        """The future-variants a request's answer is made of, and which are drawn as lines.

        The scheduler counts with it how much a waiting request would simulate.
        """
        variants = self._variants([label], [values])
        shown = self._shown(label, variants)
        keys = [key for key, _, _ in variants] + list(self.baseline.values())
        return {key: key in shown for key in keys}

    def missing(self, variants: list[tuple[VariantKey, Future, tuple[float, float, float]]],
                shown: set[VariantKey]) -> list[Todo]:
        """The variants not in the cache (or there without the series a ``shown`` one needs):
        what to simulate, each once, with whether its lines are drawn."""
        todo: dict[VariantKey, Todo] = {}
        for key, future, factors in variants:
            have = self.variants.get(key)
            if have is None or (key in shown and have.trends is None):
                todo[key] = (key, future, factors, key in shown)
        return list(todo.values())

    def summaries(self, todo: list[Todo]) -> list[Summary]:
        """Simulate and summarise ``todo`` (in calls of at most :data:`SIMULATE_BLOCK`; the
        cache is not touched: the model processes do this part)."""
        out: list[Summary] = []
        # calls of about SIMULATE_BLOCK variants cost least per variant (bench_workshop)
        calls = -(-len(todo) // SIMULATE_BLOCK)
        cuts = np.linspace(0, len(todo), calls + 1).round().astype(int)
        for start, stop in itertools.pairwise(int(c) for c in cuts):
            part = todo[start:stop]
            rows = [self.labels.index(f.label) for _, f, _, _ in part]
            run = self._run([f for _, f, _, _ in part],
                            self.members_of(rows, [x for _, _, x, _ in part]))
            out += self._summarise([lines for *_, lines in part], run)
        return out

    def rehearsal(self) -> list[list[Todo]]:
        """Kernel calls to make once before serving (the scheduler does, before it forks the
        model processes, so that no request pays for the kernel's first use: the compiled
        kernel loads, or on a fresh install compiles, its code then, one version per array
        layout, and a call of one variant has other layouts than a call of several): the
        first future with a lever, an axis and a shared slider moved, one variant alone,
        then seven."""
        label = self.labels[0]
        values = dict(self.defaults[label])
        lever = self.spec.world.levers[0]
        values[lever] = 1.0 if values[lever] < 0.5 else 0.0
        values["ownership"] = 1.0 - values["ownership"]
        values["cross_impact_strength"] = 1.5
        variants, _ = self.plan([(label, values)])
        todo = [(key, f, x, True) for key, f, x in variants[:SIMULATE_BLOCK]]
        return [todo[:1], todo[1:]]

    def store(self, todo: list[Todo], summaries: list[Summary]) -> None:
        """Cache the summaries of ``todo``'s variants."""
        for (key, *_), summary in zip(todo, summaries):
            self.variants.put(key, summary)
        self.simulated += len(todo)

    def _simulate(self, variants: list[tuple[VariantKey, Future, tuple[float, float, float]]],
                  shown: set[VariantKey]) -> None:
        """Simulate, summarise and cache what :meth:`missing` names, in this process."""
        todo = self.missing(variants, shown)
        if todo:
            self.store(todo, self.summaries(todo))

    def _summarise(self, lines: list[bool], out: Outcome) -> list[Summary]:
        """The summary of every variant of ``out``; series where ``lines`` says so."""
        final = np.median(out.impacts[:, -1], axis=-1)  # (K, n_areas)
        drawn = [i for i, shown in enumerate(lines) if shown]
        if drawn:  # quantiles only where lines are drawn: most variants are only a dot
            trends = quantiles(out.levels[drawn], QUANTILES)  # (3, K', T, n_trends)
            areas = quantiles(out.impacts[drawn], QUANTILES)
        result = []
        for i in range(len(lines)):
            summary = Summary(final[i])
            if i in drawn:
                k = drawn.index(i)
                summary = Summary(final[i], _fragments(trends[:, k], tuple(self.spec.world.trends)),
                                  _fragments(areas[:, k], tuple(self.spec.world.areas)))
            result.append(summary)
        return result

    def compute(self, label: str, values: Mapping[str, float]) -> dict[str, Any]:
        """Chart data for the chosen future and settings (already :meth:`check`-ed).

        Returns
        -------
        dict
            ``trends`` and ``areas``: label -> variant -> ``median`` (and for ``baseline`` and
            ``current`` the band ``low``, ``high``) over time; ``futures``: per future label
            the 2030 median of every area in each variant.
        """
        return self.compute_many([(label, values)])[0]

    def compute_many(self, requests: list[tuple[str, Mapping[str, float]]]
                     ) -> list[dict[str, Any]]:
        """:meth:`compute` for several requests, simulating what they lack together."""
        return [json.loads(text) for text in self.compute_json(requests)]

    def compute_json(self, requests: list[tuple[str, Mapping[str, float]]]) -> list[str]:
        """The answers of :meth:`compute_many` as JSON texts (built from cached pieces)."""
        variants, shown = self.plan(requests)
        self._simulate(variants, shown)
        return self.answers(requests, variants)

    def plan(self, requests: list[tuple[str, Mapping[str, float]]]
             ) -> tuple[list[tuple[VariantKey, Future, tuple[float, float, float]]],
                        set[VariantKey]]:
        """Every request's world and current variants, and those drawn as lines."""
        n_fut = len(self.labels)
        variants = self._variants([r[0] for r in requests], [r[1] for r in requests])
        shown = set()
        for r, (label, _) in enumerate(requests):
            shown |= self._shown(label, variants[2 * n_fut * r:2 * n_fut * (r + 1)])
        return variants, shown

    def answers(self, requests: list[tuple[str, Mapping[str, float]]],
                variants: list[tuple[VariantKey, Future, tuple[float, float, float]]]
                ) -> list[str]:
        """The JSON answers of ``requests`` from the cache (every variant must be in it)."""
        n_fut = len(self.labels)
        out = []
        for r, (label, values) in enumerate(requests):
            mine = [self.variants.get(key) for key, _, _ in
                    variants[2 * n_fut * r:2 * n_fut * (r + 1)]]
            out.append(self._answer(label, values, mine[:n_fut], mine[n_fut:]))
        return out

    def _answer(self, label: str, values: Mapping[str, float], world: list[Summary],
                current: list[Summary]) -> str:
        base = [self.variants.get(self.baseline[f]) for f in self.labels]
        c = self.labels.index(label)
        chosen = {"baseline": base[c], "world": world[c], "current": current[c]}

        def series(kind: str, labels: tuple[str, ...]) -> str:
            parts = []
            for name in labels:
                lines = []
                for variant, summary in chosen.items():
                    texts = getattr(summary, kind)[name]
                    keys = ("median",) if variant == "world" else ("median", "low", "high")
                    inner = ", ".join(f'"{k}": {texts[k]}' for k in keys)
                    lines.append(f'"{variant}": {{{inner}}}')
                parts.append(f'"{name}": {{{", ".join(lines)}}}')
            return "{" + ", ".join(parts) + "}"

        each = {"baseline": base, "world": world, "current": current}
        futures = {f: {v: dict(zip(tuple(self.spec.world.areas), _round(each[v][i].final)))
                       for v in VARIANTS} for i, f in enumerate(self.labels)}
        head = json.dumps({"future": label, "settings": dict(values)}, allow_nan=False)
        return (head[:-1] + f', "trends": {series("trends", tuple(self.spec.world.trends))}, '
                f'"areas": {series("areas", tuple(self.spec.world.areas))}, '
                f'"futures": {json.dumps(futures, allow_nan=False)}}}')
