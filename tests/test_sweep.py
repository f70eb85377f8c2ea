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
