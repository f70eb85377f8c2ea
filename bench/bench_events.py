"""Benchmark: what discrete events add to the run time of an ensemble.

Baseline, measured in the same run: the continuous model (``events.enabled=false``) on the
same configuration, members and threads. Target (issue 3): events add <= 30 % at
4 futures x 10,000 members. Each figure is the best of ``--repeats`` runs of
``models.ensemble.run`` (sampling and file writing excluded; they are the same either way).

Also measured: the same comparison end to end, as a user runs it (``futures run`` with
``ensemble.members=10000``, events on and off, sampling and writing outcomes.nc included,
best of ``--repeats`` interleaved), and, for the record, the cost of one simpy process per
member (the design we did not take) on a small ensemble, scaled per member-step.

Run from the repository root: ``python bench/bench_events.py``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import simpy

from models.ensemble import run
from scenarios.config.compose import load
from scenarios.engine.simulate import draw_members, event_rngs


def best_of(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def per_member_processes(members: int, steps: int) -> float:
    """Seconds for one simpy process per member doing one tiny numpy update per month."""
    env = simpy.Environment()
    state = np.full((members, 11), 0.5)

    def member(env: simpy.Environment, i: int):
        for _ in range(steps):
            yield env.timeout(1)
            state[i] **= 0.999

    for i in range(members):
        env.process(member(env, i))
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-end-to-end", dest="end_to_end", action="store_false",
                        help="skip the futures run measurement")
    args = parser.parse_args()

    _, spec = load([f"ensemble.members={args.members}", f"ensemble.threads={args.threads}"])
    members = draw_members(spec)
    n_fut, steps = len(spec.futures), spec.world.n_steps
    member_steps = n_fut * args.members * steps

    def core() -> None:
        run(spec.world, spec.futures, members, args.members, out_dtype=np.float32,
            chunk=spec.chunk, threads=spec.threads)

    def with_events() -> None:
        run(spec.world, spec.futures, members, args.members, events=spec.events,
            rngs=event_rngs(spec), out_dtype=np.float32, chunk=spec.chunk,
            threads=spec.threads)

    core(), with_events()  # warm up: imports, page faults
    base = best_of(core, args.repeats)
    events = best_of(with_events, args.repeats)
    small = 500
    per_process = per_member_processes(small, steps) / (small * steps) * member_steps

    print(f"{n_fut} futures x {args.members} members x {steps} steps, "
          f"threads={args.threads}, best of {args.repeats}")
    print(f"{'variant':44s} {'seconds':>8s} {'M member-steps/s':>17s} {'ratio':>7s}")
    rows = [("continuous model (baseline)", base),
            ("events on (simpy clock per block)", events),
            ("one simpy process per member (est.)", per_process)]
    for name, sec in rows:
        print(f"{name:44s} {sec:8.3f} {member_steps / sec / 1e6:17.1f} {sec / base:7.2f}")
    print(f"simulation only: events add {100 * (events / base - 1):.0f}% (target <= 30%)")
    if args.end_to_end:
        end_to_end(args.members, args.repeats)


def end_to_end(members: int, repeats: int) -> None:
    """Wall time of ``futures run`` with events off and on, interleaved."""
    exe = str(Path(sys.executable).with_name("futures"))
    walls: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for on in (False, True):
                out = Path(tmp) / f"run-{on}"
                start = time.perf_counter()
                subprocess.run([exe, "run", f"ensemble.members={members}",
                                f"events.enabled={str(on).lower()}", f"hydra.run.dir={out}"],
                               check=True, capture_output=True)
                walls[on].append(time.perf_counter() - start)
    off, on = min(walls[False]), min(walls[True])
    print(f"end to end (futures run, {members} members, best of {repeats}): "
          f"events off {off:.2f} s, on {on:.2f} s: events add {100 * (on / off - 1):.0f}%")


if __name__ == "__main__":
    main()
