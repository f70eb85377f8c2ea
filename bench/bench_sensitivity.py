"""Wall time of ``futures sensitivity`` and ``futures calibrate`` at their default settings,
against the simulation of a default ``futures run`` measured in the same rounds.

Everything runs in-process (no interpreter start-up), so the ratios compare the work itself:

baseline: run
    ``simulate`` of the default run (4 futures x 1,000 members, events on): what
    ``futures run`` spends simulating.
sensitivity: model runs
    the Saltelli design at the defaults (N = 1,024, 27 parameters: 29,696 runs per future,
    4 futures, events off), yearly outputs 2022..2030.
sensitivity: indices
    S1/ST and the 1,000-replicate percentile bootstrap over 4 x 9 x 16 outputs x 27
    parameters.
sensitivity: figures
    both figures, PNG and PDF.
sensitivity events=true
    model runs with events and common random numbers (one more matrix for the events).
estimator: Ishigami n=65536
    the estimator alone, 3 inputs, 1,000 bootstrap replicates, at the sample size where
    ``scipy.stats.sobol_indices(...).bootstrap()`` (BCa) runs out of memory.
calibrate
    the whole ``futures calibrate`` task (fit, YAML, report, figure).
signposts
    the whole ``futures signposts`` task at the defaults (the default ensemble simulated,
    twenty trees, CSV and markdown).

Run from the repository root with the virtualenv active::

    python bench/bench_sensitivity.py            # 2 rounds, best kept
    python bench/bench_sensitivity.py --quick    # 1 round
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import machine_info  # bench/machine.py, beside this script

from scenarios.analysis.calibration.report import calibrate_job
from scenarios.analysis.sensitivity.compute import analyse, settings, to_dataset
from scenarios.analysis.sensitivity.report import plot_all
from scenarios.analysis.sensitivity.sobol import saltelli_design, sobol_indices
from scenarios.analysis.signposts.report import signposts_job
from scenarios.config.compose import load
from scenarios.engine.simulate import simulate


def clock(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def ishigami() -> None:
    rng = np.random.default_rng(0)
    x = -np.pi + 2 * np.pi * saltelli_design(65536, 3, rng=rng)
    y = np.sin(x[..., 0]) + 7 * np.sin(x[..., 1]) ** 2 + 0.1 * x[..., 2] ** 4 * np.sin(x[..., 0])
    sobol_indices(y[0], y[1], y[2:], bootstrap=1000, confidence=0.95, rng=rng)


def one_round() -> dict[str, float]:
    times: dict[str, float] = {}
    _, spec = load([])
    times["baseline: run (4 x 1000, events on)"] = clock(lambda: simulate(spec))[0]
    cfg, spec = load([])
    sets = settings(cfg, spec)
    import scenarios.analysis.sensitivity.compute as sens

    original = sens.sobol_indices
    split: dict[str, float] = {}

    def timed_indices(*args, **kwargs):  # separate the estimator from the model runs
        t, out = clock(lambda: original(*args, **kwargs))
        split["indices"] = t
        return out

    sens.sobol_indices = timed_indices
    try:
        total, (res, names, runs) = clock(lambda: analyse(spec, sets))
        times["sensitivity: model runs (N=1024, events off)"] = total - split["indices"]
        times["sensitivity: indices + bootstrap (B=1000)"] = split["indices"]
        ds = to_dataset(spec, sets, res, names, runs, "")
        with tempfile.TemporaryDirectory() as tmp:
            times["sensitivity: figures (PNG + PDF)"] = clock(
                lambda: plot_all(ds, Path(tmp), output=sets.output, top=sets.top))[0]
        cfg_e, spec_e = load(["sensitivity.events=true"])
        total, _ = clock(lambda: analyse(spec_e, settings(cfg_e, spec_e)))
        times["sensitivity events=true: model runs"] = total - split["indices"]
    finally:
        sens.sobol_indices = original
    times["estimator: Ishigami n=65536, B=1000"] = clock(ishigami)[0]
    cfg, _ = load([])
    with tempfile.TemporaryDirectory() as tmp:
        times["calibrate (whole task)"] = clock(lambda: calibrate_job(cfg, Path(tmp)))[0]
        times["signposts (whole task)"] = clock(lambda: signposts_job(cfg, Path(tmp)))[0]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round")
    args = parser.parse_args()
    machine_info()
    import os

    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine)")
    rounds = [one_round() for _ in range(1 if args.quick else 2)]
    best = {k: min(r[k] for r in rounds) for k in rounds[0]}
    base = best["baseline: run (4 x 1000, events on)"]
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"{'case':48s} {'best s':>8s} {'/ baseline':>11s}")
    for name, value in best.items():
        print(f"{name:48s} {value:8.2f} {value / base:11.1f}")


if __name__ == "__main__":
    main()
