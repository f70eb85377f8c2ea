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

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

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



#: The last lines of every analysis's usage.
BAD_INPUT = """
Bad input ends with one line on stderr naming the key, the value and what is allowed,
exit status 2, and nothing written.
"""
#: An analysis's job (``job(cfg, output_dir)``, returning its main output's path; no
#: progress bar) and the check of its config section (or None).
Functions = tuple[Callable[["DictConfig", Path], Path], Callable[["DictConfig"], None] | None]


def analysis_command(name: str, usage: str, functions: Callable[[], Functions], *,
                     section: bool = True) -> Command:
    """The :class:`Command` of an analysis (``scenarios/analysis/*/command.py``).

    Parameters
    ----------
    name : str
        ``futures NAME``.
    usage : str
        What ``futures NAME --help`` prints, before :data:`BAD_INPUT`.
    functions : callable
        Imports the analysis's job and check (:data:`Functions`) when the command runs, so
        that ``futures --help`` and bad input import none of it (start-up time).
    section : bool
        Whether the analysis reads (and checks) a config section of its own, named as the
        command (``futures plane`` reads ``plane``); without one its check is None.
    """

    def run(cfg: DictConfig, output_dir: Path, *, progress: bool) -> Path:
        return functions()[0](cfg, output_dir)

    def validate(cfg: DictConfig) -> None:
        check = functions()[1]
        if check is not None:
            check(cfg)

    return Command(name, usage.rstrip("\n") + "\n" + BAD_INPUT, job=run,
                   check=validate if section else None, section=name if section else None)
