"""``futures consistency`` (scenarios.analysis.consistency): cross-impact balance."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.analysis.consistency.compute import INTERVALS, consistency
from scenarios.analysis.consistency.report import markdown
from scenarios.analysis.narratives.table import MIDPOINT, cells
from scenarios.config.compose import load


def test_balance_is_the_ksim_net_push_at_the_narrative_state():
    """One (future, trend) by hand: momentum + other trends' mid-path states + drivers."""
    _, spec = load([])
    ds = consistency(spec)
    w = spec.world
    f = spec.futures[1]
    i = w.trends.index("digitale_valuta")
    state = np.array(w.initial, float)
    for c in cells():
        if c.future == f.label:
            j = w.trends.index(c.trend)
            state[j] = (w.initial[j] + MIDPOINT[c.level]) / 2
    row = w.trend_matrix[i].copy()
    row[i] = 0.0
    d = f.driver_targets(w, f.ownership, f.purpose)
    u = np.array([f.levers.get(lv, w.lever_reference[k]) for k, lv in enumerate(w.levers)])
    expected = row @ state + w.driver_loadings[i] @ d + w.lever_loadings[i] @ u
    got = ds.balance.sel(future=f.label, trend="digitale_valuta")
    assert float(got) == pytest.approx(float(expected))
    x = w.initial[i]
    assert float(ds.implied_change.sel(future=f.label, trend="digitale_valuta")) == \
        pytest.approx(-9 * x * np.log(x) * float(expected))


def test_inconsistency_is_the_distance_from_the_stated_interval():
    _, spec = load([])
    ds = consistency(spec)
    for f in ds.future.values:
        for t in ds.trend.values:
            c = ds.sel(future=f, trend=t)
            lo, hi = INTERVALS[c.stated_direction.item()]
            change = float(c.implied_change)
            expected = max(lo - change, 0.0) + max(change - hi, 0.0)
            assert float(c.inconsistency) == pytest.approx(expected)
    assert ds.inconsistent_trends.values.tolist() == \
        (ds.inconsistency > 0).sum("trend").values.tolist()
    assert "| future | inconsistent trends |" in markdown(ds)


def test_a_strong_push_makes_a_flat_trend_inconsistent():
    """Raising a flat trend's momentum far enough makes its cell inconsistent; the check
    can fail."""
    _, spec = load([])
    base = consistency(spec)
    _, pushed = load(["cross_impact.decentralisering.momentum=1.5"])
    after = consistency(pushed)
    at = {"future": "versnelling", "trend": "decentralisering"}
    assert base.stated_direction.sel(**at).item() == "flat"
    assert float(after.inconsistency.sel(**at)) > float(base.inconsistency.sel(**at)) + 0.1
