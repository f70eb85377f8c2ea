"""``output.store=summary``: an ensemble as statistics, streamed batch by batch, no members.

For ensembles too big to keep (4 x 1,000,000 members are 26 GB as zarr), the run keeps per
future, month and trend (area) only what the figures and tables read: mean, standard
deviation, minimum, maximum and the quantiles :data:`QUANTILES`. Memory holds one batch
(``ensemble.batch`` members), the sample and the accumulators (~60 MB), whatever the number
of members; the result is ``summary.nc``.

Exact and approximate parts
---------------------------
* **mean, standard deviation, minimum, maximum**: exact (moments combined batch by batch in
  float64 with Chan's pairwise update, so no cancellation between batches).
* **quantiles**: from a fixed-bin histogram of :data:`BINS` bins per future, month and
  trend (area), with linear interpolation inside the bin that holds the quantile's rank.
  The estimate lies in the same bin as the order statistic below the rank, so it is off by
  at most one bin width plus the gap between that order statistic and the next
  (``numpy.quantile``'s linear definition interpolates between the two), which vanishes as
  the ensemble grows. Levels use bins over [0, 1]: **one bin is 1/2048 = 4.9e-4** in level.
  Impacts use bins over the first batch's range of each future and area, widened by that
  range on both sides (impacts are 0 in 2021 and spread out over time); their bin width is
  stored per future and area (``impact_bin_width``). A value outside the bins is counted in
  the nearest edge bin and in ``impact_outside_bins`` (0 in every run we made): where that
  count is not 0 the bound holds only for quantiles whose rank is clear of the tails.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from models.integrator import block_width
from scenarios.config.schema import RunSpec
from scenarios.engine.names import SUMMARY
from scenarios.engine.seeds import draw_members
from scenarios.engine.simulate import run_attrs, simulate

log = logging.getLogger("futures")

#: The quantiles stored (the 90 % and 50 % bands and the median of the fan charts).
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Histogram bins per future, month and trend (area).
BINS = 2048


class Streamed:
    """Running statistics of one variable of shape (F, T, V) over members, batch by batch.

    ``lo`` and ``hi`` (F, V) bound the histogram bins of each future and variable.
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray, shape: tuple[int, int, int],
                 bins: int = BINS):
        self.lo, self.hi, self.bins = lo.astype(float), hi.astype(float), bins
        self.width = (self.hi - self.lo) / bins
        self.n = 0
        self.mean = np.zeros(shape)
        self.m2 = np.zeros(shape)
        self.min = np.full(shape, np.inf)
        self.max = np.full(shape, -np.inf)
        self.counts = np.zeros((*shape, bins), np.int64)
        self.outside = np.zeros((shape[0], shape[2]), np.int64)

    def add(self, values: np.ndarray) -> None:
        """Take a batch: ``values`` of shape (F, T, V, M)."""
        m = values.shape[-1]
        if m == 0:
            return
        f_n, t_n, v_n = self.mean.shape
        total = self.n + m
        for f in range(f_n):  # one future at a time keeps the float64 temporaries small
            x = values[f].astype(np.float64)  # (T, V, M)
            mean_b = x.mean(axis=-1)
            m2_b = ((x - mean_b[..., None]) ** 2).sum(axis=-1)
            delta = mean_b - self.mean[f]
            self.mean[f] += delta * (m / total)
            self.m2[f] += m2_b + delta ** 2 * (self.n * m / total)
            np.minimum(self.min[f], x.min(axis=-1), out=self.min[f])
            np.maximum(self.max[f], x.max(axis=-1), out=self.max[f])
            pos = np.floor((x - self.lo[f][None, :, None]) / self.width[f][None, :, None])
            out = (pos < 0) | (pos >= self.bins)
            if out.any():
                self.outside[f] += out.sum(axis=(0, 2))
            index = np.clip(pos, 0, self.bins - 1).astype(np.int64)
            index += (np.arange(t_n * v_n, dtype=np.int64) * self.bins).reshape(t_n, v_n, 1)
            self.counts[f] += np.bincount(index.ravel(), minlength=t_n * v_n * self.bins
                                          ).reshape(t_n, v_n, self.bins)
        self.n = total

    def std(self) -> np.ndarray:
        """Standard deviation over members (ddof=0, as ``numpy.std``)."""
        return np.sqrt(self.m2 / max(self.n, 1))

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """Quantiles (F, T, V, Q) from the histogram: the bin holding the rank
        ``q (n - 1)`` (0-based, as ``numpy.quantile``), linear inside the bin."""
        cum = np.cumsum(self.counts, axis=-1)  # (F, T, V, B)
        out = np.empty((*self.mean.shape, len(qs)))
        lo = self.lo[:, None, :]
        width = self.width[:, None, :]
        for k, q in enumerate(qs):
            rank = q * (self.n - 1)  # 0-based rank between two order statistics
            below = np.floor(rank)
            b = (cum <= below).sum(axis=-1)  # first bin whose cumulative count exceeds it
            b = np.minimum(b, self.bins - 1)
            before = np.take_along_axis(cum, b[..., None], -1)[..., 0] - \
                np.take_along_axis(self.counts, b[..., None], -1)[..., 0]
            inside = np.take_along_axis(self.counts, b[..., None], -1)[..., 0]
            frac = (rank - before + 0.5) / np.maximum(inside, 1)
            value = lo + width * (b + np.clip(frac, 0.0, 1.0))
            out[..., k] = np.clip(value, self.min, self.max)
        return out


def impact_bounds(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Histogram range per future and area from the first batch's impacts (F, T, A, M):
    its range over all months and members, widened by that range on both sides."""
    lo = first.min(axis=(1, 3)).astype(float)
    hi = first.max(axis=(1, 3)).astype(float)
    span = np.maximum(hi - lo, 1e-6)
    return lo - span, hi + span


def summarize(spec: RunSpec, *, show: bool = True) -> tuple[Streamed, Streamed, np.ndarray]:
    """Simulate every batch of ``spec`` and stream it into the statistics: levels, impacts
    and the times."""
    from scenarios.engine.plan import member_slice, plan, progress

    members = draw_members(spec)
    width = block_width(spec.chunk, spec.members)
    n_f = len(spec.futures)
    levels: Streamed | None = None
    impacts: Streamed | None = None
    times = np.empty(0)
    bar = progress(spec.members * n_f, "run (summary)", show)
    try:
        for a, b in plan(spec):
            outcome, _ = simulate(spec, members=member_slice(members, a, b), n_members=b - a,
                                  member_start=a, width=width)
            if levels is None or impacts is None:
                times = outcome.times
                t_n = outcome.levels.shape[1]
                n_tr, n_ar = outcome.levels.shape[2], outcome.impacts.shape[2]
                levels = Streamed(np.zeros((n_f, n_tr)), np.ones((n_f, n_tr)),
                                  (n_f, t_n, n_tr))
                impacts = Streamed(*impact_bounds(outcome.impacts), (n_f, t_n, n_ar))
            levels.add(outcome.levels)
            impacts.add(outcome.impacts)
            bar.update((b - a) * n_f)  # type: ignore[attr-defined]
    finally:
        bar.close()  # type: ignore[attr-defined]
    assert levels is not None and impacts is not None
    return levels, impacts, times


def summary_dataset(spec: RunSpec, levels: Streamed, impacts: Streamed, times: np.ndarray,
                    config_yaml: str):
    """The ``summary.nc`` Dataset: ``<var>_mean``, ``_std``, ``_min``, ``_max`` (future,
    time, trend|area) and ``<var>_quantile`` (..., quantile) for ``level`` and ``impact``."""
    import xarray as xr

    from scenarios.engine.dataset import coord, label_coords, name_coordinates, var

    labels = [f.label for f in spec.futures]
    trends, areas = list(spec.world.trends), list(spec.world.areas)
    data = {}
    for name, stats, dim, what in (("level", levels, "trend", "trend level"),
                                   ("impact", impacts, "area", "impact index")):
        dims = ("future", "time", dim)
        data[f"{name}_mean"] = var(dims, stats.mean, f"{what}: mean over members")
        data[f"{name}_std"] = var(dims, stats.std(), f"{what}: standard deviation over "
                                  "members (ddof 0)")
        data[f"{name}_min"] = var(dims, stats.min, f"{what}: smallest member")
        data[f"{name}_max"] = var(dims, stats.max, f"{what}: largest member")
        data[f"{name}_quantile"] = var((*dims, "quantile"), stats.quantiles(),
                                       f"{what}: quantile over members (histogram of "
                                       f"{stats.bins} bins, see {name}_bin_width)")
        data[f"{name}_bin_width"] = var(("future", dim), stats.width,
                                        f"{what}: histogram bin width (quantile error bound)")
        data[f"{name}_outside_bins"] = var(("future", dim), stats.outside,
                                           f"{what}: member-months outside the histogram")
    names = name_coordinates({"future": labels, "trend": trends, "area": areas}, spec.study,
                             unknown="as written", long_names={"area": "impact area"})
    ds = xr.Dataset(
        data_vars=data,
        coords={
            **label_coords(future=labels),
            "time": coord("time", times, "decimal year", "year"),
            "quantile": coord("quantile", np.array(QUANTILES), "quantile level"),
            **label_coords(trend=trends, area=areas),
            **names,
        },
        attrs=run_attrs(spec, config_yaml, " summary"),
    )
    ds.attrs["members"] = spec.members
    ds.attrs["events"] = "enabled" if spec.events is not None else "disabled"
    ds.attrs["store"] = "summary"
    return ds


def write_summary(spec: RunSpec, config: str, output_dir: Path, *, show: bool = True) -> Path:
    """Simulate ``spec`` batch by batch into ``output_dir/summary.nc``."""
    from scenarios.engine.storage import numpy_only, write_atomic

    levels, impacts, times = summarize(replace(spec), show=show)
    with numpy_only():
        ds = summary_dataset(spec, levels, impacts, times, config)
        return write_atomic(ds, output_dir / SUMMARY, compression=spec.compression)
