"""Start-up of ``futures run`` (issue 19 item 1): the job run as Hydra's ``run_job`` runs it,
without its copies of the config, and the garbage collector paused only in the command's own
process (scenarios/engine/startup.py)."""

from __future__ import annotations

import copy
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose():
    """Hydra's composition of ``futures run`` with its hydra node, for given overrides."""
    from hydra import version
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    from scenarios.config.compose import register_schema
    from scenarios.config.where import CONFIG_NAME, conf_dir

    version.setbase("1.3")
    register_schema()
    hydra_ = Hydra.create_main_hydra2(
        task_name="app", config_search_path=create_config_search_path(f"file://{conf_dir()}"))
    GlobalHydra.instance().clear()  # the Hydra object composes without it

    def composed(overrides):
        return hydra_.compose_config(CONFIG_NAME, [*overrides, "hydra.mode=RUN"],
                                     run_mode=RunMode.RUN)

    return composed


def test_job_config_is_hydras_task_config(compose, tmp_path):
    """The job's config is Hydra's deep copy without ``hydra``: same text, flags, type."""
    from omegaconf import open_dict, read_write

    from scenarios.engine.startup import job_config

    cfg = compose(["seed=9", "levers.ai_investment=0.7", f"hydra.run.dir={tmp_path}"])
    theirs = copy.deepcopy(cfg)
    with read_write(theirs), open_dict(theirs):
        del theirs["hydra"]
    ours = job_config(cfg)
    assert "hydra" in cfg and "hydra" not in ours
    assert OmegaConf.to_yaml(ours) == OmegaConf.to_yaml(theirs)
    assert OmegaConf.is_struct(ours) == OmegaConf.is_struct(theirs) is True
    assert OmegaConf.get_type(ours) is OmegaConf.get_type(theirs)
    assert OmegaConf.to_container(ours, resolve=True) == \
        OmegaConf.to_container(theirs, resolve=True)


def _both(compose, tmp_path, overrides, task):
    """Run ``task`` through Hydra's run_job and through ours, each into its own folder."""
    from hydra._internal.callbacks import Callbacks
    from hydra.core.utils import run_job
    from hydra.types import HydraContext

    from scenarios.engine import startup

    returns = {}
    for who in ("hydra", "ours"):
        cfg = compose([*overrides, f"hydra.run.dir={tmp_path / who}"])
        callbacks = Callbacks(cfg)
        if who == "hydra":
            returns[who] = run_job(task_function=task, config=cfg,
                                   job_dir_key="hydra.run.dir", job_subdir_key=None,
                                   hydra_context=HydraContext(config_loader=None,  # type: ignore[arg-type]
                                                              callbacks=callbacks))
        else:
            returns[who] = startup.run_job(task, cfg, startup.job_config(cfg), callbacks)
    return returns


@pytest.mark.parametrize("chdir", [False, True])
def test_run_job_is_hydras(compose, tmp_path, chdir):
    """The same .hydra/ files (but the folder's name), the same config handed to the task,
    the same working directory inside it and after, the same JobReturn."""
    seen = []

    def task(cfg):
        seen.append((OmegaConf.to_yaml(cfg), OmegaConf.is_struct(cfg), os.getcwd()))
        return len(seen)

    cwd = os.getcwd()
    over = ["seed=4", "ensemble.members=16"] + (["hydra.job.chdir=true"] if chdir else [])
    got = _both(compose, tmp_path, over, task)
    assert os.getcwd() == cwd
    assert seen[0][:2] == seen[1][:2]
    assert [Path(s[2]) for s in seen] == ([tmp_path / "hydra", tmp_path / "ours"] if chdir
                                          else [Path(cwd)] * 2)
    for name in ("config.yaml", "overrides.yaml", "hydra.yaml"):
        theirs = (tmp_path / "hydra" / ".hydra" / name).read_text()
        ours = (tmp_path / "ours" / ".hydra" / name).read_text()
        assert ours == theirs.replace(str(tmp_path / "hydra"), str(tmp_path / "ours")), name
    a, b = got["hydra"], got["ours"]
    assert (a.status, a.overrides, a.task_name) == (b.status, b.overrides, b.task_name)
    assert (a.return_value, b.return_value) == (1, 2)
    assert OmegaConf.to_yaml(a.cfg) == OmegaConf.to_yaml(b.cfg)
    assert [a.working_dir, b.working_dir] == ([str(tmp_path / "hydra"), str(tmp_path / "ours")]
                                              if chdir else [cwd] * 2)


def test_run_job_failure_is_hydras(compose, tmp_path):
    """A task that raises: FAILED, and the return value raises the same error."""
    from hydra.core.utils import JobStatus

    def task(cfg):
        raise ValueError(f"boom {cfg.seed}")

    got = _both(compose, tmp_path, ["seed=5"], task)
    for ret in got.values():
        assert ret.status == JobStatus.FAILED
        with pytest.raises(ValueError, match="boom 5"):
            _ = ret.return_value


GC_PROBE = """
import gc, json, sys
from scenarios.config import compose
import scenarios.engine.app as app
seen = {}
checked = compose.check
def check(cfg):
    seen.setdefault("checked_with_gc", gc.isenabled())
    return checked(cfg)
compose.check = check
job = app.run_job
def run_job(cfg, output_dir, progress=True):
    seen["job_with_gc"] = gc.isenabled()
    seen["frozen_in_job"] = gc.get_freeze_count() > 0
    return job(cfg, output_dir, progress=progress)
app.run_job = run_job
from scenarios.cli import main
MODE
print(json.dumps({**seen, "rc": rc, "gc_after": gc.isenabled(),
                  "frozen_after": gc.get_freeze_count() > 0}))
"""


def _probe(tmp_path: Path, mode: str) -> dict:
    code = GC_PROBE.replace("MODE", mode)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FUTURES_CACHE_DIR": ""}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_collector_paused_only_in_the_commands_process(tmp_path):
    """As the console script (``main()``): the start-up runs without the collector, the job
    with it (the start-up's objects frozen). Called with arguments: nothing changes."""
    argv = ["futures", "run", "ensemble.members=4", f"hydra.run.dir={tmp_path / 'a'}"]
    as_command = _probe(tmp_path, f"sys.argv = {argv!r}\nrc = main()")
    assert as_command == {"checked_with_gc": False, "job_with_gc": True,
                          "frozen_in_job": True, "rc": 0, "gc_after": True,
                          "frozen_after": True}
    args = ["run", "ensemble.members=4", f"hydra.run.dir={tmp_path / 'b'}"]
    in_process = _probe(tmp_path, f"rc = main({args!r})")
    assert in_process == {"checked_with_gc": True, "job_with_gc": True,
                          "frozen_in_job": False, "rc": 0, "gc_after": True,
                          "frozen_after": False}
    bad = _probe(tmp_path, "sys.argv = ['futures', 'run', 'ensemble.members=-1']\n"
                           "rc = main()")
    assert bad["rc"] == 2 and bad["gc_after"] is True
    assert (tmp_path / "a" / "outcomes.nc").read_bytes() == \
        (tmp_path / "b" / "outcomes.nc").read_bytes()


def test_main_with_arguments_leaves_the_collector_alone(tmp_path):
    from scenarios.cli import main

    before = (gc.isenabled(), gc.get_freeze_count())
    assert main(["run", "ensemble.members=-1", f"hydra.run.dir={tmp_path}"]) == 2
    assert (gc.isenabled(), gc.get_freeze_count()) == before
