"""Security (issue 14, items 1-4): user config folders, YAML bombs, the environment, links.

Every case runs the real `futures` command on real files in a fresh folder ``T`` and checks
the exit status, the one line it prints, and that nothing was written where it must not be
(a victim file outside the run folder keeps its bytes; refused runs make no run folder).
docs/reliability.md shows each case's line (regenerate with
``python tests/make_reliability_table.py security``); a test pins that too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import xarray as xr

from tests.conftest import documented_cases, futures_cli

VICTIM = "victim.txt"  # a file outside every run folder: no case may change it


@dataclass
class Case:
    """One attempt: build files under T, run ``args``, expect ``status`` and ``says``."""

    name: str
    item: int
    build: Callable[[Path], list[str]]
    status: int = 2
    says: str = ""
    check: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


PRIMARY = "defaults:\n  - config\n  - grp: x\n  - _self_\n"


def folder(files: dict[str, str], name: str = "mine", *, grp: str | None = None,
           extra: list[str] | None = None) -> Callable[[Path], list[str]]:
    """A --config-dir folder T/cfg with ``files``; run it with --config-name ``name``."""
    def build(tmp: Path) -> list[str]:
        for rel, text in files.items():
            write(tmp / "cfg" / rel, text.replace("@T", str(tmp)))
        if grp:
            (tmp / "cfg" / "grp").symlink_to(tmp / grp)
        args = ["run", "--config-dir", str(tmp / "cfg")]
        if name:
            args += ["--config-name", name]
        return [*args, *(extra or []), "ensemble.members=4", f"hydra.run.dir={tmp / 'run'}"]
    return build


def bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


FILE_HANDLER = ("# @package hydra.job_logging\nversion: 1\nhandlers:\n  f:\n"
                "    class: logging.FileHandler\n    filename: @T/victim.txt\n    mode: w\n"
                "root:\n  handlers: [f]\n")


def run_dir_exists_not(tmp: Path) -> None:
    assert not (tmp / "run").exists()


# --- item 1: a config folder may not configure Hydra or name code --------------------------

CONFIG_DIR = [
    Case("package header hydra.job_logging (a FileHandler onto a file outside)", 1,
         folder({"mine.yaml": PRIMARY, "grp/x.yaml": FILE_HANDLER}),
         says="sets 'hydra.job_logging.handlers.f', which is not accepted"),
    Case("package header hydra.callbacks with _target_", 1,
         folder({"mine.yaml": PRIMARY, "grp/x.yaml": "# @package hydra.callbacks\nevil:\n"
                 "  _target_: os.getcwd\n"}), says="'_target_' at 'evil._target_'"),
    Case("package header hydra.job (env_set)", 1,
         folder({"mine.yaml": PRIMARY, "grp/x.yaml": "# @package hydra.job\nenv_set:\n"
                 "  FUTURES_X: '1'\n"}), says="sets 'hydra.job.env_set.FUTURES_X'"),
    Case("package header hydra (searchpath)", 1,
         folder({"mine.yaml": PRIMARY, "grp/x.yaml": "# @package hydra\nsearchpath:\n"
                 "  - file:///tmp\n"}), says="the config does not compose"),
    Case("package _global_ with a hydra section in a group file", 1,
         folder({"mine.yaml": PRIMARY, "grp/x.yaml": "# @package _global_\nhydra:\n  verbose: "
                 "true\n"}), says="'hydra' at 'hydra' is not accepted"),
    Case("group folder that is a symlink (a FileHandler behind it)", 1,
         folder({"mine.yaml": PRIMARY, "../elsewhere/x.yaml": FILE_HANDLER}, grp="elsewhere"),
         says="sets 'hydra.job_logging.handlers.f', which is not accepted"),
    Case("group chosen on the command line (+grp=x), no --config-name", 1,
         folder({"grp/x.yaml": FILE_HANDLER}, name="", extra=["+grp=x"]),
         says="sets 'hydra.job_logging.handlers.f', which is not accepted"),
    Case("defaults: override hydra/job_logging with the folder's own option", 1,
         folder({"mine.yaml": "defaults:\n  - config\n  - override hydra/job_logging: mine\n"
                 "  - _self_\n", "hydra/job_logging/mine.yaml": "version: 1\nroot:\n"
                 "  level: DEBUG\n"}), says="is not accepted"),
    Case("primary config with hydra.run.dir", 1,
         folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nhydra:\n  run:\n"
                 "    dir: /tmp/elsewhere\n"}), says="'hydra' at 'hydra' is not accepted"),
    Case("package header onto future.versnelling with _target_", 1,
         folder({"mine.yaml": PRIMARY, "grp/x.yaml": "# @package future.versnelling\n"
                 "_target_: os.getcwd\n"}), says="'_target_' at '_target_'"),
    Case("_partial_ deep in the model's keys", 1,
         folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nevents:\n  hazards:\n"
                 "    cyber_incident:\n      _partial_: true\n"}), says="'_partial_'"),
    Case("_args_ in a list item", 1,
         folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nfutures:\n"
                 "  - {_args_: [1]}\n"}), says="'_args_'"),
    Case("logging's () factory key", 1,
         folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nlevers:\n  '()': os.getcwd\n"}),
         says="'()'"),
    Case("a Python tag (!!python/object/apply)", 1,
         folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nseed: !!python/object/apply:"
                 "os.getpid []\n"}), says="not valid plain YAML (line 4)"),
    Case("a folder that loops back on itself through a symlink (still runs)", 1,
         lambda tmp: _loop(tmp), status=0, says=""),
    Case("a folder with the study's values only (control: runs)", 1,
         folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nseed: 5\n"}), status=0,
         check=lambda tmp: _seed_is(tmp, 5)),
]


def _loop(tmp: Path) -> list[str]:
    args = folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nseed: 6\n"})(tmp)
    (tmp / "cfg" / "sub").mkdir()
    (tmp / "cfg" / "sub" / "back").symlink_to(tmp / "cfg")
    return args


def _seed_is(tmp: Path, seed: int) -> None:
    assert xr.load_dataset(tmp / "run" / "outcomes.nc").attrs["seed"] == seed


# --- item 2: bounded YAML everywhere a file is read ------------------------------------------

def _run(tmp: Path, *extra: str) -> Path:
    result = futures_cli("run", "ensemble.members=4", *extra, f"hydra.run.dir={tmp / 'r'}")
    assert result.returncode == 0, result.stderr
    return tmp / "r"


def _stored_config(text: str, command: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        run = _run(tmp)
        ds = xr.load_dataset(run / "outcomes.nc", engine="h5netcdf")
        ds.attrs["config"] = text
        (run / "outcomes.nc").unlink()
        ds.to_netcdf(run / "outcomes.nc", engine="h5netcdf")
        return [command, str(run)]
    return build


#: Finished sweeps by their overrides, each run once per test process (:func:`swept`).
_SWEPT: dict[tuple[str, ...], Path] = {}


def swept(into: Path, *overrides: str) -> Path:
    """A copy at ``into`` of a finished sweep ``futures run -m OVERRIDES``. The sweep is run
    once per test process (the command as a user runs it) and copied for each case that
    damages one; a copied sweep collects as the original does
    (tests/test_hardening.py::test_stale_temporaries_of_a_killed_collect_are_cleaned)."""
    if overrides not in _SWEPT:
        import atexit

        made = Path(tempfile.mkdtemp(prefix="sweeps-"))
        atexit.register(shutil.rmtree, made, True)
        result = futures_cli("run", "-m", *overrides, f"hydra.sweep.dir={made / 's'}")
        assert result.returncode == 0, result.stderr
        _SWEPT[overrides] = made / "s"
    shutil.copytree(_SWEPT[overrides], into, symlinks=True)
    return into


def _sweep(tmp: Path) -> Path:
    return swept(tmp / "s", "seed=1,2", "ensemble.members=4")


def _sweep_file(rel: str, text: str | None) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        sweep = _sweep(tmp)
        target = sweep / rel
        target.unlink()
        if text is None:
            os.mkfifo(target)
        else:
            target.write_text(text)
        return ["collect", str(sweep)]
    return build


def _keeps_sweep_nc(tmp: Path) -> None:
    with xr.open_dataset(tmp / "s" / "sweep.nc", engine="h5netcdf") as ds:
        assert list(ds.seed.values) == [1, 2]


def _no_figures(tmp: Path) -> None:
    assert not (tmp / "r" / "figures").exists() and not (tmp / "r" / "report.html").exists()


YAML = [
    Case("--config-dir file: alias bomb (9 levels of 9)", 2,
         folder({"mine.yaml": "defaults: [config, _self_]\n" + bomb()}),
         says="more than 200000 values once its aliases (*name) are expanded"),
    Case("--config-dir file: 3 MB of YAML", 2,
         folder({"mine.yaml": "defaults: [config, _self_]\nx: '" + "a" * 3_000_000 + "'\n"}),
         says="bytes; at most 2000000 are read"),
    Case("--config-dir file: nested 50000 lists deep", 2,
         folder({"mine.yaml": "x: " + "[" * 50_000 + "]" * 50_000 + "\n"}),
         says="not read: YAML nested too deeply"),
    Case("--config-dir file: a FIFO named x.yaml (never blocks)", 2,
         lambda tmp: _fifo_in_folder(tmp), says="not a regular file (a FIFO, device or folder)"),
    Case("--config-dir file: not UTF-8", 2,
         lambda tmp: _bytes_in_folder(tmp, b"seed: \xff\xfe\n"), says="not UTF-8 text"),
    Case("futures report: outcomes.nc whose config attribute is an alias bomb", 2,
         _stored_config(bomb(), "report"), says="its stored config is refused (not read: more "
         "than 200000 values", check=_no_figures),
    Case("futures plot: the same outcomes.nc", 2, _stored_config(bomb(), "plot"),
         says="its stored config is refused", check=_no_figures),
    Case("futures plot: config attribute with a Python tag", 2,
         _stored_config("seed: !!python/object/apply:os.getpid []\n", "plot"),
         says="its stored config is refused (not valid plain YAML", check=_no_figures),
    Case("futures collect: multirun.yaml an alias bomb", 2,
         _sweep_file("multirun.yaml", bomb()), says="multirun.yaml': not read: more than "
         "200000 values", check=_keeps_sweep_nc),
    Case("futures collect: a job's .hydra/overrides.yaml an alias bomb", 2,
         _sweep_file("1/.hydra/overrides.yaml", bomb()), says="overrides.yaml': not read",
         check=_keeps_sweep_nc),
    Case("futures collect: a job's .hydra/overrides.yaml a FIFO", 2,
         _sweep_file("1/.hydra/overrides.yaml", None), says="not a regular file",
         check=_keeps_sweep_nc),
    Case("futures collect: multirun.yaml with a Python tag", 2,
         _sweep_file("multirun.yaml", "hydra: !!python/object/apply:os.getpid []\n"),
         says="not valid plain YAML", check=_keeps_sweep_nc),
    Case("futures collect: multirun.yaml without hydra.overrides.task", 2,
         _sweep_file("multirun.yaml", "hydra: 5\n"), says="holds no hydra.overrides.task list",
         check=_keeps_sweep_nc),
]


def _fifo_in_folder(tmp: Path) -> list[str]:
    args = folder({"mine.yaml": "defaults: [config, _self_]\n"})(tmp)
    os.mkfifo(tmp / "cfg" / "x.yaml")
    return args


def _bytes_in_folder(tmp: Path, data: bytes) -> list[str]:
    args = folder({"mine.yaml": "defaults: [config, _self_]\n"})(tmp)
    (tmp / "cfg" / "x.yaml").write_bytes(data)
    return args


# --- item 3: nothing from the environment ------------------------------------------------

def _overrides(*overrides: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["run", *overrides, "ensemble.members=4", f"hydra.run.dir={tmp / 'run'}"]


ENV = [
    Case("seed=${oc.env:FUTURES_SECRET}", 3, _overrides("seed=${oc.env:FUTURES_SECRET}"),
         says="the resolver 'oc.env' is not accepted", env={"FUTURES_SECRET": "7"}),
    Case("a quoted '${oc.env:...}' description", 3,
         _overrides("future.versnelling.description='${oc.env:FUTURES_SECRET}'"),
         says="the resolver 'oc.env' is not accepted", env={"FUTURES_SECRET": "s3cr3t"}),
    Case("oc.env inside a list", 3, _overrides("futures=[${oc.env:FUTURES_SECRET}]"),
         says="futures[0]='${oc.env:FUTURES_SECRET}'", env={"FUTURES_SECRET": "versnelling"}),
    Case("oc.env nested in a plain reference", 3,
         _overrides("future.versnelling.description=${futures.${oc.env:FUTURES_SECRET}}"),
         says="the resolver 'oc.env' is not accepted", env={"FUTURES_SECRET": "0"}),
    Case("${now:...} in a model key", 3, _overrides("future.versnelling.description=${now:%Y}"),
         says="the resolver 'now' is not accepted"),
    Case("${oc.decode:...}", 3, _overrides("future.versnelling.description=${oc.decode:'1'}"),
         says="the resolver 'oc.decode' is not accepted"),
    Case("${hydra:runtime.cwd}", 3,
         _overrides("future.versnelling.description=${hydra:runtime.cwd}"),
         says="the resolver 'hydra' is not accepted"),
    Case("a swept value with oc.env (-m)", 3,
         lambda tmp: ["run", "-m", "seed=1,${oc.env:FUTURES_SECRET}", "ensemble.members=4",
                      f"hydra.sweep.dir={tmp / 'run'}"],
         says="the resolver 'oc.env' is not accepted", env={"FUTURES_SECRET": "7"}),
    Case("an unclosed ${", 3, _overrides("future.versnelling.description=a${x"),
         says="not a valid interpolation"),
    Case("+hydra.job.env_set.X=1", 3, _overrides("+hydra.job.env_set.FUTURES_X=1"),
         says="could import and call code"),
    Case("--config-dir file with ${oc.env:...}", 3,
         folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nfuture:\n  versnelling:\n"
                 "    description: ${oc.env:FUTURES_SECRET}\n"}),
         says="the resolver 'oc.env' is not accepted", env={"FUTURES_SECRET": "s3cr3t"}),
    Case("--config-dir file with ${now:...} in a list", 3,
         folder({"mine.yaml": "defaults:\n  - config\n  - _self_\nfutures: [versnelling, "
                 "'${now:%Y}']\n"}), says="the resolver 'now' is not accepted"),
    Case("hydra.run.dir with ${now:...} (allowed there; control)", 3,
         lambda tmp: ["run", "ensemble.members=4", f"hydra.run.dir={tmp}/run${{now:%Y}}"],
         status=0, says=""),
    Case("a plain ${key} reference (control: runs, resolved)", 3,
         _overrides("future.versnelling.description=${seed}"), status=0,
         check=lambda tmp: _description_is(tmp, 2021)),
]


def _description_is(tmp: Path, text: object) -> None:
    import yaml

    attrs = xr.load_dataset(tmp / "run" / "outcomes.nc").attrs
    assert yaml.safe_load(attrs["config"])["future"]["versnelling"]["description"] == text


# --- item 4: outputs stay inside the run folder --------------------------------------------

def _linked(tmp: Path, name: str, command: list[str]) -> list[str]:
    run = _run(tmp)
    (tmp / "elsewhere").mkdir()
    if (run / name).is_dir():
        shutil.rmtree(run / name)
    (run / name).symlink_to(tmp / "elsewhere")
    return [*command, str(run)] if command[0] in ("plot", "report", "export") else \
        [*command, f"hydra.run.dir={run}"]


def _elsewhere_empty(tmp: Path) -> None:
    assert list((tmp / "elsewhere").iterdir()) == []


def _sweep_linked(tmp: Path, rel: str) -> list[str]:
    sweep = _sweep(tmp)
    (tmp / "elsewhere").mkdir()
    target = sweep / rel
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    target.symlink_to(tmp / "elsewhere" if rel.isdigit() else tmp / VICTIM)
    return ["run", "-m", "seed=1,2", "ensemble.members=4", f"hydra.sweep.dir={sweep}"]


def _file_linked(tmp: Path, name: str, command: str) -> list[str]:
    run = _run(tmp)
    if command == "report":
        (run / name).symlink_to(tmp / VICTIM)
        return ["report", str(run)]
    (run / name).unlink()
    (run / name).symlink_to(tmp / VICTIM)
    return ["run", "ensemble.members=4", f"hydra.run.dir={run}"]


def _export_file_linked(tmp: Path) -> list[str]:
    run = _run(tmp)
    (run / "export").mkdir()
    (run / "export" / "outcomes_long.csv").symlink_to(tmp / VICTIM)
    return ["export", str(run), "--format", "csv"]


def _replaced_link(name: str) -> Callable[[Path], None]:
    def check(tmp: Path) -> None:
        path = tmp / "r" / name
        assert path.is_file() and not path.is_symlink()
    return check


LINKS = [
    Case("RUN_DIR/figures a symlink to another folder (plot)", 4,
         lambda tmp: _linked(tmp, "figures", ["plot"]), says="is a symbolic link (to",
         check=_elsewhere_empty),
    Case("RUN_DIR/.hydra a symlink (run into that folder)", 4,
         lambda tmp: _linked(tmp, ".hydra", ["run", "ensemble.members=4"]),
         says="is a symbolic link (to", check=_elsewhere_empty),
    Case("a sweep's job folder 1 a symlink (run -m into that sweep)", 4,
         lambda tmp: _sweep_linked(tmp, "1"), says="is a symbolic link (to",
         check=_elsewhere_empty),
    Case("a sweep's multirun.yaml a symlink to a file outside", 4,
         lambda tmp: _sweep_linked(tmp, "multirun.yaml"), says="is a symbolic link (to"),
    Case("RUN_DIR/report.html a symlink to a file outside (report writes inside)", 4,
         lambda tmp: _file_linked(tmp, "report.html", "report"), status=0,
         check=_replaced_link("report.html")),
    Case("RUN_DIR/export a symlink to another folder (export)", 4,
         lambda tmp: _linked(tmp, "export", ["export"]), says="is a link or a file",
         check=_elsewhere_empty),
    Case("RUN_DIR/export/outcomes_long.csv a symlink to a file outside (export writes "
         "inside)", 4, lambda tmp: _export_file_linked(tmp), status=0,
         check=_replaced_link("export/outcomes_long.csv")),
    Case("RUN_DIR/outcomes.nc a symlink to a file outside (run into that folder)", 4,
         lambda tmp: _file_linked(tmp, "outcomes.nc", "run"), says="is a symbolic link (to"),
]

CASES = CONFIG_DIR + YAML + ENV + LINKS


def attempt(case: Case, tmp: Path) -> tuple[int, str]:
    """Run ``case`` in ``tmp``: the exit status and its error line, or else the lines it
    printed starting ``futures:`` (``T`` for tmp)."""
    victim = write(tmp / VICTIM, "precious\n")
    args = case.build(tmp)
    saved = {k: os.environ.get(k) for k in case.env}
    os.environ.update({k: v.replace("@T", str(tmp)) for k, v in case.env.items()})
    try:
        result = futures_cli(*args)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert victim.read_text() == "precious\n", "a file outside the run folder was changed"
    # a sweep of more than 200 jobs says its count before its values are checked
    lines = [x for x in result.stderr.strip().splitlines()
             if not x.startswith("futures: sweep of ")]
    errors = [x for x in lines if x.startswith("futures: error:")]
    assert "Traceback" not in result.stderr, result.stderr
    if case.status == 2:
        assert len(lines) == 1 and len(errors) == 1, result.stderr
    assert result.returncode == case.status, result.stderr
    said = [x for x in lines if x.startswith("futures: ") and "sweep of" not in x]
    shown = errors[-1] if errors else " / ".join(said)
    return result.returncode, shown.replace(str(tmp), "T")


DOCUMENTED = documented_cases("Security cases", "S")


@pytest.fixture
def short_tmp():
    """A fresh folder whose name has the same length as the table generator's (long paths
    are shortened in error lines, so the lines match the table only then)."""
    with tempfile.TemporaryDirectory(prefix="fs-") as tmp:
        yield Path(tmp)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_security_case(short_tmp, case):
    """Each case: its exit status, one line saying what is refused, no victim changed,
    refused runs leave no run folder; and docs/reliability.md shows the same line."""
    tmp_path = short_tmp
    status, line = attempt(case, tmp_path)
    assert case.says in line, line
    if status == 2:
        run_dir_exists_not(tmp_path)
    if case.check:
        case.check(tmp_path)
    assert DOCUMENTED.get(case.name) == line, (case.name, line)


def test_environment_never_reaches_outcomes(tmp_path, monkeypatch):
    """With a secret in the environment, a default run's outcomes.nc holds no trace of it."""
    monkeypatch.setenv("FUTURES_SECRET", "zq9-secret-value-41")
    run = _run(tmp_path)
    assert b"zq9-secret-value-41" not in (run / "outcomes.nc").read_bytes()
    assert b"zq9-secret-value-41" not in (run / ".hydra" / "config.yaml").read_bytes()


def test_composed_check_holds_without_the_text_scan(tmp_path, monkeypatch):
    """The composed-config check alone (text scan switched off) still refuses every case
    that reaches Hydra's settings or names code: it is the root, the scan a first filter."""
    from scenarios.config import guard
    from scenarios.config.errors import ConfigError

    monkeypatch.setattr(guard, "scan_folder", lambda folder: None)
    refused = 0
    for case in CONFIG_DIR[:13]:
        tmp = tmp_path / str(refused)
        tmp.mkdir()
        args = case.build(tmp)
        name = args[args.index("--config-name") + 1] if "--config-name" in args else None
        job = [a for a in args if "=" in a and not a.startswith("hydra.")]
        with pytest.raises(ConfigError, match="not accepted|does not compose"):
            guard.check_config_dirs([str(tmp / "cfg")], name, job)
        refused += 1
    assert refused == 13


def test_bounded_loader_keeps_ordinary_aliases():
    """Anchors and aliases of ordinary size are read as YAML defines them."""
    from scenarios.config.safe_yaml import load_yaml

    assert load_yaml("a: &x [1, 2]\nb: *x\n", "k", "v") == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(ValueError, match="once its aliases"):
        load_yaml(bomb(6), "k", "v")
