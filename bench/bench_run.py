"""End-to-end wall time and output size of ``futures run``, against the start-up cost.

Each case runs the installed ``futures`` console script as a fresh subprocess, exactly as a
user would (``futures run ... hydra.run.dir=<tmpdir>``), so the time includes interpreter
start-up, imports, Hydra composition and validation, sampling, the simulation and writing
``outcomes.nc`` (uncompressed, the default). Rounds interleave the cases, best of 3 kept.

Cases
-----
default
    ``futures run`` with the default configuration (4 futures x 1,000 members, float32).
members=10000
    ``ensemble.members=10000``: ten times the members.
float64
    ``output.precision=float64`` with default members: the same run stored in float64,
    to show what float32 storage saves in file size and writing time.
baseline: start-up
    ``python -c "import scenarios.engine.app"``: the bare import cost of the application (Hydra,
    xarray, h5netcdf, numpy, scipy), measured in the same rounds. ``wall / start-up`` tells
    how much of a run is simulation and writing rather than starting Python.

The ``simulated ... in X s`` line that ``futures run`` logs gives the sampling + simulation
part of each wall time; it is shown as ``sim s``.

Run from the repository root with the virtualenv active::

    python bench/bench_run.py            # 3 rounds
    python bench/bench_run.py --quick    # 1 round, small ensembles
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import machine_info  # bench/machine.py, beside this script

SIMULATED = re.compile(r"simulated \d+ futures x \d+ members in ([0-9.]+) s")


def futures_script() -> str:
    """The ``futures`` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("futures")
    found = str(beside) if beside.exists() else shutil.which("futures")
    if not found:
        raise SystemExit("no `futures` console script; activate the virtualenv "
                         "(. .venv/bin/activate) or pip install -e .")
    return found


def timed(cmd: list[str]) -> tuple[float, str]:
    """Run ``cmd``; return its wall time in seconds and its stderr. Fails loudly."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, proc.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds, best kept")
    parser.add_argument("--quick", action="store_true",
                        help="1 round, 100 / 1,000 members: a smoke run")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else max(1, args.rounds)
    small, large = (100, 1000) if args.quick else (None, 10_000)
    futures = futures_script()
    base = [f"ensemble.members={small}"] if small else []

    cases = {
        "baseline: start-up (import scenarios.engine.app)": None,
        "futures run (default: 4 x 1000, float32)" if not small else
        f"futures run (4 x {small}, float32)": base,
        f"futures run ensemble.members={large}": [f"ensemble.members={large}"],
        "futures run output.precision=float64": base + ["output.precision=float64"],
    }
    startup_cmd = [sys.executable, "-c", "import scenarios.engine.app"]
    machine_info()
    print(f"futures script: {futures}")
    timed(startup_cmd)  # warm the file cache; not counted

    walls: dict[str, list[float]] = {name: [] for name in cases}
    sims: dict[str, list[float]] = {name: [] for name in cases}
    sizes: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        for rnd in range(rounds):
            for k, (name, overrides) in enumerate(cases.items()):
                if overrides is None:
                    wall, _ = timed(startup_cmd)
                else:
                    out = Path(tmp) / f"case{k}" / f"round{rnd}"
                    wall, err = timed([futures, "run", *overrides, f"hydra.run.dir={out}"])
                    sizes[name] = (out / "outcomes.nc").stat().st_size / 1e6
                    match = SIMULATED.search(err)
                    if match:
                        sims[name].append(float(match.group(1)))
                    shutil.rmtree(out)
                walls[name].append(wall)
                print(f"  round {rnd + 1}/{rounds}: {name}: {wall:.2f} s", flush=True)

    startup = min(walls["baseline: start-up (import scenarios.engine.app)"])
    print(f"\nfutures run end to end: wall time of a fresh process, best of {rounds} "
          f"interleaved rounds; sim s = sampling + simulation as logged by the run")
    print(f"| {'case':<42} | {'best s':>7} | {'median s':>8} | {'sim s best/med':>14} | "
          f"{'outcomes.nc MB':>14} | {'wall / start-up':>15} | {'wall - start-up s':>17} |")
    print(f"|{'-' * 44}|{'-' * 8}:|{'-' * 9}:|{'-' * 15}:|{'-' * 15}:|{'-' * 16}:|{'-' * 18}:|")
    for name, series in walls.items():
        best = min(series)
        sim = f"{min(sims[name]):.2f} / {float(np.median(sims[name])):.2f}" \
            if sims[name] else "-"
        size = f"{sizes[name]:.1f}" if name in sizes else "-"
        print(f"| {name:<42} | {best:>7.2f} | {float(np.median(series)):>8.2f} | {sim:>14} | "
              f"{size:>14} | {best / startup:>15.1f} | {best - startup:>17.2f} |")
    names = list(cases)
    f32, f64 = sizes[names[1]], sizes[names[3]]
    print(f"float32 storage: outcomes.nc {f32:.1f} MB vs {f64:.1f} MB in float64 "
          f"({f64 / f32:.2f}x larger); wall {min(walls[names[1]]):.2f} s vs "
          f"{min(walls[names[3]]):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
