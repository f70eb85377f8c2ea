"""Sweeps: `futures run -m` ends with one labelled sweep.nc; `futures collect` rebuilds it."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A 2 x 2 sweep over seed and ensemble.members, as a user runs it."""
    from tests.conftest import futures_cli

    out = tmp_path_factory.mktemp("sweep") / "s"
    result = futures_cli("run", "-m", "seed=1,2", "ensemble.members=4,8",
                         "futures=[versnelling,gelijk_speelveld]", f"hydra.sweep.dir={out}")
    assert result.returncode == 0, result.stderr
    return out, result


def test_sweep_ends_with_one_dataset(sweep):
    """One dimension per swept key, named after it, values as coordinates, first."""
    out, result = sweep
    assert result.stdout.strip().splitlines()[-1] == str(out.resolve())
    ds = xr.load_dataset(out / "sweep.nc", engine="h5netcdf")
    assert ds["level"].dims == ("seed", "ensemble.members", "future", "member", "time",
                                "trend")
    assert list(ds["seed"].values) == [1, 2]
    assert list(ds["ensemble.members"].values) == [4, 8]
    assert ds.attrs["swept_keys"] == "seed ensemble.members"
    assert ds.attrs["jobs"] == 4
    assert "seed" not in ds.attrs  # it differs between jobs
    config = ds["job_config"].sel(seed=2, **{"ensemble.members": 8}).item()
    assert "seed: 2" in config and "members: 8" in config


def test_sweep_values_are_the_jobs_values(sweep):
    """Each cell of sweep.nc holds its job's outcomes; smaller ensembles are NaN-padded."""
    out, _ = sweep
    ds = xr.load_dataset(out / "sweep.nc", engine="h5netcdf")
    for job in sorted(p for p in out.iterdir() if p.name.isdigit()):
        run = xr.load_dataset(job / "outcomes.nc", engine="h5netcdf")
        cell = ds["level"].sel(seed=run.attrs["seed"],
                               **{"ensemble.members": run.sizes["member"]})
        np.testing.assert_array_equal(cell.sel(member=run.member).values, run["level"].values)
        if run.sizes["member"] == 4:
            assert np.isnan(cell.sel(member=[4, 5, 6, 7]).values).all()


def test_collect_rebuilds_the_same_dataset(sweep, cli):
    """`futures collect SWEEP_DIR` writes the same sweep.nc again."""
    out, _ = sweep
    before = xr.load_dataset(out / "sweep.nc", engine="h5netcdf")
    (out / "sweep.nc").unlink()
    result = cli("collect", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out.resolve())
    xr.testing.assert_identical(before, xr.load_dataset(out / "sweep.nc", engine="h5netcdf"))


@pytest.mark.parametrize("make", ["missing", "plain"])
def test_collect_refuses_what_is_not_a_sweep(cli, tmp_path, make):
    """A missing folder, or one without multirun.yaml: one line, status 2."""
    target = tmp_path / "nothing"
    if make == "plain":
        target.mkdir()
    result = cli("collect", str(target))
    assert result.returncode == 2
    assert result.stderr.startswith("futures: error: SWEEP_DIR=")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("launcher", ["parallel", "submitit_local"])
def test_real_launchers(cli, tmp_path, launcher):
    """The joblib preset and submitit's local executor run a sweep and collect it."""
    out = tmp_path / launcher
    result = cli("run", "-m", f"hydra/launcher={launcher}", "seed=1,2", "ensemble.members=8",
                 "futures=[radicale_markten]", f"hydra.sweep.dir={out}")
    assert result.returncode == 0, result.stderr
    assert "futures: sweep of 2 jobs; the first runs 1 futures x 8 members" in result.stderr
    ds = xr.load_dataset(out / "sweep.nc", engine="h5netcdf")
    assert ds["level"].dims[0] == "seed" and list(ds["seed"].values) == [1, 2]
    serial = cli("run", "seed=2", "ensemble.members=8", "futures=[radicale_markten]",
                 f"hydra.run.dir={tmp_path / 'serial'}")
    assert serial.returncode == 0
    one = xr.load_dataset(tmp_path / "serial" / "outcomes.nc", engine="h5netcdf")
    np.testing.assert_array_equal(ds["level"].sel(seed=2).values, one["level"].values)


def test_kill_and_resume(tmp_path):
    """kill -9 mid-sweep, then the same command + resume=true: only missing jobs run.

    1,000 members of two futures make a job last a few tenths of a second (a few seconds
    under load), far longer than the 50 ms between two looks for job 0's outcomes: the kill
    lands before the last job is done (asserted below)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    exe = str(Path(sys.executable).with_name("futures"))
    out = tmp_path / "sweep"
    command = [exe, "run", "-m", "seed=1,2,3,4", "ensemble.members=1000",
               "futures=[versnelling,gelijk_speelveld]", f"hydra.sweep.dir={out}"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out / "0" / "outcomes.nc").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = sorted(p.parent.name for p in out.glob("*/outcomes.nc"))
    assert "0" in done_before and len(done_before) < 4, done_before
    assert not (out / "sweep.nc").exists()
    first = (out / "0" / "outcomes.nc").stat().st_mtime_ns

    from tests.conftest import futures_cli

    collected = futures_cli("collect", str(out))  # a partial sweep collects, and says so
    assert collected.returncode == 0
    assert "jobs left no outcomes" in collected.stderr and "resume=true" in collected.stderr

    result = futures_cli(*command[1:], "resume=true")
    assert result.returncode == 0, result.stderr
    assert (out / "0" / "outcomes.nc").stat().st_mtime_ns == first  # not run again
    assert sorted(p.parent.name for p in out.glob("*/outcomes.nc")) == ["0", "1", "2", "3"]
    assert not list(out.rglob("*.tmp"))
    ds = xr.load_dataset(out / "sweep.nc", engine="h5netcdf")
    assert list(ds["seed"].values) == [1, 2, 3, 4] and ds.attrs["missing_jobs"] == ""
    # the resumed sweep equals an uninterrupted one
    fresh = tmp_path / "fresh"
    assert futures_cli(*command[1:-1], f"hydra.sweep.dir={fresh}").returncode == 0
    xr.testing.assert_equal(ds["level"],
                            xr.load_dataset(fresh / "sweep.nc", engine="h5netcdf")["level"])
