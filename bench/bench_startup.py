"""Start-up of ``futures run ensemble.members=8`` against bare imports, in the same rounds.

Issue 19 item 1: a tiny run must cost at most 1.5x ``python -c "import numpy, xarray,
h5netcdf, hydra"`` (what any xarray + Hydra application pays before doing anything).

Cases, each a fresh subprocess, interleaved round by round (so a busy spell of a shared
machine hits every case alike):

bare imports
    ``python -c "import numpy, xarray, h5netcdf, hydra"`` (the baseline).
bare imports, frozen at exit
    The same, ending with ``gc.freeze()``: the interpreter's exit then does not walk the
    ~1 million objects the imports made (~0.25 s). ``futures`` does this (and pauses the
    collector while it starts, ``scenarios/engine/startup.py``), so this is the like-for-like
    baseline for it; both ratios are printed.
``futures run ensemble.members=8``
    The whole command: imports, one composition of the config, validation, sampling,
    simulation with events, writing ``outcomes.nc`` into a temporary folder.
``futures run --help``
    The command line without Hydra or xarray (what bad input and ``--help`` cost).

Wall time is the first figure; CPU time of the child (user + sys, from ``os.wait4``) is
printed too because on a machine shared with other work it moves less than wall time.

Before timing, the project's modules are byte-compiled (``compileall``), as an installed
package is: this machine's environment sets ``PYTHONDONTWRITEBYTECODE=1``, which would make
every start compile ~100 of our modules again (~0.2 s) while the baseline's libraries have
their ``.pyc``. The composed config is cached (``scenarios/engine/startup.py``); the warm-up
round fills the cache, as any earlier run of the same command would. ``--cold`` switches the
cache off (``FUTURES_CACHE_DIR=``) to show the first run's cost.

``--base DIR`` adds the same command run on another checkout of the project (``DIR`` first on
``PYTHONPATH``, e.g. ``git archive main | tar -x -C DIR``), in the same rounds: before and
after a change, measured alike.

    python bench/bench_startup.py              # 7 rounds
    python bench/bench_startup.py --rounds 3
    python bench/bench_startup.py --rounds 5 --base /tmp/base
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import machine_info  # bench/machine.py, beside this script

BARE = "import numpy, xarray, h5netcdf, hydra"
FROZEN = BARE + "; import gc; gc.freeze()"


def futures_script() -> str:
    beside = Path(sys.executable).with_name("futures")
    found = str(beside) if beside.exists() else shutil.which("futures")
    if not found:
        raise SystemExit("no `futures` console script; activate the virtualenv")
    return found


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of ``cmd`` run to completion; fails loudly."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cold", action="store_true",
                        help="no cache of the composed config (a first run)")
    parser.add_argument("--base", type=Path, default=None,
                        help="another checkout to time `futures run` on in the same rounds")
    args = parser.parse_args()
    machine_info()
    futures = futures_script()
    root = Path(__file__).resolve().parents[1]
    trees = [root] + ([args.base.resolve()] if args.base else [])
    for tree in trees:
        for package in ("scenarios", "models"):
            compileall.compile_dir(tree / package, quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    os.environ["FUTURES_CACHE_DIR"] = "" if args.cold else str(tmp / "cache")
    env = {tree: {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tree), *filter(None, [os.environ.get("PYTHONPATH", "")])])} for tree in trees}
    run = "futures run ensemble.members=8"
    cases = {
        "bare imports (baseline)": (root, lambda i: [sys.executable, "-c", BARE]),
        "bare imports, frozen at exit": (root, lambda i: [sys.executable, "-c", FROZEN]),
        run: (root, lambda i: [futures, "run", "ensemble.members=8",
                               f"hydra.run.dir={tmp / str(i)}"]),
        "futures run --help": (root, lambda i: [futures, "run", "--help"]),
    }
    if args.base:
        cases[f"{run} (base {args.base})"] = (
            trees[1], lambda i: [futures, "run", "ensemble.members=8",
                                 f"hydra.run.dir={tmp / f'base{i}'}"])
    walls: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    try:
        for name, (tree, cmd) in cases.items():  # warm-up: page cache, .pyc, the cache
            timed(cmd(-1), env[tree])
        for r in range(args.rounds):
            for name, (tree, cmd) in cases.items():
                wall, cpu = timed(cmd(r), env[tree])
                walls[name].append(wall)
                cpus[name].append(cpu)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"\n{args.rounds} interleaved rounds; load average at the end {' '.join(load)}; "
          f"composition cache {'off' if args.cold else 'on'}\n")
    base_w = min(walls["bare imports (baseline)"])
    base_c = min(cpus["bare imports (baseline)"])
    print(f"this checkout: {trees[0]}" + (f"; base: {trees[1]}" if args.base else ""))
    print("| case | best wall s | median wall s | best CPU s | wall / bare | CPU / bare |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in cases:
        w, c = walls[name], cpus[name]
        print(f"| {name} | {min(w):.2f} | {np.median(w):.2f} | {min(c):.2f} | "
              f"{min(w) / base_w:.2f} | {min(c) / base_c:.2f} |")
    ratio = min(walls[run]) / base_w
    frozen = min(walls[run]) / min(walls["bare imports, frozen at exit"])
    print(f"\ntarget (issue 19): futures run ensemble.members=8 <= 1.5x bare imports; "
          f"measured {ratio:.2f}x -> {'met' if ratio <= 1.5 else 'NOT met'} "
          f"({frozen:.2f}x the bare imports frozen at exit)")


if __name__ == "__main__":
    main()
