"""Cost of the posterior step (issue 15 items 2 and 6), against one default run, same process.

Cases, measured in the same rounds:

default run
    ``simulate`` of the default configuration (4 futures x 1,000 members, events on): the
    simulation part of ``futures run`` (which reads the stored posterior, it never refits).
posterior (vectorised SMC)
    :func:`scenarios.analysis.narratives.posterior.compute` with ``--particles`` particles
    and ``--moves`` moves per stage: every likelihood evaluation is one ensemble run of all
    particles in all four futures. Reported: wall time, evaluations, seconds per particle
    evaluation.
pyabc (one parameter set at a time)
    ``pyabc.ABCSMC`` (if installed) with the same model wrapped for it: its model function
    gets one parameter dict and runs one particle (4 futures x 1 member), as pyabc's
    samplers call it; ``--pyabc-particles`` particles, ``--pyabc-generations`` generations,
    single-core sampler, distance = -log likelihood (generation 0 only by default: its
    acceptance in 156 dimensions makes later generations take many minutes, the cost per
    evaluation is the same). Reported: seconds per particle
    evaluation; the same count of evaluations the SMC made then costs that many times more.

    python bench/bench_posterior.py                          # 1024 particles, 3 moves
    python bench/bench_posterior.py --particles 512 --moves 2 --pyabc-particles 32
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import machine_info

from scenarios.analysis.narratives import posterior
from scenarios.config.compose import load
from scenarios.engine.simulate import simulate


def pyabc_cost(target: posterior.Target, particles: int, generations: int) -> dict | None:
    """Seconds per particle evaluation through pyabc, or None without pyabc."""
    try:
        import pyabc
    except ImportError:
        return None
    d = len(target.names)
    prior = pyabc.Distribution(**{f"p{k}": pyabc.RV("uniform", 0, 1) for k in range(d)})
    calls = {"n": 0, "s": 0.0}

    def model(par):
        began = time.perf_counter()
        unit = np.clip(np.array([[par[f"p{k}"] for k in range(d)]]), 1e-9, 1 - 1e-9)
        ll, _ = target(unit)
        calls["n"] += 1
        calls["s"] += time.perf_counter() - began
        return {"ll": float(ll[0])}

    abc = pyabc.ABCSMC(model, prior, lambda x, _: -x["ll"], population_size=particles,
                       sampler=pyabc.sampler.SingleCoreSampler())
    with tempfile.TemporaryDirectory() as tmp:
        abc.new(f"sqlite:///{Path(tmp) / 'abc.db'}", {"ll": 0.0})
        began = time.perf_counter()
        abc.run(max_nr_populations=generations)
        wall = time.perf_counter() - began
    return {"evaluations": calls["n"], "wall": wall, "per_particle": wall / calls["n"],
            "model_share": calls["s"] / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--particles", type=int, default=1024)
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--pyabc-particles", type=int, default=32)
    parser.add_argument("--pyabc-generations", type=int, default=1)
    args = parser.parse_args()
    machine_info()
    cfg, spec = load([])
    simulate(spec)  # warm up
    began = time.perf_counter()
    simulate(spec)
    run_s = time.perf_counter() - began
    print(f"default run (simulate, 4 x {spec.members} members, events on): {run_s:.2f} s")
    began = time.perf_counter()
    _, info = posterior.compute(cfg, spec, particles=args.particles, moves=args.moves)
    smc_s = time.perf_counter() - began
    per = info["seconds"] / (info["evaluations"] * args.particles)
    print(f"posterior (vectorised SMC, {args.particles} particles, {args.moves} moves): "
          f"{smc_s:.1f} s, {info['stages']} stages, {info['evaluations']} evaluations, "
          f"{per * 1e3:.3f} ms per particle evaluation; {smc_s / run_s:.0f} default runs")
    spec1 = posterior.replace(spec, prior=True)
    target = posterior.Target(cfg, spec1, posterior.evidence(spec1), threads=1)
    result = pyabc_cost(target, args.pyabc_particles, args.pyabc_generations)
    if result is None:
        print("pyabc: not installed")
        return
    print(f"pyabc (ABCSMC, {args.pyabc_particles} particles, {args.pyabc_generations} "
          f"generations, one parameter set per call): {result['evaluations']} evaluations in "
          f"{result['wall']:.1f} s, {result['per_particle'] * 1e3:.1f} ms per particle "
          f"evaluation ({result['model_share']:.0%} in the model); "
          f"{result['per_particle'] / per:.0f}x the vectorised cost per evaluation; the "
          f"SMC's {info['evaluations'] * args.particles} particle evaluations would take "
          f"{result['per_particle'] * info['evaluations'] * args.particles / 60:.0f} min")


if __name__ == "__main__":
    main()
