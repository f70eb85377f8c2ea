"""What the robust portfolio search costs: NSGA-II candidates x futures x members.

``futures portfolio`` simulates population x generations candidate portfolios, each on every
future's members (common random numbers), then the final front once more. This script runs
the search for a few sizes and prints, per size, the candidates simulated, the wall time of
the search and the time per candidate-future-member (the simulation dominates; NSGA-II's own
bookkeeping is small).

Run from the repository root with the virtualenv active::

    python bench/bench_portfolio.py            # members 16, 48; population 24; 10 generations
    python bench/bench_portfolio.py --quick    # members 12; population 12; 3 generations
"""

from __future__ import annotations

import argparse
import time

from machine import machine_info  # bench/machine.py, beside this script

from scenarios.analysis.portfolio.compute import Evaluator, portfolio_spec, search
from scenarios.config.compose import check, load, resolved


def one(members: int, population: int, generations: int) -> dict[str, float]:
    cfg, _ = load([f"portfolio.members={members}", f"portfolio.population={population}",
                   f"portfolio.generations={generations}"])
    spec = check(cfg)
    node = resolved(cfg)
    port = portfolio_spec(node["portfolio"], spec)
    ev = Evaluator(spec, port, node)
    started = time.perf_counter()
    front = search(ev, spec.seed)
    seconds = time.perf_counter() - started
    runs = ev.candidates * len(spec.futures) * members
    return {"members": members, "population": population, "generations": generations,
            "candidates": ev.candidates, "front": len(front), "seconds": seconds,
            "us_per_member_run": 1e6 * seconds / runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    machine_info()
    sizes = [(12, 12, 3)] if args.quick else [(16, 24, 10), (48, 24, 10)]
    for m, p, g in sizes:
        r = one(m, p, g)
        print(f"members {r['members']:4d}  population {r['population']:3d}  generations "
              f"{r['generations']:3d}  candidates {r['candidates']:5d}  front {r['front']:3d}  "
              f"{r['seconds']:7.1f} s  {r['us_per_member_run']:6.1f} us per member-run")


if __name__ == "__main__":
    main()
