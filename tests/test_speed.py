"""Issue 19: start-up (one composition, no unused imports), storage, sampling without
scipy.stats, and ``output.store=summary`` against the full members."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from models.sampling import latin_hypercube, triangular_ppf

ROOT = Path(__file__).resolve().parents[1]


def test_latin_hypercube_is_scipys():
    """The written-out Latin hypercube draws scipy's points from the same generator."""
    from scipy.stats import qmc

    for seed in (0, 1, 2021):
        for n, d in ((1, 1), (7, 3), (1000, 27)):
            ours = latin_hypercube(n, d, rng=np.random.default_rng(seed))
            theirs = qmc.LatinHypercube(d, rng=np.random.default_rng(seed)).random(n)
            assert np.array_equal(ours, theirs), (seed, n, d)


def test_triangular_ppf_is_scipys():
    from scipy import stats

    u = np.random.default_rng(3).random(20_000)
    u[:3] = [0.0, 1.0, 0.5]
    for c in (0.0, 0.3, 0.5, 1.0):
        for low, width in ((0.0, 1.0), (-0.3, 0.6)):
            ours = triangular_ppf(u, c) * width + low
            assert np.array_equal(ours, stats.triang.ppf(u, c, loc=low, scale=width))


def _run_in_child(code: str, tmp_path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FUTURES_CACHE_DIR": ""}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_run_composes_once_and_imports_nothing_unused(tmp_path):
    """``futures run`` composes the config once, writes .hydra/, and never imports
    scipy.stats, pint, dask or distributed."""
    out = tmp_path / "run"
    code = f"""
import json, sys
from hydra._internal import hydra as h
calls = []
orig = h.Hydra.compose_config
def counted(self, *a, **k):
    calls.append(1)
    return orig(self, *a, **k)
h.Hydra.compose_config = counted
from scenarios.cli import main
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    rc = main(["run", "ensemble.members=4", "hydra.run.dir={out}"])
print(json.dumps({{"rc": rc, "calls": len(calls),
                  "loaded": [m for m in ("scipy.stats", "pint", "dask", "distributed", "tqdm",
                                          "matplotlib", "zarr") if m in sys.modules]}}))
"""
    got = _run_in_child(code, tmp_path)
    assert got == {"rc": 0, "calls": 1, "loaded": []}
    assert (out / "outcomes.nc").is_file()
    assert {p.name for p in (out / ".hydra").iterdir()} == {"config.yaml", "hydra.yaml",
                                                            "overrides.yaml"}
    assert "ensemble.members=4" in (out / ".hydra" / "overrides.yaml").read_text()


def test_config_text_is_omegaconfs_text():
    """The stored config text is what ``OmegaConf.to_yaml(OmegaConf.create(...))`` wrote
    before, and libyaml's emitter (start-up) writes the same text as OmegaConf's dumper."""
    import yaml
    from omegaconf import OmegaConf
    from omegaconf._utils import get_omega_conf_dumper

    from scenarios.config.compose import compose_config, config_text
    from scenarios.engine.startup import fast_yaml, yaml_dumper

    for overrides in ([], ["seed=7", "ensemble.members=8"],
                      ["futures=[versnelling]", "levers.ai_investment=0.8", "events.enabled=false"]):
        cfg = compose_config(overrides)
        container = OmegaConf.to_container(cfg, resolve=True)
        container.pop("resume", None)  # type: ignore[union-attr]
        before = OmegaConf.to_yaml(OmegaConf.create(container))
        assert config_text(cfg) == before
        with fast_yaml():
            assert config_text(cfg) == before
            assert OmegaConf.to_yaml(cfg) == yaml.dump(
                OmegaConf.to_container(cfg, enum_to_str=True), default_flow_style=False,
                allow_unicode=True, sort_keys=False, Dumper=get_omega_conf_dumper())
    assert yaml_dumper() is not get_omega_conf_dumper() or not yaml.__with_libyaml__


def test_cached_composition_is_hydras(tmp_path, monkeypatch):
    """A cached composition (another run folder filled in) is the one Hydra composes; a
    changed config file or override composes afresh."""
    from hydra import version
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    from scenarios.config.compose import register_schema
    from scenarios.config.where import CONFIG_NAME, conf_dir
    from scenarios.engine import startup

    monkeypatch.setenv(startup.CACHE_ENV, str(tmp_path / "cache"))
    version.setbase("1.3")
    register_schema()
    hydra_ = Hydra.create_main_hydra2(
        task_name="app", config_search_path=create_config_search_path(f"file://{conf_dir()}"))

    def fresh(overrides):
        return hydra_.compose_config(CONFIG_NAME, [*overrides, "hydra.mode=RUN"],
                                     run_mode=RunMode.RUN)

    first = ["seed=3", f"hydra.run.dir={tmp_path}/a"]
    second = ["seed=3", f"hydra.run.dir={tmp_path}/b"]
    name = startup.key(conf_dir(), CONFIG_NAME, first)
    assert startup.load(name, first) is None
    startup.store(name, fresh(first))
    assert startup.key(conf_dir(), CONFIG_NAME, second) == name
    cached = startup.load(name, second)
    assert cached is not None
    assert OmegaConf.to_yaml(cached) == OmegaConf.to_yaml(fresh(second))
    assert cached.hydra.run.dir == f"{tmp_path}/b"
    assert startup.key(conf_dir(), CONFIG_NAME, ["seed=4", second[1]]) != name
    assert startup.key(conf_dir(), CONFIG_NAME, ["hydra.run.dir='a b'"]) != \
        startup.key(conf_dir(), CONFIG_NAME, ["hydra.run.dir='a c'"])
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "config.yaml").write_text("seed: 1\n")
    before = startup.key(conf, CONFIG_NAME, first)
    os.utime(conf / "config.yaml", ns=(1, 1))
    assert startup.key(conf, CONFIG_NAME, first) != before
    monkeypatch.setenv(startup.CACHE_ENV, "")
    assert startup.cache_dir() is None and startup.load(name, first) is None


def test_compression_changes_bytes_not_values(tmp_path):
    """The default (no compression) and gzip give the same dataset."""
    from scenarios.config.compose import config_text, load
    from scenarios.engine.batches import write_outcomes

    paths = []
    for level in (0, 1):
        cfg, spec = load(["ensemble.members=64", f"output.compression={level}"])
        paths.append(write_outcomes(spec, config_text(cfg), tmp_path / str(level), show=False))
    assert spec.compression == 1 and load([])[1].compression == 0
    plain, gzip = (xr.load_dataset(p, engine="h5netcdf") for p in paths)
    assert paths[0].stat().st_size > paths[1].stat().st_size
    for name in ("level", "impact", "sample", "event_count"):
        assert np.array_equal(plain[name].values, gzip[name].values)


@pytest.fixture(scope="module")
def summary_and_members(tmp_path_factory):
    from scenarios.config.compose import config_text, load
    from scenarios.engine.batches import write_outcomes

    tmp = tmp_path_factory.mktemp("summary")
    over = ["ensemble.members=2048", "ensemble.batch=1024", "futures=[versnelling,gelijk_speelveld]"]
    cfg, spec = load([*over, "output.store=summary"])
    summary = write_outcomes(spec, config_text(cfg), tmp / "s", show=False)
    cfg, spec = load(over)
    full = write_outcomes(spec, config_text(cfg), tmp / "f", show=False)
    return xr.load_dataset(summary), xr.load_dataset(full)


def test_summary_moments_are_exact(summary_and_members):
    s, f = summary_and_members
    assert s.attrs["members"] == 2048 and "member" not in s.dims
    for name in ("level", "impact"):
        x = f[name].astype("float64")
        np.testing.assert_allclose(s[f"{name}_mean"], x.mean("member"), rtol=0, atol=1e-12)
        np.testing.assert_allclose(s[f"{name}_std"], x.std("member"), rtol=0, atol=1e-12)
        assert np.array_equal(s[f"{name}_min"], x.min("member"))
        assert np.array_equal(s[f"{name}_max"], x.max("member"))
        assert int(s[f"{name}_outside_bins"].sum()) == 0


def test_summary_quantiles_within_documented_bound(summary_and_members):
    """|estimate - numpy.quantile| <= bin width + gap between the two order statistics
    around the rank (engine/summary.py), and the estimate is not trivially exact."""
    s, f = summary_and_members
    for name, dim in (("level", "trend"), ("impact", "area")):
        x = np.sort(f[name].astype("float64").transpose("future", "time", dim, "member")
                    .values, axis=-1)
        n = x.shape[-1]
        width = s[f"{name}_bin_width"].values[:, None, :]
        assert name != "level" or np.allclose(width, 1 / 2048)
        for k, q in enumerate(s["quantile"].values):
            rank = q * (n - 1)
            lo = int(np.floor(rank))
            hi = min(lo + 1, n - 1)
            exact = x[..., lo] + (rank - lo) * (x[..., hi] - x[..., lo])
            bound = width + (x[..., hi] - x[..., lo])
            err = np.abs(s[f"{name}_quantile"].values[..., k] - exact)
            assert (err <= bound * (1 + 1e-9)).all(), (name, q, (err / bound).max())
            assert np.median(err) < np.median(width)  # typically well inside one bin


def test_summary_refuses_dask_and_zarr():
    from scenarios.config.compose import load
    from scenarios.config.errors import ConfigError

    with pytest.raises(ConfigError, match="output.store"):
        load(["output.store=summary", "output.format=zarr"])
    with pytest.raises(ConfigError, match="store not found"):
        load(["output.store=all"])
