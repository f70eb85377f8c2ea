"""``futures sensitivity``: Sobol indices of every trend and impact area, per future and year.

For every uncertain parameter of the run (``uncertainties`` in the config), every future and
every chosen year, the first-order (S1) and total-order (ST) Sobol index of each of the 16
outputs (the eleven trend levels and the five impact indices) with percentile-bootstrap
intervals (:mod:`scenarios.analysis.sensitivity.sobol`). The design is Saltelli's: ``samples x (d + 2)`` model runs
per future, the same parameter rows in every future, drawn from a scrambled Sobol sequence in
the unit cube and mapped through each parameter's distribution.

Events. With ``sensitivity.events=false`` (the default) the model is the continuous one and
each output is a deterministic function of the parameters. With ``true`` the discrete events
run with *common random numbers*: row ``j`` of every matrix draws the same event randomness
(the event draws belong to member index ``j``, :func:`models.events.draw_pools`), so the
matrices differ only in their parameters. The event draws then act as one more input that
is never resampled between ``A`` and ``B``; an extra run of ``A`` with other event draws
(members ``n .. 2n-1``) gives the total-order index of the events themselves (parameter
``events``; its S1 is not estimable in this design and is NaN). See docs/sensitivity.md.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
from omegaconf import DictConfig

from models.ensemble import parameters
from scenarios.analysis.sensitivity.sobol import (
    BLOCK_BYTES,
    Indices,
    saltelli_design,
    sobol_indices,
)
from scenarios.config.checks import expect, integer, label, number
from scenarios.config.compose import check, config_text
from scenarios.config.schema import RunSpec
from scenarios.engine.dataset import coord, label_coords, name_coordinates, provenance, var
from scenarios.engine.names import SENSITIVITY
from scenarios.engine.seeds import named_rng
from scenarios.engine.simulate import simulate
from scenarios.engine.storage import write_atomic
from scenarios.figures.style import LANGUAGES

log = logging.getLogger("futures")
RESULT = SENSITIVITY
#: Outputs in order: the trend levels, then the impact areas.


def outputs(spec: RunSpec) -> tuple[str, ...]:
    """The analysed outputs: every trend level, then every impact area, of the study."""
    return spec.world.trends + spec.world.areas
#: Largest base sample (2**16): memory of one matrix run stays bounded by the member chunks.
MAX_SAMPLES = 65536
#: Memory the arrays of one analysis may take (bytes; :func:`memory_needed`). The process
#: itself adds about 0.4 GB (measured: 0.88 GB peak resident at N = 256, 2.0 GB at 1024).
MEMORY_LIMIT = 4 * 2**30
#: Members simulated per model call (event draws are addressed by member, so chunks do not
#: change results).
RUN_CHUNK = 4096


@dataclass(frozen=True)
class Settings:
    """The validated ``sensitivity`` section."""

    samples: int
    bootstrap: int
    confidence: float
    years: tuple[int, ...]
    events: bool
    output: str
    top: int
    lang: str = "en"


def settings(cfg: DictConfig, spec: RunSpec) -> Settings:
    """Check the ``sensitivity`` section of a composed config.

    Parameters
    ----------
    cfg : DictConfig
        The composed config (``conf/sensitivity.yaml`` and the overrides).
    spec : RunSpec
        The validated run: its time grid, events and outputs.

    Returns
    -------
    Settings

    Raises
    ------
    ConfigError
        Naming the key, the bad value and what is allowed.
    """
    node = cfg.sensitivity
    samples = integer("sensitivity.samples", node.samples, 2, MAX_SAMPLES)
    expect(samples & (samples - 1) == 0, "sensitivity.samples", samples,
           "expected a power of two (e.g. 256, 1024, 4096) for the Sobol design")
    boot = integer("sensitivity.bootstrap", node.bootstrap, 10, 100_000)
    level = number("sensitivity.confidence", node.confidence, 0.0, 1.0, open_low=True,
                   open_high=True)
    world = spec.world
    first, last = int(np.floor(world.start)) + 1, int(np.floor(world.end + 1e-9))
    allowed = f"whole years from {first} to {last} on the time grid (time.start..time.end)"
    if node.years is None:
        years = tuple(range(first, last + 1))
    else:
        years = tuple(integer("sensitivity.years", y, first, last) for y in node.years)
        expect(len(years) > 0, "sensitivity.years", list(node.years), allowed)
        expect(len(set(years)) == len(years) and list(years) == sorted(years),
               "sensitivity.years", list(years), "expected increasing years, each once")
    for y in years:
        steps = (y - world.start) * world.steps_per_year
        expect(y > world.start and abs(steps - round(steps)) < 1e-6, "sensitivity.years", y,
               allowed)
    expect(len(years) > 0, "sensitivity.years", [], allowed)
    events = node.events
    expect(isinstance(events, bool), "sensitivity.events", events, "expected true or false")
    expect(not events or spec.events is not None, "sensitivity.events", events,
           "events are off in this run (events.enabled=false); use sensitivity.events=false")
    output = label("sensitivity.output", node.output or spec.world.areas[0], outputs(spec),
                   "trend or area")
    top = integer("sensitivity.top", node.top, 1, 12)
    lang = label("sensitivity.lang", node.lang, LANGUAGES, "language")
    need = memory_needed(spec, samples, len(years), boot)
    expect(need <= MEMORY_LIMIT, "sensitivity.samples", samples,
           f"this analysis would hold {need / 2**30:.1f} GiB of designs, model outputs and "
           f"bootstrap counts, more than {MEMORY_LIMIT / 2**30:.0f} GiB; use fewer samples, "
           "years, futures or bootstrap replicates")
    return Settings(samples, boot, level, years, bool(events), output, top, lang)


def memory_needed(spec: RunSpec, samples: int, n_years: int, bootstrap: int) -> int:
    """Bytes of the analysis's largest moment: the design (d + 2 matrices of N x d), the
    model outputs of every matrix twice (:func:`sobol_indices` centres a copy), the bootstrap
    counts and one estimation block."""
    d = len(spec.uncertainties)
    matrices = d + 3  # A, B, one per parameter, one for the events
    outputs_bytes = 8 * samples * matrices * len(spec.futures) * n_years * len(outputs(spec))
    return 8 * samples * (d + 2) * d + 2 * outputs_bytes + 8 * samples * bootstrap + BLOCK_BYTES


def check_config(cfg: DictConfig) -> None:
    """Validate a composed config for ``futures sensitivity`` (before Hydra makes a folder)."""
    settings(cfg, check(cfg))


def evaluate(spec: RunSpec, unit: np.ndarray, sets: Settings, *,
             member_start: int = 0) -> np.ndarray:
    """Run the model on rows of unit-cube points; outputs at the chosen years.

    Parameters
    ----------
    spec : RunSpec
    unit : ndarray, shape (n, d)
        Points in [0, 1) for the ``d`` uncertain parameters of ``spec``, in their order.
    sets : Settings
    member_start : int
        Member index of the first row: with events, row ``j`` draws the events of member
        ``member_start + j`` (common random numbers across matrices at the same start).

    Returns
    -------
    ndarray, shape (F, years, 16, n)
        Trend levels then impact indices, per future, year and row.
    """
    world, n = spec.world, unit.shape[0]
    times = world.times()
    steps = [round((y - world.start) * world.steps_per_year) for y in sets.years]
    assert np.allclose(times[steps], sets.years)
    out = np.empty((len(spec.futures), len(steps), len(outputs(spec)), n))
    with_events = sets.events and spec.events is not None
    for lo in range(0, n, RUN_CHUNK):
        hi = min(n, lo + RUN_CHUNK)
        members = {u.name: np.broadcast_to(u.ppf(unit[lo:hi, k]), (len(spec.futures), hi - lo))
                   for k, u in enumerate(spec.uncertainties)}
        outcome, _ = simulate(spec, members=members, n_members=hi - lo, events=with_events,
                              member_start=member_start + lo, precision="float64",
                              keep=np.asarray(steps))  # only the years analysed are stored
        out[:, :, :len(world.trends), lo:hi] = outcome.levels
        out[:, :, len(world.trends):, lo:hi] = outcome.impacts
    return out


def analyse(spec: RunSpec, sets: Settings) -> tuple[Indices, list[str], int]:
    """Sample, simulate and estimate: the indices, the parameter names and the model runs.

    Returns
    -------
    Indices
        Arrays of shape (parameter, future, year, output).
    list of str
        The parameters (plus ``"events"`` with ``sets.events``).
    int
        Model runs per future.
    """
    names = [u.name for u in spec.uncertainties]
    expect(len(names) > 0, "uncertainties", "{}",
           "sensitivity needs at least one uncertain parameter")
    design = saltelli_design(sets.samples, len(names), rng=named_rng(spec.seed, "sensitivity:design"))
    started = time.perf_counter()
    y = np.stack([evaluate(spec, matrix, sets) for matrix in design])
    if sets.events:  # A again with other event draws: the events' own total-order index
        other = evaluate(spec, design[0], sets, member_start=sets.samples)
        y = np.concatenate([y, other[None]])
        names = [*names, "events"]
    log.info("sensitivity: %d model runs per future in %.1f s", y.shape[0] * sets.samples,
             time.perf_counter() - started)
    started = time.perf_counter()
    res = sobol_indices(y[0], y[1], y[2:], bootstrap=sets.bootstrap,
                        confidence=sets.confidence, rng=named_rng(spec.seed, "sensitivity:bootstrap"))
    if sets.events:  # the events' slab: only the Jansen total-order estimator applies
        for arr in (res.S1, res.S1_low, res.S1_high):
            arr[-1] = np.nan
    log.info("sensitivity: indices and %d bootstrap replicates in %.1f s", sets.bootstrap,
             time.perf_counter() - started)
    return res, names, y.shape[0] * sets.samples


def to_dataset(spec: RunSpec, sets: Settings, res: Indices, names: list[str], runs: int,
               config_yaml: str) -> xr.Dataset:
    """Label the indices as the ``sensitivity.nc`` Dataset.

    Returns
    -------
    xarray.Dataset
        dims ``future, year, output, parameter``; variables ``S1``, ``ST``, ``S1_low``,
        ``S1_high``, ``ST_low``, ``ST_high`` (future, year, output, parameter), ``variance``
        and ``mean`` (future, year, output); attrs ``config``, ``seed``, ``futures_version``.
    """
    dims = ("future", "year", "output", "parameter")
    pct = f"{100 * sets.confidence:g}%"

    def index(values: np.ndarray, what: str) -> tuple:
        return var(dims, np.moveaxis(values, 0, -1), what)

    def bound(which: str, of: str) -> str:
        return f"{which} bound of the {pct} percentile-bootstrap interval of {of}"

    trends, outs = len(spec.world.trends), outputs(spec)
    kinds = ["trend"] * trends + ["area"] * len(spec.world.areas)
    by_name = {u.name: u for u in spec.uncertainties}
    low = [by_name[p].bounds[0] if p in by_name else np.nan for p in names]
    high = [by_name[p].bounds[1] if p in by_name else np.nan for p in names]
    known = parameters(spec.world)
    units = [known[p][1] if p in known else "1" for p in names]
    labels = [f.label for f in spec.futures]
    various = "various (see parameter_units)"
    return xr.Dataset(
        data_vars={
            "S1": index(res.S1, "first-order Sobol index (Saltelli 2010 estimator)"),
            "ST": index(res.ST, "total-order Sobol index (Jansen estimator)"),
            "S1_low": index(res.S1_low, bound("lower", "S1")),
            "S1_high": index(res.S1_high, bound("upper", "S1")),
            "ST_low": index(res.ST_low, bound("lower", "ST")),
            "ST_high": index(res.ST_high, bound("upper", "ST")),
            "variance": var(dims[:3], res.variance,
                            "variance of the output over the A and B samples"),
            "mean": var(dims[:3], res.mean, "mean of the output over the A and B samples"),
        },
        coords={
            **label_coords(future=labels),
            "year": coord("year", np.array(sets.years), "calendar year (1 January)", "year"),
            "output": coord("output", list(outs),
                            "trend level (trend label) or impact index (area label)"),
            "output_kind": coord("output", kinds, "trend or area"),
            **name_coordinates({"output": list(outs)}, spec.study),
            "parameter": coord("parameter", names, "uncertain parameter"),
            "parameter_units": coord("parameter", units, "units of the parameter"),
            "parameter_low": coord("parameter", np.array(low),
                                   "smallest sampled value (NaN for events)", various),
            "parameter_high": coord("parameter", np.array(high),
                                    "largest sampled value (NaN for events)", various),
            **name_coordinates({"future": labels}, spec.study),
        },
        attrs=provenance(
            "futures: Sobol sensitivity indices per future and year", spec.seed, config_yaml,
            method="Saltelli design on a scrambled Sobol sequence; S1 Saltelli (2010), ST "
                   "Jansen (1999); percentile bootstrap over sample rows",
            samples=sets.samples, model_runs_per_future=runs, bootstrap=sets.bootstrap,
            confidence=sets.confidence,
            events="common random numbers" if sets.events else "disabled"),
    )


def sensitivity_job(cfg: DictConfig, output_dir: Path) -> Path:
    """``futures sensitivity``: write ``sensitivity.nc`` and its figures into ``output_dir``."""
    from scenarios.analysis.sensitivity.report import plot_all

    spec = check(cfg)
    sets = settings(cfg, spec)
    res, names, runs = analyse(spec, sets)
    ds = to_dataset(spec, sets, res, names, runs, config_text(cfg))
    path = write_atomic(ds, output_dir / RESULT, compression=spec.compression)
    log.info("wrote %s", path)
    for figure in plot_all(ds, output_dir, output=sets.output, top=sets.top, lang=sets.lang):
        log.info("wrote %s", figure)
    return path
