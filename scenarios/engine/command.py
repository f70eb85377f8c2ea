"""Commands as objects: what ``futures NAME`` is, declared beside the code that does it.

Each command's package declares one :class:`Command` (``scenarios/analysis/*/command.py``,
``scenarios/workshop/command.py``, ``scenarios/figures/command.py``, and ``futures run`` and
``futures collect`` in :mod:`scenarios.engine.commands`); :mod:`scenarios.cli` registers them
in one list. A command either
takes Hydra overrides (``job``: Hydra composes the config and makes the run directory, the
job writes into it) or its own arguments (``main``).

The commands' functions import their modules when called, so that ``futures --help`` and bad
input are answered without importing xarray, matplotlib or Hydra's app (start-up time).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from omegaconf import DictConfig


def fail(message: str) -> int:
    """Print the one error line of bad input on stderr; return exit status 2."""
    print(f"futures: error: {message}", file=sys.stderr)
    return 2


class Job(Protocol):
    """A command's work inside Hydra: the composed config, the run directory to write into,
    and whether to show progress bars (not in a sweep's jobs, the sweep shows its own)."""

    def __call__(self, cfg: DictConfig, output_dir: Path, *, progress: bool) -> object: ...


@dataclass(frozen=True)
class Command:
    """One ``futures`` subcommand.

    Attributes
    ----------
    name : str
        ``futures NAME``.
    usage : str
        What ``futures NAME --help`` prints.
    job : Job, optional
        For commands that take Hydra overrides: the work, given the composed config.
    check : callable, optional
        Validates the command's own config ``section`` of a composed config (raising
        :class:`scenarios.config.errors.ConfigError`) before Hydra makes any folder.
    section : str, optional
        The config node the command reads besides the model's (``sensitivity``, ...).
    sweeps : bool
        Whether ``-m`` (a Hydra multirun) is accepted.
    main : callable, optional
        For commands with their own arguments: takes them, returns the exit status.
    """

    name: str
    usage: str
    job: Job | None = None
    check: Callable[[DictConfig], None] | None = None
    section: str | None = None
    sweeps: bool = False
    main: Callable[[list[str]], int] | None = None

    def __post_init__(self) -> None:
        if (self.job is None) == (self.main is None):
            raise ValueError(f"command {self.name!r}: give a job (Hydra) or a main, not both")


def _imported(target: str) -> Callable[..., Any]:
    """The function ``'package.module:function'``, imported now."""
    module, _, name = target.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def analysis_command(name: str, usage: str, job: str, check: str | None = None) -> Command:
    """The :class:`Command` of an analysis (``scenarios/analysis/*/command.py``).

    Parameters
    ----------
    name, usage : str
        As :class:`Command`.
    job : str
        ``'module:function'`` of the work, called as ``function(cfg, output_dir)`` and
        returning the main output's path; it shows no progress bar.
    check : str, optional
        ``'module:function'`` validating the command's config section, which is then named
        as the command (``futures plane`` reads ``plane``).

    The modules are imported only when the command runs (start-up time).
    """

    def run(cfg: DictConfig, output_dir: Path, *, progress: bool) -> Path:
        path: Path = _imported(job)(cfg, output_dir)
        return path

    def validate(cfg: DictConfig) -> None:
        assert check is not None
        _imported(check)(cfg)

    return Command(name, usage, job=run, check=None if check is None else validate,
                   section=None if check is None else name)
