"""The model as an EMA Workbench model, and an evaluator that runs experiments in one batch.

:func:`build_model` returns an ``ema_workbench.Model`` of one future whose parts are the
project's own, kept apart as EMA Workbench keeps them:

- **uncertainties**: every parameter an ensemble samples - the world assumptions of
  ``conf/uncertainties.yaml`` (initial levels, momenta, cross-impact strength, transition
  years, axis shifts, lever efficacy), the structural entries ``A.*``/``W.*`` and the lever
  response ``L.*`` - each a ``RealParameter`` over its absolute range (triangular ones
  through scipy's ``triang`` with the same mode);
- **levers**: the policy levers (``levers.*``), ``RealParameter`` on [0, 1] (0.5 is the 2021
  reference programme);
- **constants**: the future's axis position (``ownership``, ``purpose``), for the record;
- **outcomes**: ``ScalarOutcome`` per impact area (``impact.<area>``) and trend level
  (``level.<trend>``) in the chosen year (default the run's last, 2030).

Each experiment is one simulated world with the continuous model (events off): the outcome is a
function of the parameters alone, so an experiment gives the same numbers whether it runs
alone or in a batch. (With events, a world's incidents are drawn from its member index, which
an EMA experiment does not have.)

EMA Workbench calls a model one experiment at a time. :class:`BatchEvaluator` is an evaluator
(EMA's ``BaseEvaluator`` interface) that gathers every experiment of a ``perform_experiments``
call, groups them by policy, and runs them as one vectorised ensemble: one future per policy,
one member per scenario.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from ema_workbench import Constant, Model, RealParameter, ScalarOutcome
from ema_workbench.em_framework.callbacks import DefaultCallback
from ema_workbench.em_framework.evaluators import BaseEvaluator
from ema_workbench.em_framework.experiment_runner import ExperimentRunner
from ema_workbench.em_framework.points import experiment_generator
from ema_workbench.em_framework.util import NamedObjectMap, ProgressTrackingMixIn
from scipy import stats

from models.ensemble import Future
from models.sampling import Uncertainty
from scenarios.config.compose import load, normalize
from scenarios.config.errors import ConfigError
from scenarios.config.schema import RunSpec
from scenarios.engine.simulate import simulate


@dataclasses.dataclass
class Simulator:
    """Runs a group of worlds of one future: the vectorised core of the EMA model."""

    spec: RunSpec
    future: Future
    time_index: int

    @property
    def uncertainty_names(self) -> list[str]:
        return [u.name for u in uncertain(self.spec)]

    @property
    def outcome_names(self) -> list[str]:
        return ([f"impact.{a}" for a in self.spec.world.areas]
                + [f"level.{t}" for t in self.spec.world.trends])

    def evaluate(self, worlds: list[dict[str, float]],
                 policies: list[dict[str, float]]) -> dict[str, np.ndarray]:
        """Outcomes of every world under every policy: name -> array (policies, worlds)."""
        futures = [dataclasses.replace(self.future, levers={**self.future.levers, **p})
                   for p in policies]
        members = {name: np.tile([w[name] for w in worlds], (len(futures), 1))
                   for name in self.uncertainty_names}
        out, _ = simulate(self.spec, futures=futures, members=members, n_members=len(worlds),
                          events=False, precision="float64", threads=1)
        result = {}
        for k, area in enumerate(self.spec.world.areas):
            result[f"impact.{area}"] = out.impacts[:, self.time_index, k, :]
        for k, trend in enumerate(self.spec.world.trends):
            result[f"level.{trend}"] = out.levels[:, self.time_index, k, :]
        return result

    def one(self, **experiment: float) -> dict[str, float]:
        """One experiment, as EMA's one-at-a-time path calls it."""
        world = {n: float(experiment[n]) for n in self.uncertainty_names}
        policy = {lv: float(experiment[lv]) for lv in self.spec.world.levers}
        result = self.evaluate([world], [policy])
        return {name: float(values[0, 0]) for name, values in result.items()}


def build_model(future: str, overrides: list[str], *, year: float | None = None) -> Model:
    """The EMA Workbench model of ``future`` under the config with ``overrides``.

    Raises
    ------
    ConfigError
        On bad overrides, an unknown future or a year outside the run.
    """
    _, spec = load(normalize(overrides + ["events.enabled=false"]))
    chosen = {f.label: f for f in spec.futures}
    if future not in chosen:
        raise ConfigError("future", future, f"future not found; expected one of "
                          f"{list(chosen)}")
    world = spec.world
    times = _times(spec)
    when = world.end if year is None else float(year)
    hits = np.flatnonzero(np.isclose(times, when, atol=1e-6))
    if hits.size == 0:
        raise ConfigError("year", when, f"expected a time step of the run in "
                          f"[{world.start}, {world.end}]")
    sim = Simulator(spec, chosen[future], int(hits[0]))
    model = Model(f"futures{future.replace('_', '')}", function=sim.one)
    model.uncertainties = [parameter(u) for u in uncertain(spec)]
    model.levers = [RealParameter(lv, 0.0, 1.0) for lv in world.levers]
    model.constants = [Constant("ownership", chosen[future].ownership),
                       Constant("purpose", chosen[future].purpose)]
    model.outcomes = [ScalarOutcome(name) for name in sim.outcome_names]
    model.simulator = sim  # the batch evaluator runs this directly
    return model


def uncertain(spec: RunSpec) -> list[Uncertainty]:
    """The parameters an experiment samples: the world's and, unless
    ``lever_response.sampled=false``, the lever response's ``L.*`` (they act whenever a
    policy moves a lever from the 2021 programme)."""
    return [*spec.uncertainties, *spec.lever_uncertainties]


def parameter(u: Uncertainty) -> RealParameter:
    """``u`` as EMA Workbench samples it: uniform over its bounds, or scipy's triangular
    distribution with the same mode, so EMA's designs draw what the ensemble draws."""
    low, high = u.bounds
    if u.distribution == "uniform":
        return RealParameter(u.name, low, high)
    shift = u.nominal if u.relative else 0.0
    mode = (shift + u.mode - low) / (high - low)
    return RealParameter.from_dist(u.name, stats.triang(mode, loc=low, scale=high - low))


def _times(spec: RunSpec) -> np.ndarray:
    """The run's time axis, as the model computes it (one nominal member)."""
    out, _ = simulate(spec, futures=spec.futures[:1], members={}, n_members=1, events=False,
                      precision="float64", chunk=2048, threads=1)
    return np.asarray(out.times)


class BatchEvaluator(BaseEvaluator):
    """Evaluates all experiments of a call as one vectorised ensemble per model.

    Use it where EMA Workbench takes an evaluator::

        with BatchEvaluator(model) as evaluator:
            experiments, outcomes = evaluator.perform_experiments(scenarios=1000, policies=4)

    Models not built by :func:`build_model` run one at a time, as EMA's own
    ``SequentialEvaluator`` would run them.
    """

    def initialize(self) -> None:
        pass

    def finalize(self) -> None:
        pass

    def evaluate_experiments(self, scenarios: Any, policies: Any,
                             callback: Callable[..., None], combine: str = "factorial",
                             **kwargs: Any) -> None:
        experiments = list(experiment_generator(scenarios, self._msis, policies,
                                                combine=combine))
        models = NamedObjectMap(Model)
        models.extend(self._msis)
        runner = ExperimentRunner(models)
        by_model: dict[str, list[Any]] = {}
        for experiment in experiments:
            by_model.setdefault(experiment.model_name, []).append(experiment)
        for name, group in by_model.items():
            sim = getattr(models[name], "simulator", None)
            if sim is None:
                for experiment in group:
                    callback(experiment, runner.run_experiment(experiment))
                continue
            self._batch(sim, group, callback)

    @staticmethod
    def _batch(sim: Simulator, group: list[Any], callback: Callable[..., None]) -> None:
        policies: list[dict[str, float]] = []
        worlds: list[dict[str, float]] = []
        p_index: dict[Any, int] = {}
        w_index: dict[Any, int] = {}
        levers, names = sim.spec.world.levers, sim.uncertainty_names
        rows, cols, labels = [], [], []
        for experiment in group:  # one pass: the distinct policies and worlds, in order
            policy, world = experiment.policy, experiment.scenario
            i = p_index.get(policy.name)
            if i is None:
                i = p_index[policy.name] = len(policies)
                policies.append({lv: float(policy[lv]) for lv in levers})
            j = w_index.get(world.name)
            if j is None:
                j = w_index[world.name] = len(worlds)
                worlds.append({n: float(world[n]) for n in names})
            rows.append(i)
            cols.append(j)
            labels.append((experiment.experiment_id, world.name, policy.name,
                           experiment.model_name))
        result = sim.evaluate(worlds, policies)
        if type(callback) is DefaultCallback:  # EMA's own store: filled in one go
            r, c = np.array(rows), np.array(cols)
            inputs = {n: np.array([w[n] for w in worlds])[c] for n in names}
            inputs.update({lv: np.array([p[lv] for p in policies])[r] for lv in levers})
            _store_all(callback, labels, inputs, {k: v[r, c] for k, v in result.items()})
            return
        for experiment, i, j in zip(group, rows, cols):
            callback(experiment, {k: float(v[i, j]) for k, v in result.items()})


def _store_all(callback: Any, labels: list[tuple[Any, ...]], inputs: dict[str, np.ndarray],
               outcomes: dict[str, np.ndarray]) -> None:
    """What ``DefaultCallback`` stores for each experiment, array by array.

    ``labels`` holds each experiment's id, scenario, policy and model name; ``inputs`` its
    uncertainties and levers, ``outcomes`` its outcomes, in the same order. The same cases
    and outcomes land in the same rows (the experiment ids) as one call per experiment
    would store, with the same progress count; only without a Python call and a masked-array
    assignment per experiment and outcome (tests/test_interop.py compares the two).
    """
    ids = np.array([label[0] for label in labels])
    cases = callback.cases
    for name in (*callback.uncertainties, *callback.levers):
        cases[name][ids] = inputs[name]
    for k, field in enumerate(("scenario", "policy", "model"), start=1):
        column = np.empty(len(labels), dtype=object)
        column[:] = [label[k] for label in labels]
        cases[field][ids] = column
    for outcome in callback.outcomes:
        if outcome.name not in outcomes:
            continue
        data = np.asarray(outcomes[outcome.name], dtype=np.float64)
        if outcome.name not in callback.results:
            callback.results[outcome.name] = callback._setup_outcomes_array(
                (callback.nr_experiments,), data.dtype)
        callback.results[outcome.name][ids] = data
    ProgressTrackingMixIn.__call__(callback, len(labels))
