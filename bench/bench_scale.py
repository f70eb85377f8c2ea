"""Big ensembles: time, peak memory and size of ``futures run`` streaming to zarr.

Each case runs the installed ``futures`` console script as a fresh subprocess, as a user
would, while a sampler thread adds up the resident memory (RSS) of the process and all its
children (the Dask scheduler lives in the client process; its workers are children) every
0.1 s; the largest sum is the peak. Output size is every file under the run folder.

Cases (members per future; four futures each)
---------------------------------------------
baseline: netcdf in memory, N_BASE members
    the default path (``output.format=netcdf``): the whole ensemble in memory, written once.
zarr local, N members
    ``output.format=zarr``: batches of 8192 members streamed into ``outcomes.zarr``.
zarr dask, N members
    ``output.format=zarr ensemble.backend=dask``: batches as tasks on a local Dask cluster of
    two worker processes (threads_per_worker=1), each writing its own region.
summary, N members (``--cases summary``)
    ``output.store=summary``: batches streamed into quantiles, mean and spread per future,
    month and trend/area (``summary.nc``), no members stored (scenarios/engine/summary.py).

Ratios against the baseline: time per member and peak memory. The issue's target: 4 x
1,000,000 members to zarr with peak memory < 4 GB.

Run from the repository root with the virtualenv active::

    python bench/bench_scale.py                       # N = 1,000,000 (several minutes)
    python bench/bench_scale.py --members 100000      # quicker
    python bench/bench_scale.py --cases summary,local --members 50000   # summary vs zarr
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from machine import machine_info  # bench/machine.py, beside this script


def futures_script() -> str:
    return str(Path(sys.executable).with_name("futures"))


def tree_rss(proc: psutil.Process) -> int:
    """RSS of a process and all its descendants, in bytes (gone processes count 0)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(args: list[str], out: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (GB) of the process tree, output size (GB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([futures_script(), "run", *args, f"hydra.run.dir={out}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(ps))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"futures run {' '.join(args)} failed:\n{stderr[-2000:]}")
    return wall, peak / 1e9, folder_bytes(out) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=20_000)
    parser.add_argument("--cases", default="local,dask")
    opts = parser.parse_args()
    machine_info()
    root = Path(tempfile.mkdtemp(prefix="bench_scale_", dir="."))
    try:
        rows = []
        base = measure([f"ensemble.members={opts.base}"], root / "base")
        rows.append((f"baseline: netcdf in memory, {opts.base:,}", opts.base, *base))
        shutil.rmtree(root / "base")
        for case in opts.cases.split(","):
            extra = {"local": ["output.format=zarr"],
                     "dask": ["output.format=zarr", "ensemble.backend=dask"],
                     "summary": ["output.store=summary"]}[case]
            got = measure([f"ensemble.members={opts.members}", *extra], root / case)
            what = "summary (summary.nc)" if case == "summary" else f"zarr {case}"
            rows.append((f"{what}, {opts.members:,}", opts.members, *got))
            shutil.rmtree(root / case)
        b_wall, b_peak = rows[0][2] / rows[0][1], rows[0][3]
        print(f"{'case (members per future, 4 futures)':40s} {'wall s':>8s} {'peak GB':>8s} "
              f"{'size GB':>8s} {'s/M members':>12s} {'x base':>7s} {'peak x base':>11s}")
        for name, n, wall, peak, size in rows:
            per = wall / n
            print(f"{name:40s} {wall:8.1f} {peak:8.2f} {size:8.2f} {per * 1e6:12.1f} "
                  f"{per / b_wall:7.2f} {peak / b_peak:11.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
