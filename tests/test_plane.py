"""`futures plane`: grid shape, futures marked, spread drivers, common members, gradient,
the command end to end, bad input and reproducibility."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pytest
import xarray as xr
from omegaconf import OmegaConf

from scenarios.analysis.plane.compute import check_config, evaluate, gradient, plane_of, to_dataset
from scenarios.analysis.plane.report import figure
from scenarios.config.compose import load, normalize
from scenarios.config.errors import ConfigError
from scenarios.config.study import default_study
from scenarios.figures.style import future_colour
from tests.twice import assert_wrote, twice_into

STUDY = default_study()


def plane_for(overrides):
    """The plane in-process: its dataset, as the command builds it."""
    cfg, spec = load(normalize(overrides))
    config = OmegaConf.to_container(cfg, resolve=True)
    events = config["events"] if spec.events is not None else None
    plane = plane_of(cfg, spec)
    axis, grid, own, fields = evaluate(spec, plane, events)
    return spec, to_dataset(spec, plane, axis, grid, own, fields, OmegaConf.to_yaml(cfg))


@pytest.fixture(scope="module")
def small_plane():
    return plane_for(["plane.grid=5", "plane.members=8"])


def test_grid_shape_and_axes(small_plane):
    spec, ds = small_plane
    assert ds.outcome.dims == ("ownership", "purpose", "area")
    assert ds.outcome.shape == (5, 5, len(STUDY.area_labels))
    assert ds.impact.shape == (5, 5, 8, len(STUDY.area_labels))
    np.testing.assert_allclose(ds.ownership.values, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(ds.purpose.values, [0, 0.25, 0.5, 0.75, 1])
    assert np.isfinite(ds.outcome.values).all()
    for name in ds.data_vars:
        assert {"units", "long_name"} <= set(ds[name].attrs), name
    assert list(ds.future.values) == list(STUDY.future_labels)
    np.testing.assert_allclose(ds.position.values,
                               [[f.ownership, f.purpose] for f in spec.futures])


def test_futures_are_marked_in_every_panel_in_their_colours(small_plane):
    """Each area's map shows every future at its position, in its colour from style.py."""
    _, ds = small_plane
    fig = figure(ds)
    panels = [ax for ax in fig.axes if ax.get_title()][:len(STUDY.area_labels) + 1]
    assert len(panels) == len(STUDY.area_labels) + 1
    futures = list(ds.future.values)
    for ax in panels:
        marked = {}
        for coll in ax.collections:
            offsets = np.asarray(coll.get_offsets())
            colours = coll.get_facecolors()
            if len(offsets) == 1 and len(colours) == 1:
                marked[tuple(np.round(offsets[0], 6))] = mcolors.to_hex(colours[0])
        for f, fut in enumerate(futures):
            where = tuple(np.round(ds.position.values[f], 6))
            assert marked.get(where) == future_colour(fut, futures).lower(), (ax.get_title(), fut)
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_spread_drivers_pass_through_the_futures():
    """The thin-plate spline of eu_regulation takes each future's own value at its position
    (all four positions lie on the 21-point grid), and stays in [0, 1]."""
    spec, ds = plane_for(["plane.grid=21", "plane.members=1", "events.enabled=false"])
    field = ds.driver_value.sel(driver="eu_regulation")
    for fut in spec.futures:
        value = field.sel(ownership=fut.ownership, purpose=fut.purpose, method="nearest")
        assert float(value) == pytest.approx(fut.drivers["eu_regulation"], abs=1e-9)
    assert float(field.min()) >= 0.0 and float(field.max()) <= 1.0


def test_status_quo_mode_has_no_spread_drivers():
    _, ds = plane_for(["plane.grid=2", "plane.members=2", "plane.drivers=status_quo"])
    assert "driver_value" not in ds


def test_grid_point_at_a_future_reproduces_its_run():
    """Common members: a future with no overrides or plans, placed on a grid point, has
    exactly the outcome of that grid point."""
    _, ds = plane_for(["+future.mid={ownership:0.5,purpose:0.5}", "futures=[mid]",
                       "plane.grid=3", "plane.members=16", "plane.drivers=status_quo"])
    np.testing.assert_array_equal(ds.future_outcome.sel(future="mid").values,
                                  ds.outcome.sel(ownership=0.5, purpose=0.5).values)
    np.testing.assert_allclose(ds.plane_at_future.sel(future="mid").values,
                               ds.future_outcome.sel(future="mid").values, atol=1e-12)


def test_gradient_of_a_plane_is_exact():
    axis = np.linspace(0, 1, 7)
    own, pur = np.meshgrid(axis, axis, indexing="ij")
    field = np.stack([2 * own - 3 * pur, own * 0 + 1], axis=-1)
    d_own, d_pur = gradient(field, axis)
    np.testing.assert_allclose(d_own[..., 0], 2.0)
    np.testing.assert_allclose(d_pur[..., 0], -3.0)
    np.testing.assert_allclose(d_own[..., 1], 0.0, atol=1e-12)


def test_stakeholder_model_raises_public_values():
    """Public values load on the stakeholder driver and brake with mega ecosystems: the map
    rises from the shareholder to the stakeholder side at every purpose."""
    _, ds = plane_for(["plane.grid=3", "plane.members=16"])
    pv = ds.outcome.sel(area="publieke_waarden")
    assert (pv.isel(ownership=-1) > pv.isel(ownership=0)).all()


ARGS = ["plane.grid=4", "plane.members=8", "seed=3"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    return twice_into(tmp_path_factory, "plane", ARGS)


def test_command_writes_plane_and_figures(two_runs):
    root, (result, _) = two_runs
    assert_wrote(root, result, ("plane.nc", "plane.png", "plane.svg"))
    with xr.open_dataset(root / "a" / "plane.nc", engine="h5netcdf") as ds:
        assert ds.outcome.shape == (4, 4, len(STUDY.area_labels))
        assert ds.attrs["seed"] == 3 and ds.attrs["futures_version"]
        assert OmegaConf.create(ds.attrs["config"]).plane.grid == 4
    from PIL import Image

    with Image.open(root / "a" / "plane.png") as png:
        dpi = png.info.get("dpi", (0, 0))[0]
        assert dpi >= 150 and png.size[0] >= 1920
        assert png.info["seed"] == "3" and "plane:" in png.info["config"]
    assert (root / "a" / "plane.svg").read_text().lstrip().startswith("<?xml")


def test_same_seed_gives_identical_files(two_runs):
    root, (a, b) = two_runs
    assert a.returncode == b.returncode == 0
    for name in ("plane.nc", "plane.png", "plane.svg"):
        assert (root / "a" / name).read_bytes() == (root / "b" / name).read_bytes(), name


def test_bad_input_through_the_command(cli, tmp_path):
    out = tmp_path / "run"
    result = cli("plane", "plane.grid=1", f"hydra.run.dir={out}")
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert result.stderr.strip() == ("futures: error: plane.grid=1: expected an integer >= 2 "
                                     "and <= 101")


@pytest.mark.parametrize(("overrides", "message"), [
    (["plane.members=0"], "plane.members=0: expected an integer >= 1"),
    (["plane.grid=50", "plane.members=1000"], "grid x grid x members may be at most"),
    (["plane.drivers=wild"], "plane.drivers='wild': drivers mode not found"),
    (["plane.statistic=mode"], "plane.statistic='mode': statistic not found"),
    (["plane.year=2019"], "plane.year=2019.0: expected a number in [2021.0, 2030.0]"),
    (["ensemble.design=sobol", "ensemble.members=8", "plane.members=10"],
     "plane.members=10: the sobol design needs a power of two"),
])
def test_bad_config(overrides, message):
    with pytest.raises(ConfigError) as err:
        cfg, _ = load(normalize(overrides))
        check_config(cfg)
    assert message in str(err.value)
