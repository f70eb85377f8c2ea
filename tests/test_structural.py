"""Structural uncertainty (issue 15 item 1): per-member matrices, loadings and impact weights.

Each sampled entry enters the kernel as a sparse per-member correction
(:class:`models.dynamics.Sparse`); the reference is the plain model of a world whose
nominal matrices hold that member's values.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.ensemble import run, structural_names
from scenarios.config.compose import load
from scenarios.engine.seeds import draw_members, event_rngs


@pytest.fixture(scope="module")
def loaded():
    """The default configuration with 16 members."""
    return load(["ensemble.members=16"])


def world_of_member(world, drawn, member, future=0):
    """``world`` with the structural entries of one member written into its matrices."""
    columns = {**{c: ("trend_matrix", k) for k, c in enumerate(world.trends)},
               **{c: ("driver_loadings", k) for k, c in enumerate(world.drivers)},
               **{c: ("lever_loadings", k) for k, c in enumerate(world.levers)}}
    weights = {"trend_matrix": "area_trend_weights", "driver_loadings": "area_driver_weights",
               "lever_loadings": "area_lever_weights"}
    arrays = {name: getattr(world, name).copy() for name in
              list(weights) + list(weights.values())}
    for name, values in drawn.items():
        if name[:2] not in ("A.", "W."):
            continue
        kind, row, col = name.split(".")
        group, k = columns[col]
        if kind == "A":
            arrays[group][world.trends.index(row), k] = values[future, member]
        else:
            arrays[weights[group]][world.areas.index(row), k] = values[future, member]
    return replace(world, **arrays)


@pytest.mark.parametrize("with_events", [False, True])
def test_per_member_entries_equal_the_dense_reference(loaded, with_events):
    """Every member of a run with sampled structural entries equals a run of the world
    holding that member's entries, to rounding (levels and impacts, events on and off)."""
    _, spec = loaded
    drawn = draw_members(spec)
    structural = {k: v for k, v in drawn.items() if k[:2] in ("A.", "W.")}
    assert len(structural) > 100  # the hand-set entries and impact weights with a range
    futures = spec.futures
    members = drawn
    events = spec.events if with_events else None
    rngs = event_rngs(spec) if with_events else None
    whole = run(spec.world, futures, members, 16, events=events, rngs=rngs, chunk=8)
    other = {k: v for k, v in members.items() if k[:2] not in ("A.", "W.")}
    for m in (0, 5, 13):
        for f in (0, 3):
            world = world_of_member(spec.world, members, m, future=f)
            # the member alone would be another block width: compare with the same layout
            one = run(world, futures, other, 16, events=events, rngs=rngs, chunk=8)
            np.testing.assert_allclose(whole.levels[f, :, :, m], one.levels[f, :, :, m],
                                       rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(whole.impacts[f, :, :, m], one.impacts[f, :, :, m],
                                       rtol=1e-9, atol=1e-12)


def test_structural_draws_stay_in_their_stated_range(loaded):
    """Draws of A.* stay within the range of cross_impact.yaml's comment (e.g. mega
    ecosystems braked by decentralisation, range [-0.6, -0.2]) and keep a weight's sign."""
    _, spec = loaded
    drawn = draw_members(replace(spec, members=256), n=256)
    entry = drawn["A.mega_ecosystemen.decentralisering"]
    assert entry.min() >= -0.6 - 1e-12 and entry.max() <= -0.2 + 1e-12
    assert entry.max() - entry.min() > 0.3  # the range is used, not a point
    weight = drawn["W.verdienvermogen.mega_ecosystemen"]  # T: -0.30 +- 25 %
    assert weight.min() >= -0.375 - 1e-12 and weight.max() <= -0.225 + 1e-12
    assert set(structural_names(spec.world)) >= {k for k in drawn if k[:2] in ("A.", "W.")}


@pytest.mark.parametrize("with_events", [False, True])
def test_lever_entries_equal_the_dense_reference_with_policy_and_keep(loaded, with_events):
    """With levers moved from 2021 (saturating effective units, lagged ramp groups, the
    future-dependent pair columns) and only some time points kept, a member's sampled
    lever loadings ``A.<trend>.<lever>`` still equal the dense world holding them."""
    _, spec = loaded
    drawn = draw_members(spec)
    lever_entries = [k for k in drawn if k[:2] == "A." and k.split(".")[2] in spec.world.levers]
    assert {"A.autonomisering.ai_investment", "A.autonomisering.digital_skills",
            "A.kwetsbaarheid.digital_skills"} <= set(lever_entries)
    assert not [k for k in drawn if k[:2] == "W." and k.split(".")[2] in spec.world.levers]
    settings = {"ai_investment": 1.0, "data_sharing": 0.9, "cyber_resilience": 0.1,
                "digital_skills": 0.2, "open_source_standards": 1.0}
    futures = [replace(f, levers={**f.levers, **settings}) for f in spec.futures]
    assert spec.world.lever_response.n_pairs > 0
    keep = np.arange(0, spec.world.n_steps + 1, 12)
    events = spec.events if with_events else None
    rngs = event_rngs(spec) if with_events else None
    whole = run(spec.world, futures, drawn, 16, events=events, rngs=rngs, chunk=8, keep=keep)
    assert whole.levels.shape[1] == len(keep)
    other = {k: v for k, v in drawn.items() if k[:2] not in ("A.", "W.")}
    nominal = run(spec.world, futures, other, 16, events=events, rngs=rngs, chunk=8, keep=keep)
    # the sampled lever loadings matter here (the comparison is not trivially equal)
    assert np.abs(whole.levels - nominal.levels).max() > 1e-3
    for m in (2, 11):
        for f in (1, 3):
            world = world_of_member(spec.world, drawn, m, future=f)
            one = run(world, futures, other, 16, events=events, rngs=rngs, chunk=8, keep=keep)
            np.testing.assert_allclose(whole.levels[f, :, :, m], one.levels[f, :, :, m],
                                       rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(whole.impacts[f, :, :, m], one.impacts[f, :, :, m],
                                       rtol=1e-9, atol=1e-12)
