"""What the workshop page needs to show the yearly public cost of the lever sliders.

The page adds up ``per_unit * setting`` per lever as the sliders move (no request); the rule
and the numbers are those of ``study.costs`` as ``futures robustness`` and ``futures
portfolio`` count them (:mod:`scenarios.analysis.robustness.costs`, which this layer may not
import; ``tests/test_workshop.py`` checks the two agree).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scenarios.config.schema import RunSpec


def lever_costs(spec: RunSpec) -> dict[str, Any]:
    """What the page needs to show the yearly public cost of the lever sliders.

    A setting ``x`` of lever ``k`` costs ``per_unit[k] * x`` EUR million a year (central, low,
    high), ``per_unit = cost / x_ref`` of :class:`~scenarios.config.study.LeverCost`: the rule
    of :func:`scenarios.analysis.robustness.costs.cost_of` (which the workshop layer may not
    import), so the same numbers as ``futures robustness`` and ``futures portfolio``
    (``tests/test_workshop.py`` checks them against it); the 2021 budget is the cost of the
    reference setting (``levers.yaml``). A lever without a cost or with reference 0 costs
    nothing.

    Returns
    -------
    dict
        ``budget``: [central, low, high] EUR m/yr of the 2021 reference setting; ``levers``:
        per lever with a cost entry its ``per_unit`` [central, low, high], its 2021
        ``reference`` setting and the cost's ``source``.
        Both empty when the study has no costs (the page then shows none).
    """
    world, study = spec.world, spec.study
    out: dict[str, Any] = {}
    budget = np.zeros(3)
    for lever, ref in zip(world.levers, world.lever_reference):
        cost = study.costs.get(lever)
        if cost is None or ref <= 0:
            continue
        per_unit = np.array([cost.reference, cost.low, cost.high]) / float(ref)
        budget += per_unit * float(ref)
        out[lever] = {"per_unit": [round(float(v), 6) for v in per_unit],
                      "reference": float(ref), "source": cost.source}
    return {"budget": [round(float(v), 6) for v in budget] if out else [], "levers": out,
            "unit": "EUR million per year"}
