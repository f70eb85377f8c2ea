"""Config fuzzing: any config that passes validation runs to finite levels inside (0, 1); any
that fails gives the one-line error (in-process, and through the real command, exit 2)."""

from __future__ import annotations

import math
import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.config.compose import load
from scenarios.config.errors import ConfigError
from scenarios.config.study import default_study
from scenarios.engine.simulate import simulate

STUDY = default_study()

TRENDS, LEVERS = STUDY.trend_labels, STUDY.lever_labels
FUTURES = STUDY.future_labels
COLUMNS = TRENDS + STUDY.driver_labels + LEVERS

#: Values of every kind: in range, at the edges, out of range, wrong type, not finite.
numbers = st.one_of(st.floats(-2, 2, allow_nan=False), st.sampled_from([0, 1, 0.5, -1e-9]),
                    st.integers(-3, 12))
weird = st.sampled_from(["abc", "nan", "inf", "-inf", "null", "[]", "{}", "true", "1e400",
                         "''", "[0.1,0.2]", "0x10", "1_000"])
value = st.one_of(numbers.map(repr), weird)


def _key_values() -> st.SearchStrategy[str]:
    """One override ``KEY=VALUE`` over the configuration's keys, valid and not."""
    keyed = st.one_of(
        st.tuples(st.just("seed"), st.one_of(st.integers(-5, 2**40).map(str), weird)),
        st.tuples(st.just("ensemble.members"), st.one_of(st.integers(-2, 9).map(str), weird)),
        st.tuples(st.just("ensemble.design"),
                  st.sampled_from(["latin_hypercube", "sobol", "halton", "1"])),
        st.tuples(st.just("ensemble.nominal"), st.sampled_from(["true", "false", "2", "x"])),
        st.tuples(st.sampled_from([f"initial.{t}" for t in TRENDS]), value),
        st.tuples(st.builds(lambda r, c: f"cross_impact.{r}.{c}", st.sampled_from(TRENDS),
                            st.sampled_from(COLUMNS)), value),
        st.tuples(st.sampled_from([f"levers.{lv}" for lv in LEVERS]), value),
        st.tuples(st.builds(lambda f, a: f"future.{f}.{a}", st.sampled_from(FUTURES),
                            st.sampled_from(["ownership", "purpose"])), value),
        st.tuples(st.just("drivers.transition_years"), value),
        st.tuples(st.sampled_from(["events.hazards.cyber_incident.rate",
                                   "events.hazards.crypto_crash.rate",
                                   "events.security_pressure_half_life"]), value),
        st.tuples(st.sampled_from(["events.enabled"]), st.sampled_from(["true", "false", "1"])),
        st.tuples(st.just("time.end"), st.one_of(st.floats(2015, 2040).map(repr), weird)),
        st.tuples(st.sampled_from(["uncertainties.cross_impact_strength.low",
                                   "uncertainties.cross_impact_strength.high"]), value),
        st.tuples(st.just("futures"),
                  st.lists(st.sampled_from([*FUTURES, "utopia"]), max_size=3)
                  .map(lambda xs: "[" + ",".join(xs) + "]")),
        st.tuples(st.just("output.precision"), st.sampled_from(["float32", "float64", "x"])),
    )
    return keyed.map(lambda kv: f"{kv[0]}={kv[1]}")


configs = st.lists(_key_values(), min_size=1, max_size=4)
ONE_LINE = re.compile(r"^[^\n=]+=.+: .+$")


def _small(overrides: list[str]) -> list[str]:
    """Keep runs small: few members unless the example sets them, a short horizon."""
    keys = {o.split("=", 1)[0] for o in overrides}
    return overrides + [x for k, x in (("ensemble.members", "ensemble.members=4"),)
                        if k not in keys]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_valid_configs_run_and_invalid_ones_say_why(overrides):
    """Either a ConfigError whose text is one line ``KEY=VALUE: what is allowed``, or a run
    whose levels are finite and strictly inside (0, 1) and whose impacts are finite."""
    overrides = _small(overrides)
    try:
        _, spec = load(overrides)
    except ConfigError as err:
        text = str(err)
        assert "\n" not in text and ONE_LINE.match(text), text
        return
    if spec.members > 9 or spec.world.end - spec.world.start > 20:
        return  # valid but big: the ranges are checked above; keep the fuzzing quick
    outcome, _ = simulate(spec)
    assert np.isfinite(outcome.levels).all()
    assert (outcome.levels > 0).all() and (outcome.levels < 1).all()
    assert np.isfinite(outcome.impacts).all()
    assert math.isfinite(float(outcome.times[-1]))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_the_command_agrees(tmp_path_factory, overrides):
    """Through the real `futures run`: exit 0 with the run folder, or exit 2 with one line
    and nothing written."""
    from scenarios.config.precheck import refuse_split_and_repeated
    from tests.conftest import futures_cli

    out = tmp_path_factory.mktemp("fuzz") / "run"
    overrides = _small(overrides)
    try:
        # the command's own pre-Hydra checks first (a key given twice is refused there; the
        # library's load() lets the last one win, as Hydra does)
        refuse_split_and_repeated(overrides)
        load(overrides)
        valid = True
    except ConfigError:
        valid = False
    result = futures_cli("run", *overrides, f"hydra.run.dir={out}")  # the same overrides
    if valid:
        assert result.returncode == 0, result.stderr
        assert (out / "outcomes.nc").is_file()
    else:
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("futures: error: ")
        assert not out.exists()
