"""The ``plane`` config node: the grid over both axes that ``futures plane`` maps.

Every problem raises :class:`scenarios.config.errors.ConfigError` naming the key, the bad value
and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.ensemble import Future, World
from scenarios.analysis.robustness.config import judged_year, statistic_of
from scenarios.config.checks import expect, integer, label, mapping

#: How the drivers other than the axes are set at a grid point (docs/plane.md).
DRIVER_MODES = ("interpolate", "status_quo")
#: Largest number of grid points x members one plane runs.
MAX_MEMBERS = 2_000_000


@dataclass(frozen=True)
class PlaneSpec:
    """A validated ``plane`` node.

    Attributes
    ----------
    grid : int
        Points per axis, >= 2: positions ``linspace(0, 1, grid)`` on both axes.
    members : int
        Members per grid point.
    statistic : str
        One of :data:`scenarios.analysis.robustness.config.STATISTICS`.
    quantile : float
        In (0, 1); used when ``statistic == "quantile"``.
    year : float
        The decimal year mapped.
    time_index : int
        Index of ``year`` in the run's time points.
    drivers : str
        One of :data:`DRIVER_MODES`.
    """

    grid: int
    members: int
    statistic: str
    quantile: float
    year: float
    time_index: int
    drivers: str


def plane_spec(node: Mapping[str, Any], world: World, design: str,
               futures: list[Future]) -> PlaneSpec:
    """Check the ``plane`` node.

    Parameters
    ----------
    node : mapping
        ``plane`` as plain containers.
    world : World
        Gives the run's time points.
    design : str
        The ensemble design (``sobol`` needs a power of two members).
    futures : list of Future
        The run's futures (marked on the plane).

    Returns
    -------
    PlaneSpec

    Raises
    ------
    ConfigError
        On the first problem.
    """
    node = mapping("plane", node)
    grid = integer("plane.grid", node.get("grid", 9), 2, 101)
    members = integer("plane.members", node.get("members", 64), 1, MAX_MEMBERS)
    if design == "sobol":
        expect(members & (members - 1) == 0, "plane.members", members,
               "the sobol design needs a power of two (e.g. 64)")
    expect(grid * grid * members <= MAX_MEMBERS, "plane.members", members,
           f"grid x grid x members may be at most {MAX_MEMBERS:,} "
           f"(here {grid}x{grid}: at most {MAX_MEMBERS // (grid * grid)} members)")
    stat, q = statistic_of("plane", node)
    year, index = judged_year("plane.year", node.get("year"), world)
    drivers = label("plane.drivers", node.get("drivers", "interpolate"), DRIVER_MODES,
                    "drivers mode")
    return PlaneSpec(grid=grid, members=members, statistic=stat, quantile=q, year=year,
                     time_index=index, drivers=drivers)


USAGE = """\
usage: futures plane [KEY=VALUE ...] [hydra.run.dir=DIR]

Runs a grid of futures over both axes - ownership (0 shareholder .. 1 stakeholder model)
by purpose (0 economic growth .. 1 broad welfare) - all on the same members and event draws,
maps each impact area in 2030 over the plane with the chosen futures marked and arrows where
outcomes change fastest, and writes plane.nc and plane.png/.svg into the run directory.
Prints the run directory as the last line. Takes every `futures run` key and:

  plane.grid=N                  points per axis (default 9: 81 grid futures)
  plane.members=M               members per grid point (default 64)
  plane.statistic=median|mean|quantile, plane.quantile=Q
  plane.year=YEAR               map this time point (default time.end)
  plane.drivers=interpolate|status_quo   other drivers (eu_regulation) spread from the
                                futures by a thin-plate spline, or held at 2021

examples:
  futures plane
  futures plane plane.grid=15 plane.members=32
  futures plane plane.drivers=status_quo events.enabled=false

Bad input ends with one line on stderr naming the key, the value and what is allowed,
exit status 2, and nothing written.
"""
