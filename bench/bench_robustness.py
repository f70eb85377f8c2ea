"""How to run many lever settings: one call per setting, or settings batched together.

``futures robustness`` simulates S settings x F futures x M members and keeps one year's
impacts. :mod:`models.ensemble` takes levers per future, not per member, so a batch of
settings is a batch of futures (setting x future) in one :func:`models.ensemble.run`. This
script times, in the same rounds and on the same members:

baseline: per setting
    one ``run`` call per setting (F futures each): the plain loop.
batched (N members per call)
    :func:`scenarios.engine.year_impacts.impacts_at` as the command uses it: as many setting x future
    pairs per call as fit N members (the command's default is ``ensemble.batch``, 8192);
    N = 4096 and 16384 beside it.
one call
    every setting x future in a single call (memory grows with S: the full level paths
    of all members are held at once).

Each case must give bit-identical impacts to the baseline (checked). Rounds interleave the
cases; the best of the rounds is kept and printed as a ratio to the baseline.

Run from the repository root with the virtualenv active::

    python bench/bench_robustness.py              # default settings, 1000 members, 3 rounds
    python bench/bench_robustness.py --quick      # 200 members, 1 round
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from machine import machine_info  # bench/machine.py, beside this script
from omegaconf import OmegaConf

from scenarios.analysis.robustness.compute import events_node, robustness_of, setting_futures
from scenarios.config.compose import load
from scenarios.config.events import build
from scenarios.engine.simulate import draw_members, event_rngs, simulate
from scenarios.engine.year_impacts import impacts_at


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 members, 1 round")
    args = parser.parse_args(argv)
    rounds, n_mem = (1, 200) if args.quick else (max(1, args.rounds), args.members)
    cfg, spec = load([f"ensemble.members={n_mem}"])
    config = OmegaConf.to_container(cfg, resolve=True)
    robust = robustness_of(cfg, spec)
    plans = robust.election_plans
    node = events_node(config, plans)
    members = draw_members(spec)
    rngs = event_rngs(spec)
    n_set, n_fut = len(robust.settings), len(spec.futures)
    t = robust.time_index

    def per_setting() -> np.ndarray:
        out = []
        for s in robust.settings:
            futures = setting_futures(spec, s, plans)
            res, _ = simulate(spec, futures=futures, members=members,
                              events=build(node, spec.world, futures), rngs=rngs,
                              precision="float64")
            out.append(res.impacts[:, t].transpose(0, 2, 1))
        return np.stack(out)

    def batched(limit: int) -> np.ndarray:
        futures = [f for s in robust.settings for f in setting_futures(spec, s, plans)]
        tiled = {k: np.tile(v, (n_set, 1)) for k, v in members.items()}
        return impacts_at(spec, futures, tiled, n_mem, t, node, rngs * n_set,
                          batch_members=limit).reshape(n_set, n_fut, n_mem, -1)

    cases = {
        "baseline: per setting": per_setting,
        "batched (4096 members per call)": lambda: batched(4096),
        f"batched ({spec.batch} members per call, the default)": lambda: batched(spec.batch),
        "batched (16384 members per call)": lambda: batched(16384),
        "one call (all settings)": lambda: batched(n_set * n_fut * n_mem),
    }
    best = dict.fromkeys(cases, np.inf)
    reference = None
    for _ in range(rounds):
        for name, case in cases.items():
            start = time.perf_counter()
            result = case()
            best[name] = min(best[name], time.perf_counter() - start)
            if reference is None:
                reference = result
            elif not np.array_equal(result, reference):
                raise SystemExit(f"{name}: impacts differ from the baseline")
    machine_info()
    print(f"{n_set} settings x {n_fut} futures x {n_mem} members, events "
          f"{'on' if spec.events is not None else 'off'}, best of {rounds} rounds")
    base = best["baseline: per setting"]
    print(f"{'case':55s} {'seconds':>8s} {'vs baseline':>12s}")
    for name, seconds in best.items():
        print(f"{name:55s} {seconds:8.3f} {base / seconds:11.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
