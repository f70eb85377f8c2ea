"""Throughput of the KSIM ensemble kernel against named baselines, measured in one run.

Every case advances the same equations for 108 monthly steps (2021-2030), stores levels in
float32 and reads out the five impact indices at every time point:
``x_i <- x_i ** phi_i``, ``phi_i = (1 + dt sum_j A-_ij z_j) / (1 + dt sum_j A+_ij z_j)``.

Cases
-----
ours
    :func:`models.ensemble.run` on the default configuration (sampled members, per-member
    momentum, strength and lever efficacy, ramped drivers, impacts), ``threads=2`` and ``1``;
    and :func:`models.dynamics.integrate` (the kernel of ``run``) on the baselines' problem.
(b) straightforward numpy
    The textbook vectorisation: state ``x`` (members, 11); per step one
    ``hstack([x, d]) @ B`` with ``B = dt [A+; A-]^T`` (24 x 22), the ratio ``phi`` and one
    ``x ** phi``; impacts ``x @ W.T - base``. No log space, no blocking, no threads of its own
    (numpy's BLAS may use its own).
(a) per-member ``scipy.integrate.solve_ivp``
    The continuous form, ``dx/dt = x ln(x) (A- z - A+ z) = -x ln(x) (A z)``, member by
    member over [0, 9] years, ``t_eval`` at the 109 monthly points. (a): RK45 with scipy's
    default tolerances (the adaptive solver needs only a few steps on this smooth problem);
    (a'): ``max_step`` one month, i.e. at least the model's own time resolution. A subset of
    members of one future is timed and the rate extrapolated (member-steps = members x 108).

The baselines solve a simplified problem of the same size: one matrix
``A = [trend_matrix | driver_loadings | lever_loadings]`` (11 x 24), constant per-member
drivers ``d`` (status quo with momentum = 1 and reference levers, plus uniform noise of
+-0.05) and the sampled initial levels of the default config. ``run`` does strictly more
work per step (driver ramps, per-member strength). Before timing, (b) is checked against
``integrate`` and the iterated reference :func:`models.dynamics.ksim_step` on one small
identical problem, and the max abs differences are printed.

Run from the repository root with the virtualenv active::

    python bench/bench_kernel.py            # 4 futures x 10,000 members
    python bench/bench_kernel.py --quick    # smoke run, a few seconds
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from machine import machine_info  # bench/machine.py, beside this script
from scipy.integrate import solve_ivp

from models.dynamics import Readout, ksim_step, stack_matrix, static_terms
from models.ensemble import run
from models.integrator import integrate
from scenarios.config.compose import load
from scenarios.config.study import default_study
from scenarios.engine.simulate import draw_members

N = len(default_study().trends)


def timings(fns: list, repeats: int) -> list[list[float]]:
    """Wall times (s) of each function over ``repeats`` rounds that interleave them, so a
    noisy spell of a shared machine hits every case alike, not one case's whole series."""
    times: list[list[float]] = [[] for _ in fns]
    for rnd in range(repeats + 1):  # round 0 warms up
        for fn, series in zip(fns, times):
            start = time.perf_counter()
            fn()
            if rnd:
                series.append(time.perf_counter() - start)
    return times


def baseline_inputs(world, initial: np.ndarray, rng: np.random.Generator):
    """The simplified problem: A (11, 24), drivers d (R, 13), x0 (R, 11), W (5, 11)."""
    a = np.concatenate([world.trend_matrix, world.driver_loadings, world.lever_loadings], axis=1)
    d0 = np.concatenate([world.status_quo, world.lever_reference])  # momentum driver is 1
    d = np.clip(d0 + rng.uniform(-0.05, 0.05, (initial.shape[0], d0.size)), 0.0, 1.0)
    return a, d, initial, world.area_trend_weights


def textbook(x0, d, a, w, dt, n_steps, out_dtype=np.float32):
    """Baseline (b): the straightforward numpy version; levels (T, R, 11), impacts (T, R, 5)."""
    b = dt * np.concatenate([np.maximum(a, 0.0), np.maximum(-a, 0.0)], axis=0).T  # (24, 22)
    levels = np.empty((n_steps + 1,) + x0.shape, dtype=out_dtype)
    impacts = np.empty((n_steps + 1, x0.shape[0], w.shape[0]), dtype=out_dtype)
    base = x0 @ w.T
    x = x0
    for step in range(n_steps + 1):
        levels[step] = x
        impacts[step] = x @ w.T - base
        if step == n_steps:
            break
        s = np.hstack([x, d]) @ b
        phi = (1.0 + s[:, N:]) / (1.0 + s[:, :N])
        x = x ** phi
    return levels, impacts


def ivp_members(x0, d, a, w, years, n_steps, **options):
    """Baseline (a): one solve_ivp per member; levels (R, T, 11), impacts (R, T, 5)."""
    t_eval = np.linspace(0.0, years, n_steps + 1)
    levels = np.empty((x0.shape[0], n_steps + 1, N))
    for r in range(x0.shape[0]):
        dr = d[r]

        def rhs(t, x, dr=dr):
            z = np.concatenate([x, dr])
            return -x * np.log(x) * (a @ z)

        with np.errstate(invalid="ignore"):  # rejected trial steps may leave (0, 1)
            sol = solve_ivp(rhs, (0.0, years), x0[r], t_eval=t_eval, **options)
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed for member {r}: {sol.message}")
        levels[r] = sol.y.T
    return levels, levels @ w.T - (x0 @ w.T)[:, None, :]


def kernel_problem(a, d, x0, w, dt, n_fut):
    """The simplified problem as arguments of models.dynamics.integrate (F futures)."""
    m = x0.shape[0] // n_fut
    x0f = x0.reshape(n_fut, m, N).transpose(0, 2, 1)  # (F, 11, M)
    df = d.reshape(n_fut, m, -1).transpose(0, 2, 1)
    ws = np.ascontiguousarray(np.broadcast_to(w, (n_fut,) + w.shape))
    product = stack_matrix(np.broadcast_to(a[:, :N], (n_fut, N, N)),
                           np.zeros((n_fut, N, 0)), dt)  # no dynamic drivers
    c0 = static_terms(a[None, :, N:, None], df, dt)
    readout = Readout(ws, np.zeros((n_fut, w.shape[0], 0)), base=ws @ x0f)
    return np.log(x0f), product, c0, np.ones((n_fut, m)), readout


def agreement(world, rng, n_steps: int, dt: float) -> None:
    """Print max abs differences of (b) against integrate() and ksim_step() on 64 members."""
    a, d, x0, w = baseline_inputs(world, rng.uniform(0.05, 0.95, (64, N)), rng)
    lev_b, imp_b = textbook(x0, d, a, w, dt, n_steps, out_dtype=np.float64)
    log_x0, product, c0, strength, readout = kernel_problem(a, d, x0, w, dt, 1)
    lev_k, imp_k = integrate(log_x0, product, c0, strength, n_steps, out_dtype=np.float64,
                             readout=readout)
    ref = [x0]
    for _ in range(n_steps):
        ref.append(ksim_step(ref[-1], a, d, dt))
    lev_a, _ = ivp_members(x0[:8], d[:8], a, w, n_steps * dt, n_steps)
    diff = {
        "(b) vs models.dynamics.integrate, levels": lev_b - lev_k[0].transpose(0, 2, 1),
        "(b) vs models.dynamics.integrate, impacts": imp_b - imp_k[0].transpose(0, 2, 1),
        "(b) vs iterated models.dynamics.ksim_step": lev_b - np.stack(ref),
        "(a) vs (b), 8 members: continuous limit, O(dt)":
            lev_a - lev_b[:, :8].transpose(1, 0, 2),
    }
    print(f"Agreement on an identical problem (64 members, {n_steps} steps, float64), "
          "max abs difference:")
    for name, value in diff.items():
        print(f"  {name:<48} {np.abs(value).max():.2e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000, help="members per future")
    parser.add_argument("--futures", type=int, default=4, help="futures (1-4)")
    parser.add_argument("--ivp-members", type=int, default=200,
                        help="members of one future timed for baseline (a)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats, best kept")
    parser.add_argument("--chunk", type=int, default=None,
                        help="members per block for ours (default: the config's)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.members, args.futures, args.ivp_members, args.repeats = 500, 2, 20, 3
    repeats = max(3, args.repeats)  # at least 3 timed rounds

    machine_info()
    _, spec = load([f"ensemble.members={args.members}"])
    futures = spec.futures[:args.futures]
    members = {k: v[:len(futures)] for k, v in draw_members(spec).items()}
    world, n_steps, n_fut = spec.world, spec.world.n_steps, len(futures)
    chunk = args.chunk or spec.chunk
    dt = 1.0 / world.steps_per_year
    rng = np.random.default_rng(2021)
    agreement(world, rng, n_steps, dt)

    initial = np.stack([members[f"initial.{t}"].reshape(-1) for t in world.trends],
                       axis=1)  # (F*M, 11), the sampled 2021 levels
    a, d, x0, w = baseline_inputs(world, initial, rng)
    problem = kernel_problem(a, d, x0, w, dt, n_fut)
    size, steps = f"{n_fut} x {args.members}", n_fut * args.members * n_steps
    k = min(args.ivp_members, args.members)
    def ours(threads):
        return lambda: run(world, futures, members, args.members, out_dtype=np.float32,
                           chunk=chunk, threads=threads)

    def ivp(**options):
        return lambda: ivp_members(x0[:k], d[:k], a, w, n_steps * dt, n_steps, **options)

    cases = [
        (f"(ours) ensemble.run, threads={spec.threads}", size, steps, ours(spec.threads)),
        ("(ours) ensemble.run, threads=1", size, steps, ours(1)),
        (f"(ours) dynamics.integrate on (b)'s problem, threads={spec.threads}", size, steps,
         lambda: integrate(*problem[:4], n_steps, out_dtype=np.float32, readout=problem[4],
                           chunk=chunk, threads=spec.threads)),
        ("(b) straightforward numpy", size, steps, lambda: textbook(x0, d, a, w, dt, n_steps)),
        ("(a) solve_ivp per member, RK45 defaults *", f"1 x {k}", k * n_steps, ivp()),
        ("(a') solve_ivp per member, max_step=1 month *", f"1 x {k}", k * n_steps,
         ivp(max_step=dt)),
    ]
    times = timings([case[3] for case in cases], repeats)
    rows = [(name, sz, min(ts), float(np.median(ts)), work / min(ts))
            for (name, sz, work, _), ts in zip(cases, times)]

    ours = rows[0][4]
    rate = {name.split()[0]: r for name, *_, r in rows}
    print(f"\nKSIM kernel: {n_steps} monthly steps, impacts included, float32 storage; best of "
          f"{repeats} interleaved rounds after a warm-up round; member-steps = futures x "
          f"members x {n_steps}; ours with chunk={chunk}")
    print(f"| {'case':<56} | {'futures x members':>17} | {'best s':>7} | {'median s':>8} | "
          f"{'M member-steps/s':>16} | {'ours / case':>11} |")
    print(f"|{'-' * 58}|{'-' * 18}:|{'-' * 8}:|{'-' * 9}:|{'-' * 17}:|{'-' * 12}:|")
    for name, sz, t, med, r in rows:
        print(f"| {name:<56} | {sz:>17} | {t:>7.3f} | {med:>8.3f} | {r / 1e6:>16.3f} | "
              f"{ours / r:>11.1f} |")
    print(f"* (a), (a'): {k} members of one future timed, rate extrapolated as member-steps/s "
          f"(member-steps = {k} x {n_steps}).")
    for label, target in (("(b)", 4), ("(a)", 500), ("(a')", 500)):
        ratio = ours / rate[label]
        print(f"ours (run, threads={spec.threads}) / {label} = {ratio:.1f}x; issue target "
              f">= {target}x: {'met' if ratio >= target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
