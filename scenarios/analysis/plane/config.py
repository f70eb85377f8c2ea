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
