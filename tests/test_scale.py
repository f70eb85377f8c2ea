"""Scale: batches, zarr streaming, a real Dask cluster, progress bars and failed sweep jobs."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from models.events import DRAW_BLOCK, draw_pools
from scenarios.config.compose import load
from scenarios.engine.batches import plan, simulate_dataset
from scenarios.engine.simulate import event_rngs
from scenarios.engine.storage import open_outcomes
from tests.conftest import ROOT

SMALL = ["ensemble.members=3000", "seed=3"]  # three batches of 1024 and a short one


def assert_same_numbers(a: xr.Dataset, b: xr.Dataset) -> None:
    """Every variable and coordinate equal bit for bit (configs may differ)."""
    assert set(a.variables) == set(b.variables)
    for name in a.variables:
        x, y = a[name].values, b[name].values
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert {k: v for k, v in a.attrs.items() if k != "config"} == \
        {k: v for k, v in b.attrs.items() if k != "config"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small run written the default way: one batch, in memory, outcomes.nc."""
    from tests.conftest import futures_cli

    out = tmp_path_factory.mktemp("ref")
    result = futures_cli("run", *SMALL, "ensemble.batch=8192", f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    return xr.load_dataset(out / "outcomes.nc", engine="h5netcdf")


def test_event_draws_belong_to_members():
    """Any slice of members draws exactly what the whole ensemble draws for them."""
    _, spec = load(["ensemble.members=10"])
    n = 2 * DRAW_BLOCK + 100
    whole = draw_pools(spec.events, n, event_rngs(spec))
    for start, stop in [(0, 5), (DRAW_BLOCK - 3, DRAW_BLOCK + 7), (n - 50, n)]:
        part = draw_pools(spec.events, stop - start, event_rngs(spec), start=start)
        for name in ("thresholds", "sizes", "windows"):
            np.testing.assert_array_equal(getattr(part, name),
                                          getattr(whole, name)[..., start:stop])


def test_batches_give_the_same_numbers_in_memory(reference):
    """Batches of 1024 joined in memory equal one batch of 3000, events included."""
    _cfg, spec = load([*SMALL, "ensemble.batch=1024"])
    assert plan(spec) == [(0, 1024), (1024, 2048), (2048, 3000)]
    assert_same_numbers(simulate_dataset(spec, reference.attrs["config"]), reference)


def test_batch_must_fit_the_blocks(cli):
    for bad, says in [("ensemble.batch=1000", "multiple of ensemble.chunk (1024)"),
                      ("ensemble.chunk=12", "multiple of 8"),
                      ("ensemble.backend=spark", "backend not found"),
                      ("ensemble.scheduler=localhost", "tcp://host:8786"),
                      ("output.format=hdf", "format not found")]:
        result = cli("run", bad, "hydra.run.dir=/nonexistent/never")
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    # without output.format, dask picks zarr (tests/test_hardening.py); asked for netCDF: no
    result = cli("run", "ensemble.backend=dask", "output.format=netcdf",
                 "hydra.run.dir=/nonexistent/never")
    assert result.returncode == 2 and "output.format=zarr" in result.stderr


def test_zarr_streams_batches_to_the_same_numbers(cli, tmp_path, reference):
    """output.format=zarr writes outcomes.zarr batch by batch; numbers equal the netCDF's."""
    result = cli("run", *SMALL, "ensemble.batch=1024", "output.format=zarr",
                 f"hydra.run.dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hydra", "outcomes.zarr"]
    with open_outcomes(tmp_path / "outcomes.zarr") as ds:
        assert ds["level"].encoding["chunks"] == (1, 1024, 109, 11)
        assert "format: zarr" in ds.attrs["config"]
        assert_same_numbers(ds.load(), reference)


def test_dask_local_cluster_gives_the_same_numbers(cli, tmp_path, reference):
    """ensemble.backend=dask on a LocalCluster it starts itself: bit for bit the same."""
    result = cli("run", *SMALL, "ensemble.batch=1024", "output.format=zarr",
                 "ensemble.backend=dask", "ensemble.workers=2", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    with open_outcomes(tmp_path / "outcomes.zarr") as ds:
        assert_same_numbers(ds.load(), reference)


def test_dask_scheduler_address(tmp_path, reference):
    """A running cluster, named by its scheduler address, computes the batches."""
    from dask.distributed import Client, LocalCluster

    from tests.conftest import futures_cli

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        result = futures_cli("run", *SMALL, "ensemble.batch=1024", "output.format=zarr",
                             "ensemble.backend=dask", f"ensemble.scheduler={cluster.scheduler_address}",
                             f"hydra.run.dir={tmp_path}")
        assert result.returncode == 0, result.stderr
        done = client.run_on_scheduler(
            lambda dask_scheduler: sum(1 for t in dask_scheduler.transition_log
                                       if t[2] == "memory" and "_dask_batch" in str(t[0])))
    assert done >= 2  # batches 2 and 3 (and 4) ran on the cluster, not in the client
    with open_outcomes(tmp_path / "outcomes.zarr") as ds:
        assert_same_numbers(ds.load(), reference)


def test_zarr_rerun_replaces_whole_store(cli, tmp_path):
    """A second run into the same folder replaces outcomes.zarr whole, leaving no temp."""
    for seed in (1, 2):
        result = cli("run", "ensemble.members=16", f"seed={seed}", "output.format=zarr",
                     f"hydra.run.dir={tmp_path}")
        assert result.returncode == 0, result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".old"))]
    with open_outcomes(tmp_path / "outcomes.zarr") as ds:
        assert ds.attrs["seed"] == 2 and ds.sizes["member"] == 16


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the `futures` command with stderr on a pseudo-terminal 100 columns wide."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    exe = Path(sys.executable).with_name("futures")
    proc = subprocess.Popen([str(exe), *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=slave, stdin=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the pty closes when the process ends
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=300), b"".join(chunks).decode(errors="replace")


def test_progress_bar_only_on_a_terminal(cli, tmp_path):
    """A long run shows a progress bar on a terminal and nothing of it in a pipe."""
    args = ["run", "ensemble.members=4096", "ensemble.batch=1024", "futures=[versnelling]",
            "events.enabled=false"]
    status, shown = _on_a_terminal([*args, f"hydra.run.dir={tmp_path / 'tty'}"], ROOT)
    assert status == 0, shown
    assert "futures: run:" in shown and "/4.10k" in shown and "members/s" in shown
    piped = cli(*args, f"hydra.run.dir={tmp_path / 'pipe'}")
    assert piped.returncode == 0 and "futures: run" not in piped.stderr
    assert "%|" not in piped.stderr


def test_sweep_progress_on_a_terminal(tmp_path):
    status, shown = _on_a_terminal(["run", "-m", "seed=1,2,3", "ensemble.members=8",
                                    f"hydra.sweep.dir={tmp_path / 's'}"], ROOT)
    assert status == 0, shown
    assert "futures: sweep" in shown and "/3" in shown and "jobs" in shown


def test_failed_job_is_reported_and_the_others_kept(cli, tmp_path):
    """A job that raises (an unreachable scheduler) is named at the end with its error;
    the other job's outcomes are collected; the exit status is 1."""
    out = tmp_path / "s"
    env_var = "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"
    os.environ[env_var] = "2s"
    try:
        result = cli("run", "-m", "ensemble.members=16", "output.format=zarr",
                     "ensemble.backend=dask", "ensemble.scheduler=tcp://127.0.0.1:9,null",
                     f"hydra.sweep.dir={out}")
    finally:
        del os.environ[env_var]
    assert result.returncode == 1, result.stderr
    lines = [x for x in result.stderr.splitlines() if x.startswith("futures: ")]
    assert any(x.startswith("futures: job 0 (") and "failed: ConfigError: "
               "ensemble.scheduler='tcp://127.0.0.1:9': cannot reach a Dask scheduler" in x
               for x in lines), result.stderr
    assert any("1 of 2 jobs failed" in x and "resume=true" in x for x in lines)
    assert (out / "0" / "error.txt").read_text().startswith("ConfigError: ")
    assert not (out / "0" / "outcomes.zarr").exists()
    assert (out / "1" / "outcomes.zarr").is_dir() and (out / "sweep.zarr").is_dir()
    again = cli("collect", str(out))
    assert again.returncode == 1 and "failed: ConfigError" in again.stderr
