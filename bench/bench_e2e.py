"""End-to-end marginal throughput of ``futures run`` against reference kernels, same run.

Issue 19 items 3 and 5. Marginal throughput of the command: two fresh ``futures run``
processes, ``--small`` and ``--large`` members per future (4 futures, events on, the default
storage), member-steps = 4 x (large - small) x 108 over the difference of their wall times,
so start-up cancels out. Measured in the same rounds, in this process, on 4 x ``--large``
members (108 monthly steps, levels and the five impact indices stored as float32):

fused kernel (numba)
    One compiled loop (``prange`` over blocks of 256 members, both cores; the inner loops
    over members, so they vectorise): per month the two sums of the KSIM ratio over the
    24 inputs, ``ln x <- phi ln x`` and one ``exp``, the impact indices - the
    simplified problem of bench_kernel.py (constant drivers), nothing else. The reference
    a compiled code reaches (skipped if numba is not installed).
naive numpy
    bench_kernel.py's (b): per step one ``(members, 24) @ (24, 22)`` product, the ratio,
    ``x ** phi``.
dynamics.integrate
    Our kernel alone on the same simplified problem.
model, events off / on
    ``scenarios.engine.simulate.simulate`` of the default config: ramps, per-member
    parameters, impacts (and events) - the full model without writing (item 3: at least
    60 % of ``dynamics.integrate``).
model, numba kernel, events off / on
    The same with ``ensemble.kernel=numba`` (models/compiled.py; skipped without numba),
    and the command's marginal throughput with it (``futures run ensemble.kernel=numba``).

    python bench/bench_e2e.py                       # 100 and 5000 members, 3 rounds
    python bench/bench_e2e.py --large 2000 --rounds 2
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_kernel import baseline_inputs, kernel_problem, textbook  # beside this script
from machine import machine_info

from models.integrator import integrate
from scenarios.config.compose import load
from scenarios.engine.simulate import draw_members, simulate


def fused_kernel():
    """The numba reference: levels (T+1, 11, R) and impacts (T+1, 5, R), float32."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(parallel=True, fastmath=False, cache=False)
    def kernel(x0, d, ap, am, w, dt, n_steps):  # pragma: no cover - compiled
        r_n, n = x0.shape
        k, nd = w.shape[0], d.shape[1]
        width = 256  # members per block: the inner loops run over members (SIMD)
        levels = np.empty((n_steps + 1, n, r_n), np.float32)
        impacts = np.empty((n_steps + 1, k, r_n), np.float32)
        for b in numba.prange((r_n + width - 1) // width):
            lo, hi = b * width, min(r_n, (b + 1) * width)
            m_n = hi - lo
            lx = np.empty((n, m_n))
            x = np.empty((n, m_n))
            cp = np.zeros((n, m_n))  # constant drivers' part of both sums, once per member
            cm = np.zeros((n, m_n))
            base = np.zeros((k, m_n))
            for i in range(n):
                for m in range(m_n):
                    x[i, m] = x0[lo + m, i]
                    lx[i, m] = np.log(x0[lo + m, i])
                for j in range(nd):
                    for m in range(m_n):
                        cp[i, m] += ap[i, n + j] * d[lo + m, j]
                        cm[i, m] += am[i, n + j] * d[lo + m, j]
            for a_ in range(k):
                for i in range(n):
                    for m in range(m_n):
                        base[a_, m] += w[a_, i] * x[i, m]
            sp = np.empty(m_n)
            sm = np.empty(m_n)
            for step in range(n_steps + 1):
                for i in range(n):
                    for m in range(m_n):
                        levels[step, i, lo + m] = x[i, m]
                for a_ in range(k):
                    for m in range(m_n):
                        sp[m] = -base[a_, m]
                    for i in range(n):
                        for m in range(m_n):
                            sp[m] += w[a_, i] * x[i, m]
                    for m in range(m_n):
                        impacts[step, a_, lo + m] = sp[m]
                if step == n_steps:
                    break
                for i in range(n):  # ln x_i <- phi_i ln x_i, phi from the old x
                    for m in range(m_n):
                        sp[m] = cp[i, m]
                        sm[m] = cm[i, m]
                    for j in range(n):
                        for m in range(m_n):
                            sp[m] += ap[i, j] * x[j, m]
                            sm[m] += am[i, j] * x[j, m]
                    for m in range(m_n):
                        lx[i, m] *= (1.0 + dt * sm[m]) / (1.0 + dt * sp[m])
                for i in range(n):
                    for m in range(m_n):
                        x[i, m] = np.exp(lx[i, m])
        return levels, impacts

    return kernel


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(machine_info())
    futures = str(Path(sys.executable).with_name("futures"))
    _, spec = load([f"ensemble.members={args.large}"])
    world, n_steps, n_fut = spec.world, spec.world.n_steps, len(spec.futures)
    dt = 1.0 / world.steps_per_year
    members = draw_members(spec)
    initial = np.stack([members[f"initial.{t}"].reshape(-1) for t in world.trends],
                       axis=1)
    a, d, x0, w = baseline_inputs(world, initial, np.random.default_rng(2021))
    problem = kernel_problem(a, d, x0, w, dt, n_fut)
    kernel = fused_kernel()
    ap, am = np.maximum(a, 0.0), np.maximum(-a, 0.0)
    if kernel is not None:  # compile, and check it computes what (b) computes
        lv, _ = kernel(x0[:64], d[:64], ap, am, w, dt, n_steps)
        ref, _ = textbook(x0[:64], d[:64], a, w, dt, n_steps)
        print(f"fused vs naive numpy, 64 members: max |level difference| "
              f"{np.abs(lv - ref.transpose(0, 2, 1)).max():.1e}")
    cases = {
        "fused kernel (numba)": (lambda: kernel(x0, d, ap, am, w, dt, n_steps))
        if kernel is not None else None,
        "naive numpy (bench_kernel (b))": lambda: textbook(x0, d, a, w, dt, n_steps),
        "dynamics.integrate": lambda: integrate(*problem[:4], n_steps, out_dtype=np.float32,
                                                readout=problem[4], chunk=spec.chunk,
                                                threads=spec.threads),
        "model, events off (simulate)": lambda: simulate(spec, members=members, events=False),
        "model, events on (simulate)": lambda: simulate(spec, members=members),
    }
    if kernel is not None:
        cases["model, numba kernel, events off"] = \
            lambda: simulate(spec, members=members, events=False, kernel="numba")
        cases["model, numba kernel, events on"] = \
            lambda: simulate(spec, members=members, kernel="numba")
    kernels = ("numpy", "numba") if kernel is not None else ("numpy",)
    times: dict[str, list[float]] = {k: [] for k, fn in cases.items() if fn is not None}
    e2e: dict[tuple[str, int], list[float]] = {(k, m): [] for k in kernels
                                               for m in (args.small, args.large)}
    tmp = Path(tempfile.mkdtemp(prefix="bench_e2e_"))
    try:
        for fn in cases.values():  # warm-up
            if fn is not None:
                fn()
        for r in range(args.rounds):
            for name, fn in cases.items():
                if fn is None:
                    continue
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
            for (k, m), series in e2e.items():
                folder = tmp / f"{k}_{m}_{r}"
                series.append(wall([futures, "run", f"ensemble.members={m}",
                                    f"ensemble.kernel={k}", f"hydra.run.dir={folder}"]))
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open("/proc/loadavg") as f:
        load_avg = " ".join(f.read().split()[:3])
    steps = n_fut * args.large * n_steps
    rates = {name: steps / min(ts) for name, ts in times.items()}
    marginals = {}
    for k in kernels:
        t_small, t_large = min(e2e[k, args.small]), min(e2e[k, args.large])
        marginals[k] = (t_small, t_large,
                        n_fut * (args.large - args.small) * n_steps / (t_large - t_small))
    print(f"\n{n_fut} futures x {args.large} members x {n_steps} months; best of "
          f"{args.rounds} interleaved rounds; load average {load_avg}\n")
    print("| case | best s | M member-steps/s |")
    print("|---|---:|---:|")
    for name, ts in times.items():
        print(f"| {name} | {min(ts):.3f} | {rates[name] / 1e6:.2f} |")
    for k, (t_small, t_large, marginal) in marginals.items():
        print(f"| futures run ensemble.kernel={k}, marginal {args.small} -> {args.large} "
              f"members ({t_small:.2f} s -> {t_large:.2f} s) | {t_large - t_small:.3f} | "
              f"{marginal / 1e6:.2f} |")
    print()
    for k, (_, _, marginal) in marginals.items():
        if "fused kernel (numba)" in rates:
            print(f"end to end ({k}) / fused kernel: "
                  f"{marginal / rates['fused kernel (numba)']:.3f}x (goal >= 0.15x, aim 0.3x)")
        print(f"end to end ({k}) / naive numpy: "
              f"{marginal / rates['naive numpy (bench_kernel (b))']:.3f}x")
    base = rates["dynamics.integrate"]
    for name, rate in rates.items():
        if name.startswith("model"):
            print(f"{name} / dynamics.integrate: {rate / base:.2f} (item 3: >= 0.60)")


if __name__ == "__main__":
    main()
