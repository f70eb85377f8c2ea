"""The engine's commands: ``futures run`` (with ``-m``, a sweep) and ``futures collect``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.engine.command import Command

if TYPE_CHECKING:
    from omegaconf import DictConfig

RUN_USAGE = """\
usage: futures run [-m] [KEY=VALUE ...] [hydra.run.dir=DIR]

Simulates every chosen future as a Monte Carlo ensemble from 2021 to 2030 (monthly KSIM
steps), writes outcomes.nc (an xarray/netCDF dataset: level(future, member, time, trend),
impact(future, member, time, area), the sampled parameters, the events of every member,
the resolved config, seed and version) into the run directory, and prints that directory
as the last line on stdout.

Overrides use Hydra's grammar (KEY=VALUE, +KEY=VALUE to add, ~KEY to delete):
  seed=INT                      one seed for everything (default 2021); same seed, same data
  ensemble.members=INT          members per future (default 1000)
  ensemble.design=NAME          latin_hypercube (default) | sobol (members a power of two)
  ensemble.nominal=BOOL         true: no sampling, every member nominal
  ensemble.prior=BOOL           true: members from the prior ranges, not the stored posterior
  futures=[A,B,...]             which futures (default all four)
  future.LABEL.ownership=X      0 shareholder .. 1 stakeholder model
  future.LABEL.purpose=X        0 economic growth .. 1 broad welfare
  initial.TREND=X               2021 level in (0, 1)
  cross_impact.ROW.COLUMN=X     impact of COLUMN on trend ROW per year (see conf/cross_impact.yaml)
  levers.LEVER=X                lever setting in [0, 1] (reference 0.5)
  events.enabled=BOOL           discrete events on (default) or off (the continuous model)
  events.hazards.KIND.rate=X    cyber_incident | crypto_crash | stack_split, per year
  ~events.eu_rules              run without the EU rules (see conf/events.yaml)
  output.precision=float32|float64, output.compression=0..9
  output.format=netcdf|zarr     zarr: outcomes.zarr, streamed batch by batch (big ensembles)
  output.store=members|summary summary: summary.nc, quantiles, mean and spread per future,
                                month and trend/area, streamed without storing members
  ensemble.batch=INT            members per batch (default 8192, a multiple of ensemble.chunk)
  ensemble.backend=local|dask   dask: batches on a dask.distributed cluster (with zarr)
  ensemble.kernel=numpy|numba   numba: the compiled step (numba, installed with futures),
                                equal to numpy within 1e-12, 1.8-3x faster simulation
  ensemble.scheduler=ADDRESS    dask: tcp://host:8786 of a running cluster (default: a local
                                cluster of ensemble.workers processes)
  resume=true                   skip jobs whose folder already holds this config's outcomes
  hydra.run.dir=DIR             where to write (default runs/<date>/<time>)

examples:
  futures run
  futures run ensemble.members=200 seed=7
  futures run futures=[radicale_markten,gelijk_speelveld] hydra.run.dir=runs/rm_gs
  futures run '+future.halfway={ownership:0.45,purpose:0.5}' 'futures=[versnelling,halfway]'
  futures run events.enabled=false               the continuous model, no events
  futures run ensemble.members=1000000 output.format=zarr ensemble.backend=dask
  futures run --cfg job          print the composed configuration and exit (Hydra)

Bad input ends with one line on stderr naming the key, the value and what is allowed,
exit status 2, and nothing written.
"""

COLLECT_USAGE = ("usage: futures collect SWEEP_DIR\n\nStacks the jobs of a `futures run -m` "
                 "sweep into SWEEP_DIR/sweep.nc (sweep.zarr when the jobs wrote zarr), one "
                 "dimension per swept key, and prints SWEEP_DIR. Jobs that failed are named; "
                 "then the exit status is 1.")


def run_job(cfg: DictConfig, output_dir: Path, *, progress: bool) -> object:
    """``futures run``: :func:`scenarios.engine.app.run_job`."""
    from scenarios.engine.app import run_job as job

    return job(cfg, output_dir, progress=progress)


def collect_main(args: list[str]) -> int:
    """``futures collect SWEEP_DIR``: :func:`scenarios.engine.sweep.collect_command`."""
    from scenarios.engine.sweep import collect_command

    return collect_command(args, COLLECT_USAGE)


RUN = Command("run", RUN_USAGE, job=run_job, sweeps=True)
COLLECT = Command("collect", COLLECT_USAGE, main=collect_main)
