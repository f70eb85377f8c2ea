"""Shared fixtures: the default ensemble in-process, and the `futures` command as a user runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xarray as xr
from omegaconf import OmegaConf

from scenarios.config.compose import load
from scenarios.engine.simulate import simulate, to_dataset

ROOT = Path(__file__).resolve().parents[1]


def dataset_for(overrides: list[str]) -> xr.Dataset:
    """Run a configuration in-process and return its outcomes Dataset."""
    cfg, spec = load(overrides)
    outcome, members = simulate(spec)
    return to_dataset(spec, outcome, members, OmegaConf.to_yaml(cfg, resolve=True))


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """Assert that a command ended as bad input must: exit status 2, one stderr line
    ``futures: error: ...``, no traceback. Returns that line."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("futures: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def refused(proc: subprocess.CompletedProcess[str], message: str, out: Path) -> None:
    """Assert that a command was refused as bad input (:func:`one_error_line`) with a line
    matching the regular expression ``message``, and that its folder ``out`` was not made."""
    line = one_error_line(proc)
    assert re.search(message, line), line
    assert not out.exists()


def check_refuses(check_config: Callable[[Any], None], override: str, message: str) -> None:
    """Assert that an analysis' check of the composed config (the command's, before Hydra
    makes a folder) raises a ConfigError matching ``message`` for ``override``."""
    from scenarios.config.errors import ConfigError

    cfg, _ = load([override])
    with pytest.raises(ConfigError, match=message):
        check_config(cfg)


@pytest.fixture(scope="session")
def default_run() -> xr.Dataset:
    """The default configuration exactly as `futures run` uses it (all four futures)."""
    return dataset_for([])


def futures_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `futures` console script; capture its output."""
    exe = Path(sys.executable).with_name("futures")
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          env=env, timeout=300, check=False)  # the status is what tests check


@pytest.fixture(scope="module")
def server():
    """A real `futures workshop` on a free port for the module; stopped with Ctrl-C, which
    must end it cleanly."""
    from tests.workshop_server import start

    running = start()
    yield running
    status, _, err = running.stop()
    assert status == 0, err


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory) -> Path:
    """A finished two-job sweep (seeds 1 and 2, 4 members), for tests that collect or damage
    one."""
    out = tmp_path_factory.mktemp("sweep") / "s"
    result = futures_cli("run", "-m", "seed=1,2", "ensemble.members=4", f"hydra.sweep.dir={out}")
    assert result.returncode == 0, result.stderr
    return out


def documented_cases(section: str, prefix: str) -> dict[str, str]:
    """A case table of docs/reliability.md (the one under ``### {section}``): case name -> the
    line it says is shown, without its backticks ("" where it shows nothing)."""
    text = (ROOT / "docs" / "reliability.md").read_text()
    rows = {}
    for line in text.split(f"### {section}", 1)[-1].splitlines():
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) == 5 and cells[0].lstrip("| ").startswith(prefix):
            shown = cells[4].rstrip(" |")
            # one backtick each side (a line may itself end with one: `futures run`)
            rows[cells[2]] = "" if shown.startswith("(nothing") else \
                shown[1:-1].replace("\\|", "|")
    return rows


@pytest.fixture
def cli():
    """The `futures` command as a callable."""
    return futures_cli
