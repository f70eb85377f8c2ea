"""The Python API and the EMA Workbench model: in-process speed against the command line.

Cases, all measured in the same run (best of ``--rounds``):

api.run 4 x 1000
    ``scenarios.api.run(members=1000)`` in this process, after one warm-up call: composition
    (Hydra's compose API), validation, sampling, the simulation with events and the dataset,
    no file. Goal (issue 18): under 0.5 s.
futures run 4 x 1000 (baseline)
    The ``futures run ensemble.members=1000`` console script as a subprocess, writing
    ``outcomes.nc``: what a notebook paid before the API.
EMA one at a time / EMA batch / project vectorised
    The same experiments (``--worlds`` sampled worlds x 2 policies of one future) through
    EMA Workbench's own ``SequentialEvaluator`` (one model call per experiment), through
    :class:`scenarios.interop.ema.BatchEvaluator` (one vectorised call), and through the
    project's own simulator call without EMA (the baseline). Goal: the batch evaluator
    within 3x of the project's own throughput; the outcomes of the first two must be equal.

Run from the repository root with the virtualenv active::

    python bench/bench_api.py              # 3 rounds, 500 worlds
    python bench/bench_api.py --quick      # 1 round, 100 worlds
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from machine import machine_info  # bench/machine.py, beside this script


def best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worlds", type=int, default=500)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, worlds = (1, 100) if args.quick else (args.rounds, args.worlds)
    machine_info()
    warnings.simplefilter("ignore")

    from scenarios import api

    api.run(members=1000)  # warm-up: imports, the first composition
    api_s = best(lambda: api.run(members=1000), rounds)
    script = str(Path(sys.executable).with_name("futures"))
    if not Path(script).exists():
        script = shutil.which("futures") or "futures"
    with tempfile.TemporaryDirectory() as tmp:
        cli_s = best(lambda: subprocess.run(
            [script, "run", "ensemble.members=1000", f"hydra.run.dir={tmp}/r"], check=True,
            capture_output=True), rounds)
    print(f"\n{'case':42s} {'seconds':>9s} {'ratio':>8s}")
    print(f"{'futures run 4 x 1000 (baseline)':42s} {cli_s:9.3f} {1.0:8.2f}")
    print(f"{'api.run 4 x 1000 (in-process, warm)':42s} {api_s:9.3f} {api_s / cli_s:8.2f}"
          f"   goal < 0.5 s: {'met' if api_s < 0.5 else 'NOT met'}")

    from ema_workbench import SequentialEvaluator
    from ema_workbench.em_framework.samplers import sample_levers, sample_uncertainties

    from scenarios.interop.ema import BatchEvaluator

    model = api.ema_model("versnelling")
    scenarios, policies = sample_uncertainties(model, worlds), sample_levers(model, 2)
    n = worlds * 2
    results = {}

    def ema_with(evaluator):
        with evaluator(model) as ev:
            results[evaluator.__name__] = ev.perform_experiments(scenarios=scenarios,
                                                                 policies=policies)

    seq_s = best(lambda: ema_with(SequentialEvaluator), 1)
    batch_s = best(lambda: ema_with(BatchEvaluator), rounds)
    sim = model.simulator
    world_list = [{k: float(v) for k, v in s.items()} for s in scenarios]
    policy_list = [{k: float(v) for k, v in p.items()} for p in policies]
    own_s = best(lambda: sim.evaluate(world_list, policy_list), rounds)
    _, out_seq = results["SequentialEvaluator"]
    _, out_batch = results["BatchEvaluator"]
    diff = max(float(np.max(np.abs(out_seq[k] - out_batch[k]))) for k in out_seq)
    print(f"\n{'EMA, ' + str(n) + ' experiments':42s} {'ms/exp':>9s} {'x own':>8s}")
    for label, secs in (("project vectorised call (baseline)", own_s),
                        ("EMA BatchEvaluator", batch_s),
                        ("EMA SequentialEvaluator (one at a time)", seq_s)):
        print(f"{label:42s} {secs / n * 1e3:9.4f} {secs / own_s:8.1f}")
    print(f"largest difference between one-at-a-time and batch outcomes: {diff:.3g}")
    print(f"goal: BatchEvaluator within 3x of the project's own: "
          f"{'met' if batch_s <= 3 * own_s else 'NOT met'} ({batch_s / own_s:.2f}x)")


if __name__ == "__main__":
    main()
