"""Faults and safety: full disks, kill -9 mid-write, two runs into one folder, refused code.

Every test runs the real `futures` command in a subprocess, as a user would.
"""

from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from scenarios.engine.storage import open_outcomes
from tests.conftest import ROOT, futures_cli

EXE = str(Path(sys.executable).with_name("futures"))


def _limit_file_size(limit: int):
    def apply() -> None:  # Python ignores SIGXFSZ: a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("fmt", ["netcdf", "zarr"])
def test_write_past_a_file_size_limit(tmp_path, fmt):
    """A write that fails part-way (here: RLIMIT_FSIZE, EFBIG) gives one clear line, exit 1,
    no temporary left, and the earlier outputs in that folder exactly as they were."""
    first = futures_cli("run", "ensemble.members=8", f"output.format={fmt}",
                        f"hydra.run.dir={tmp_path}")
    assert first.returncode == 0, first.stderr
    name = "outcomes.nc" if fmt == "netcdf" else "outcomes.zarr"
    before = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / name).rglob("*")
              if p.is_file()} if fmt == "zarr" else (tmp_path / name).read_bytes()
    result = subprocess.run([EXE, "run", "ensemble.members=3000", f"output.format={fmt}",
                             "ensemble.batch=1024", f"hydra.run.dir={tmp_path}"],
                            check=False, capture_output=True, text=True, cwd=ROOT,
                            preexec_fn=_limit_file_size(2_000_000), timeout=300)
    assert result.returncode == 1, result.stderr
    lines = [x for x in result.stderr.splitlines() if x.startswith("futures: error:")]
    assert len(lines) == 1 and "could not be written (File too large)" in lines[0], \
        result.stderr
    assert "earlier outputs are kept" in lines[0] and "Traceback" not in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".old"))]
    after = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / name).rglob("*")
             if p.is_file()} if fmt == "zarr" else (tmp_path / name).read_bytes()
    assert after == before


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.parametrize("fmt", ["netcdf", "zarr"])
def test_full_disk(tmp_path, fmt):
    """On a real full file system (a 6 MB tmpfs): one clear line, exit 1, earlier outputs
    intact, no temporaries left. (A run whose estimated size does not fit is refused before
    it starts, tests/test_hardening.py; a compressed run's size is known only roughly - the
    check allows half the raw size - so this one, 10.6 MB raw and about 8 MB compressed,
    starts and meets the real ENOSPC.)"""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "6m"):
        pytest.skip("cannot mount a tmpfs here (needs root); the RLIMIT_FSIZE test covers it")
    try:
        run_dir = disk / "run"
        first = futures_cli("run", "ensemble.members=8", f"output.format={fmt}",
                            f"hydra.run.dir={run_dir}")
        assert first.returncode == 0, first.stderr
        name = "outcomes.nc" if fmt == "netcdf" else "outcomes.zarr"
        with open_outcomes(run_dir / name) as ds:
            seed_before = ds.attrs["seed"]
        result = futures_cli("run", "ensemble.members=360", "seed=99",
                             "output.compression=1", f"output.format={fmt}",
                             f"hydra.run.dir={run_dir}")
        assert result.returncode == 1, result.stderr
        assert "could not be written (No space left on device)" in result.stderr
        assert "Traceback" not in result.stderr
        assert not [p for p in run_dir.iterdir() if p.name.endswith((".tmp", ".old"))]
        with open_outcomes(run_dir / name) as ds:
            assert ds.attrs["seed"] == seed_before and float(ds.level.max()) < 1
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.parametrize("fmt", ["netcdf", "zarr"])
def test_kill_during_write_then_rerun(tmp_path, fmt):
    """kill -9 while outcomes are being written leaves no outcomes (only a temporary); the
    same command again removes the leftover and completes."""
    args = [EXE, "run", "ensemble.members=24000", "futures=[versnelling,gelijk_speelveld]",
            f"output.format={fmt}", "ensemble.batch=2048", f"hydra.run.dir={tmp_path}"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith(".outcomes") for p in tmp_path.glob(".*")):
            # zarr streams for seconds; netCDF bytes (made in memory) go out in one write
            time.sleep(0.3 if fmt == "zarr" else 0.0)
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".outcomes")]
    assert leftovers and not (tmp_path / "outcomes.nc").exists() \
        and not (tmp_path / "outcomes.zarr").exists()
    again = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600,
                           check=False)
    assert again.returncode == 0, again.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".outcomes")]
    with open_outcomes(tmp_path / ("outcomes.nc" if fmt == "netcdf" else "outcomes.zarr")) \
            as ds:
        assert ds.sizes["member"] == 24000 and float(ds.level[:, -1, -1].min()) > 0


@pytest.mark.parametrize("fmt", ["netcdf", "zarr"])
def test_two_runs_into_one_folder(tmp_path, fmt):
    """Two runs started together into the same folder both succeed, and the folder ends up
    holding one of them whole (not a mixture, not a half-written file)."""
    def start(seed: int) -> subprocess.Popen:
        return subprocess.Popen([EXE, "run", "ensemble.members=3000", f"seed={seed}",
                                 f"output.format={fmt}", "ensemble.batch=1024",
                                 f"hydra.run.dir={tmp_path}"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs = [start(1), start(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    name = "outcomes.nc" if fmt == "netcdf" else "outcomes.zarr"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".old"))]
    with open_outcomes(tmp_path / name) as ds:
        got = ds.load()
    seed = got.attrs["seed"]
    assert seed in (1, 2)
    alone = tmp_path / "alone"
    ref = futures_cli("run", "ensemble.members=3000", f"seed={seed}", f"hydra.run.dir={alone}")
    assert ref.returncode == 0, ref.stderr
    expected = xr.load_dataset(alone / "outcomes.nc", engine="h5netcdf")
    xr.testing.assert_equal(got.drop_attrs(), expected.drop_attrs())


REFUSED = [
    (["+hydra.callbacks.x._target_=os.getcwd"], "could import and call code"),
    (["hydra.launcher._target_=os.system"], "could import and call code"),
    (["+hydra.job_logging.handlers.x.class=logging.StreamHandler"], "could import and call"),
    (["hydra/job_logging=default"], "could import and call code"),
    (["+hydra.searchpath=[file:///tmp]"], "could import and call code"),
    (["-cp", "/tmp"], "option='-cp': not accepted"),
    (["+future.x={ownership:0.5,purpose:0.5,_target_:os.getcwd}"], "could import and call"),
]


@pytest.mark.parametrize("args,says", REFUSED)
def test_code_in_overrides_is_refused(tmp_path, args, says):
    """Nothing on the command line can make Hydra import and call code."""
    result = futures_cli("run", *args, f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "r").exists()


def test_config_folder_is_checked(tmp_path):
    """--config-dir may set values (a workshop export) but not name code to call."""
    good, evil = tmp_path / "good", tmp_path / "evil"
    good.mkdir()
    evil.mkdir()
    (good / "mine.yaml").write_text("defaults:\n  - config\n  - _self_\nseed: 5\n"
                                    "ensemble:\n  members: 8\n")
    ok = futures_cli("run", "--config-dir", str(good), "--config-name", "mine",
                     f"hydra.run.dir={tmp_path / 'ok'}")
    assert ok.returncode == 0, ok.stderr
    assert xr.load_dataset(tmp_path / "ok" / "outcomes.nc").attrs["seed"] == 5
    for text in (("defaults:\n  - config\n  - _self_\nhydra:\n  callbacks:\n    x:\n"
                  "      _target_: os.getcwd\n"),
                 "defaults:\n  - config\n  - override hydra/job_logging: mine\n  - _self_\n",
                 "defaults:\n  - config\n  - _self_\nfuture:\n  x:\n    _target_: os.getcwd\n"):
        (evil / "evil.yaml").write_text(text)
        bad = futures_cli("run", f"--config-dir={evil}", "--config-name", "evil",
                          f"hydra.run.dir={tmp_path / 'bad'}")
        assert bad.returncode == 2 and "is not accepted" in bad.stderr, bad.stderr
        assert not (tmp_path / "bad").exists()


def test_future_labels_are_plain(tmp_path):
    """A future's label becomes a coordinate, file names and page ids: plain words only."""
    for label in ("Evil", "x-y", "a" * 41, "_x"):
        result = futures_cli("run", f"+future.{label}={{ownership:0.5,purpose:0.5}}",
                             f"hydra.run.dir={tmp_path / 'r'}")
        assert result.returncode == 2 and "a future label is 1-40 characters" in \
            result.stderr, (label, result.stderr)
    assert shutil.which("futures") or EXE


@pytest.mark.parametrize("damage", ["truncated", "foreign", "empty", "text"])
def test_collect_refuses_corrupt_outcomes(tmp_path, small_sweep, damage):
    """A job's outcomes.nc cut short, replaced by another netCDF, emptied or made text:
    `futures collect` says which file and why in one line, exit 2, and keeps sweep.nc."""
    sweep = tmp_path / "s"
    shutil.copytree(small_sweep, sweep)
    target = sweep / "1" / "outcomes.nc"
    data = target.read_bytes()
    if damage == "truncated":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "foreign":
        xr.Dataset({"x": ("i", [1.0, 2.0])}).to_netcdf(target, engine="h5netcdf")
    elif damage == "empty":
        target.write_bytes(b"")
    else:
        target.write_text("level,impact\n1,2\n")
    before = (sweep / "sweep.nc").read_bytes()
    result = futures_cli("collect", str(sweep))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and str(target) in result.stderr, result.stderr
    assert ("cannot be read" in result.stderr) or ("not the outcomes" in result.stderr)
    assert (sweep / "sweep.nc").read_bytes() == before


def test_zarr_that_would_unpickle_is_refused(tmp_path):
    """A store whose metadata names numcodecs' pickle codec is not opened at all."""
    import json

    from scenarios.config.errors import ConfigError

    result = futures_cli("run", "ensemble.members=4", "output.format=zarr",
                         f"hydra.run.dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    store = tmp_path / "outcomes.zarr"
    meta = json.loads((store / ".zmetadata").read_text())
    meta["metadata"]["level/.zarray"]["filters"] = [{"id": "pickle", "protocol": 5}]
    (store / ".zmetadata").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="'pickle' codec, which would run code"):
        open_outcomes(store)
