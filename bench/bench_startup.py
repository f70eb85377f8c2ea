"""Start-up of ``futures run ensemble.members=8`` against bare imports, in the same rounds.

Issue 19 item 1: a tiny run must cost at most 1.5x ``python -c "import numpy, xarray,
h5netcdf, hydra"`` (what any xarray + Hydra application pays before doing anything).

Cases, each a fresh subprocess, interleaved round by round (so a busy spell of a shared
machine hits every case alike):

bare imports
    ``python -c "import numpy, xarray, h5netcdf, hydra"`` (the baseline).
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

    python bench/bench_startup.py              # 7 rounds
    python bench/bench_startup.py --rounds 3
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


def futures_script() -> str:
    beside = Path(sys.executable).with_name("futures")
    found = str(beside) if beside.exists() else shutil.which("futures")
    if not found:
        raise SystemExit("no `futures` console script; activate the virtualenv")
    return found


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of ``cmd`` run to completion; fails loudly."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
    args = parser.parse_args()
    print(machine_info())
    futures = futures_script()
    root = Path(__file__).resolve().parents[1]
    for package in ("scenarios", "models"):
        compileall.compile_dir(root / package, quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    os.environ["FUTURES_CACHE_DIR"] = "" if args.cold else str(tmp / "cache")
    cases = {
        "bare imports (baseline)": lambda i: [sys.executable, "-c", BARE],
        "futures run ensemble.members=8": lambda i: [futures, "run", "ensemble.members=8",
                                                      f"hydra.run.dir={tmp / str(i)}"],
        "futures run --help": lambda i: [futures, "run", "--help"],
    }
    walls: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    try:
        for name, cmd in cases.items():  # warm-up: page cache, .pyc of site-packages
            timed(cmd(-1))
        for r in range(args.rounds):
            for name, cmd in cases.items():
                wall, cpu = timed(cmd(r))
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
    print("| case | best wall s | median wall s | best CPU s | wall / bare | CPU / bare |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in cases:
        w, c = walls[name], cpus[name]
        print(f"| {name} | {min(w):.2f} | {np.median(w):.2f} | {min(c):.2f} | "
              f"{min(w) / base_w:.2f} | {min(c) / base_c:.2f} |")
    ratio = min(walls["futures run ensemble.members=8"]) / base_w
    print(f"\ntarget (issue 19): futures run ensemble.members=8 <= 1.5x bare imports; "
          f"measured {ratio:.2f}x -> {'met' if ratio <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
