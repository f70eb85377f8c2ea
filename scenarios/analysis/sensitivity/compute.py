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
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
from omegaconf import DictConfig

from models.ensemble import parameters, run
from scenarios import __version__
from scenarios.analysis.sensitivity.sobol import Indices, saltelli_design, sobol_indices
from scenarios.config.checks import expect, integer, label, number
from scenarios.config.compose import check
from scenarios.config.schema import RunSpec
from scenarios.engine.simulate import event_rngs
from scenarios.engine.storage import write_atomic
from scenarios.figures.style import LANGUAGES

log = logging.getLogger("futures")
RESULT = "sensitivity.nc"
#: Outputs in order: the trend levels, then the impact areas.


def outputs(spec: RunSpec) -> tuple[str, ...]:
    """The analysed outputs: every trend level, then every impact area, of the study."""
    return spec.world.trends + spec.world.areas
#: Largest base sample (2**16): memory of one matrix run stays bounded by the member chunks.
MAX_SAMPLES = 65536
#: Memory the model outputs and bootstrap counts of one analysis may take (bytes).
MEMORY_LIMIT = 2 * 2**30
#: Members simulated per model call (event draws are addressed by member, so chunks do not
#: change results).
RUN_CHUNK = 4096


USAGE = """\
usage: futures sensitivity [KEY=VALUE ...] [hydra.run.dir=DIR]

Sobol first-order (S1) and total-order (ST) indices of every trend level and impact area
with respect to every uncertain parameter (conf/uncertainties.yaml), per future and year,
with percentile-bootstrap intervals. Costs samples x (parameters + 2) model runs per future.
Writes sensitivity.nc, sensitivity_heatmap.png/.pdf and sensitivity_time.png/.pdf into the
run directory and prints that directory as the last line. See docs/sensitivity.md.

Keys (and every key of `futures run --help`):
  sensitivity.samples=INT       base samples N, a power of two (default 1024)
  sensitivity.bootstrap=INT     bootstrap replicates for the intervals (default 1000)
  sensitivity.confidence=X      interval level in (0, 1) (default 0.95)
  sensitivity.years=[Y,...]     years to analyse (default every year 2022..2030)
  sensitivity.events=BOOL       events on with common random numbers (default false)
  sensitivity.output=LABEL      trend or area of the over-time figure (default brede_welvaart)
  sensitivity.top=INT           parameters in the over-time figure (default 4)
  sensitivity.lang=nl|en        language of the figures' labels (default en)

examples:
  futures sensitivity
  futures sensitivity sensitivity.samples=256 futures=[versnelling] hydra.run.dir=runs/s
  futures sensitivity sensitivity.events=true sensitivity.output=autonomisering
"""


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
    matrices = len(spec.uncertainties) + 3  # A, B, one per parameter, one for the events
    need = 8 * samples * (matrices * len(spec.futures) * len(years) * len(outputs(spec)) + boot)
    expect(need <= MEMORY_LIMIT, "sensitivity.samples", samples,
           f"this analysis would hold {need / 2**30:.1f} GiB of model outputs and bootstrap "
           f"counts, more than {MEMORY_LIMIT / 2**30:.0f} GiB; use fewer samples, years, "
           "futures or bootstrap replicates")
    return Settings(samples, boot, level, years, bool(events), output, top, lang)


def check_config(cfg: DictConfig) -> None:
    """Validate a composed config for ``futures sensitivity`` (before Hydra makes a folder)."""
    settings(cfg, check(cfg))


def _rng(seed: int, purpose: str) -> np.random.Generator:
    """A generator for one purpose of this analysis, a child of the run's ``seed``."""
    key = zlib.crc32(f"sensitivity:{purpose}".encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


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
        outcome = run(world, spec.futures, members, hi - lo,
                      events=spec.events if with_events else None,
                      rngs=event_rngs(spec) if with_events else None,
                      member_start=member_start + lo, chunk=spec.chunk, threads=spec.threads)
        out[:, :, :len(world.trends), lo:hi] = outcome.levels[:, steps]
        out[:, :, len(world.trends):, lo:hi] = outcome.impacts[:, steps]
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
    design = saltelli_design(sets.samples, len(names), rng=_rng(spec.seed, "design"))
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
                        confidence=sets.confidence, rng=_rng(spec.seed, "bootstrap"))
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
        return dims, np.moveaxis(values, 0, -1), {"units": "1", "long_name": what}

    trends, outs = len(spec.world.trends), outputs(spec)
    kinds = ["trend"] * trends + ["area"] * len(spec.world.areas)
    by_name = {u.name: u for u in spec.uncertainties}
    low = [by_name[p].bounds[0] if p in by_name else np.nan for p in names]
    high = [by_name[p].bounds[1] if p in by_name else np.nan for p in names]
    known = parameters(spec.world.trends)
    units = [known[p][1] if p in known else "1" for p in names]
    from scenarios.figures.style import display_name

    labels = [f.label for f in spec.futures]
    return xr.Dataset(
        data_vars={
            "S1": index(res.S1, "first-order Sobol index (Saltelli 2010 estimator)"),
            "ST": index(res.ST, "total-order Sobol index (Jansen estimator)"),
            "S1_low": index(res.S1_low, f"lower bound of the {pct} percentile-bootstrap "
                                        "interval of S1"),
            "S1_high": index(res.S1_high, f"upper bound of the {pct} percentile-bootstrap "
                                          "interval of S1"),
            "ST_low": index(res.ST_low, f"lower bound of the {pct} percentile-bootstrap "
                                        "interval of ST"),
            "ST_high": index(res.ST_high, f"upper bound of the {pct} percentile-bootstrap "
                                          "interval of ST"),
            "variance": (dims[:3], res.variance, {
                "units": "1", "long_name": "variance of the output over the A and B samples"}),
            "mean": (dims[:3], res.mean, {
                "units": "1", "long_name": "mean of the output over the A and B samples"}),
        },
        coords={
            "future": ("future", labels, {"long_name": "future label"}),
            "year": ("year", np.array(sets.years), {"units": "year",
                                                    "long_name": "calendar year (1 January)"}),
            "output": ("output", list(outs), {
                "long_name": "trend level (trend label) or impact index (area label)"}),
            "output_kind": ("output", kinds, {"long_name": "trend or area"}),
            "output_name_nl": ("output", [display_name(o, "nl", spec.study) for o in outs],
                               {"long_name": "output name (Dutch)"}),
            "output_name_en": ("output", [display_name(o, "en", spec.study) for o in outs],
                               {"long_name": "output name (English)"}),
            "parameter": ("parameter", names, {"long_name": "uncertain parameter"}),
            "parameter_units": ("parameter", units, {"long_name": "units of the parameter"}),
            "parameter_low": ("parameter", np.array(low), {
                "units": "various (see parameter_units)",
                "long_name": "smallest sampled value (NaN for events)"}),
            "parameter_high": ("parameter", np.array(high), {
                "units": "various (see parameter_units)",
                "long_name": "largest sampled value (NaN for events)"}),
            "future_name_nl": ("future", [display_name(f, "nl") for f in labels],
                               {"long_name": "future name (Dutch)"}),
            "future_name_en": ("future", [display_name(f, "en") for f in labels],
                               {"long_name": "future name (English)"}),
        },
        attrs={
            "title": "futures: Sobol sensitivity indices per future and year",
            "method": "Saltelli design on a scrambled Sobol sequence; S1 Saltelli (2010), ST "
                      "Jansen (1999); percentile bootstrap over sample rows",
            "samples": sets.samples,
            "model_runs_per_future": runs,
            "bootstrap": sets.bootstrap,
            "confidence": sets.confidence,
            "events": "common random numbers" if sets.events else "disabled",
            "futures_version": __version__,
            "seed": spec.seed,
            "config": config_yaml,
        },
    )


def sensitivity_job(cfg: DictConfig, output_dir: Path) -> Path:
    """``futures sensitivity``: write ``sensitivity.nc`` and its figures into ``output_dir``."""
    spec = check(cfg)
    sets = settings(cfg, spec)
    from scenarios.analysis.sensitivity.report import plot_all
    from scenarios.engine.app import config_text

    res, names, runs = analyse(spec, sets)
    ds = to_dataset(spec, sets, res, names, runs, config_text(cfg))
    path = write_atomic(ds, output_dir / RESULT, compression=spec.compression)
    log.info("wrote %s", path)
    for figure in plot_all(ds, output_dir, output=sets.output, top=sets.top, lang=sets.lang):
        log.info("wrote %s", figure)
    return path

