r"""Is each future's narrative signature self-consistent under the cross-impact judgments?

In the spirit of Cross-Impact Balance analysis (Weimer-Jehle 2006; ScenarioWizard): a
scenario is consistent when every descriptor's stated state is the one the impact balance of
the other descriptors' states favours. Here the descriptors are the trends, their states the
narrative cells (direction 2021 -> 2030 and 2030 level band, conf/study/nds2021.yaml), and the
judgments the configured cross-impact matrix, driver and lever loadings (conf/cross_impact.yaml).

For future f and trend i the **impact balance** is the KSIM net push per year at the
narrative's mid-path state,

.. math::

    B_{fi} = m_i + \sum_{j \ne i} A_{ij}\, \bar x_{fj} + \sum_k L_{ik}\, d_{fk}
           + \sum_l P_{il}\, u_{fl},
    \qquad \bar x_{fj} = \tfrac12\bigl(x_j(2021) + \mathrm{mid}(\mathrm{band}_{fj})\bigr),

with m the momentum, A the trend-on-trend matrix (the trend's own column left out), L the
driver loadings at the future's driver targets d (its axis position and overrides), P the
lever loadings at its lever settings u, and mid the band midpoint
(:data:`~scenarios.analysis.narratives.table.MIDPOINT`). The balance is split into its
part from the other trends and its part from momentum, drivers and levers.

KSIM turns a net push B into a change of level: :math:`\dot x = -x \ln x \cdot B` (to first
order in the step), so the **implied change** over the horizon T = 9 years is
:math:`\Delta_{fi} = -T\, x_i \ln x_i\, B_{fi}` at the 2021 level. The stated direction
admits an interval of changes (decline <= -0.05, flat within +-0.05, rise >= +0.05, strong
rise >= +0.15; narratives/table.py); the **inconsistency** of (f, i) is the distance of
:math:`\Delta_{fi}` from that interval, in level units (0 = consistent). A future's score
is the sum over its trends, and the count of its inconsistent trends. The check uses no
simulation and no fitting: it judges the signature before any fit.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from models.ensemble import MOMENTUM
from scenarios.analysis.narratives.table import FLAT, MIDPOINT, STRONG, cells
from scenarios.config.schema import RunSpec

#: Direction of a cell as an interval of level change, 2021 -> 2030.
INTERVALS = {"decline": (-np.inf, -FLAT), "flat": (-FLAT, FLAT), "rise": (FLAT, np.inf),
             "strong rise": (STRONG, np.inf)}


def consistency(spec: RunSpec) -> xr.Dataset:
    """Impact balance, implied change and inconsistency per future and trend."""
    world = spec.world
    trends = list(world.trends)
    futures = [f.label for f in spec.futures]
    x0 = np.asarray(world.initial, dtype=float)
    state = np.tile(x0, (len(futures), 1))
    direction = np.full((len(futures), len(trends)), "", dtype=object)
    for c in cells():
        if c.future in futures:
            at = futures.index(c.future), trends.index(c.trend)
            state[at] = (x0[at[1]] + MIDPOINT[c.level]) / 2
            direction[at] = c.direction
    col = world.drivers.index(MOMENTUM)
    other = world.driver_loadings.copy()
    momentum = other[:, col].copy()
    other[:, col] = 0.0
    off_diagonal = world.trend_matrix - np.diag(np.diag(world.trend_matrix))
    from_trends = state @ off_diagonal.T  # (F, n)
    from_drivers = np.empty_like(from_trends)
    for k, future in enumerate(spec.futures):
        d = np.asarray(future.driver_targets(world, future.ownership, future.purpose), float)
        u = np.array([future.levers.get(lv, world.lever_reference[m])
                      for m, lv in enumerate(world.levers)])
        from_drivers[k] = momentum + other @ d + world.lever_loadings @ u
    balance = from_trends + from_drivers
    years = world.end - world.start
    implied = -years * x0 * np.log(x0) * balance
    low = np.array([[INTERVALS[d][0] if d else -np.inf for d in row] for row in direction])
    high = np.array([[INTERVALS[d][1] if d else np.inf for d in row] for row in direction])
    inconsistency = np.maximum(low - implied, 0.0) + np.maximum(implied - high, 0.0)
    ds = xr.Dataset(
        {
            "balance": (("future", "trend"), balance),
            "balance_trends": (("future", "trend"), from_trends),
            "balance_drivers": (("future", "trend"), from_drivers),
            "implied_change": (("future", "trend"), implied),
            "stated_direction": (("future", "trend"), direction.astype(str)),
            "inconsistency": (("future", "trend"), inconsistency),
            "inconsistency_total": ("future", inconsistency.sum(axis=1)),
            "inconsistent_trends": ("future", (inconsistency > 0).sum(axis=1)),
        },
        coords={"future": futures, "trend": trends},
    )
    ds["balance"].attrs.update(units="1/year", description="KSIM net push at the narrative's "
                               "mid-path state: momentum + other trends + drivers + levers")
    ds["implied_change"].attrs.update(units="level", description="-T x ln x B at the 2021 level")
    ds["inconsistency"].attrs.update(units="level", description="distance of the implied "
                                     "change from the stated direction's interval; 0 = consistent")
    return ds
