"""``futures validate`` (scenarios.analysis.validation) and the model changes of issue 15:
impacts from trend changes only, the level floor, and events with the right sign."""

from __future__ import annotations

import numpy as np
import pytest

from models.ensemble import LEVEL_FLOOR
from scenarios.analysis.narratives import fit as narrative_fit
from scenarios.analysis.narratives.table import Cell, cells
from scenarios.analysis.validation import compute
from scenarios.analysis.validation.report import markdown, table
from scenarios.config.compose import load
from scenarios.engine.posterior import stored
from scenarios.engine.simulate import simulate
from tests.conftest import refused


def test_held_reads_direction_and_band():
    """A cell holds only when both its direction and its level band hold."""
    table_ = (Cell("f", "a", "rise", "H", "TEXT"), Cell("f", "b", "flat", "L", "INF"),
              Cell("f", "c", "decline", "L", "PARTIAL"))
    start = np.array([[0.5, 0.1, 0.5]])
    assert compute.held(table_, ["f"], ["a", "b", "c"], start,
                        np.array([[0.7, 0.12, 0.2]])).tolist() == [True, True, True]
    assert compute.held(table_, ["f"], ["a", "b", "c"], start,
                        np.array([[0.58, 0.2, 0.3]])).tolist() == [False, False, False]


def test_grade_level_maps_the_band_midpoints():
    assert compute.grade_level(np.array([1.0, 2.0, 3.0])) == pytest.approx([0.15, 0.45, 0.68])
    assert compute.grade_level(np.array([-5.0, 9.0])).tolist() == [0.0, 1.0]


def test_additive_baseline_leaves_the_future_out():
    """A future's additive prediction does not move when its own cells change, and the
    in-sample variant does."""
    _, spec = load([])
    table_ = cells()
    left = compute.additive(spec, table_)
    changed = tuple(Cell(c.future, c.trend, c.direction, "H", c.basis)
                    if c.future == "versnelling" else c for c in table_)
    again = compute.additive(spec, changed)
    assert np.array_equal(left[0], again[0])
    assert not np.array_equal(left[1:], again[1:])
    assert not np.array_equal(compute.additive(spec, table_, leave_out=False)[0],
                              compute.additive(spec, changed, leave_out=False)[0])


def test_validate_counts_are_computed(monkeypatch):
    """With the fit replaced by the config's own entries every refitted split equals the
    in-sample model on the cells it scores; counts add up per basis and per future."""
    cfg, spec = load([])
    world = spec.world
    own = {t: {c: float(world.driver_loadings[i, world.drivers.index(c)])
               for c in narrative_fit.COLUMNS} for i, t in enumerate(world.trends)}
    calls = []

    def fake_fit(**kwargs):
        calls.append(kwargs)
        return own

    monkeypatch.setattr(narrative_fit, "fit", lambda *a, **k: fake_fit(**k))
    # the refitted posteriors replaced by the stored one: the refit is then the default model
    monkeypatch.setattr(compute.narrative_posterior, "compute",
                        lambda *a, **k: (stored(spec.study.name), {}))
    ds = compute.validate(cfg, spec, compute.Protocol(members=64, score=256))
    assert len(calls) == 5
    assert [len(c["cells"]) for c in calls] == [33, 33, 33, 33, 38]
    assert all("versnelling" not in c["rankings"] for c in calls[:1])
    held = ds.held.values
    scored = ds.scored.values
    s = {name: k for k, name in enumerate(compute.SPLITS)}
    assert np.array_equal(held[s["leave_one_future_out"]], held[s["in_sample"]])
    text = ds.cell_basis.values == "TEXT"
    assert scored[s["leave_text_out"]].tolist() == text.tolist()
    assert np.array_equal(held[s["leave_text_out"]], held[s["in_sample"]] & text)
    assert int(ds.cells_total) == 44
    assert ds.cells_held_by_basis.sum("basis").values.tolist() == ds.cells_held.values.tolist()
    assert ds.cells_held_by_future.sum("future").values.tolist() == ds.cells_held.values.tolist()
    flat = held[s["flat"]]
    assert all(c == "flat, " + c.split(", ")[1] for c, h in
               zip(ds.cell_expected.values, flat) if h)  # only flat cells hold if nothing moves
    assert ds.attrs["gap_in_minus_out"] == 0
    assert "leave_one_future_out" in table(ds) and "## Every cell" in markdown(ds, "")
    assert "## Ranking positions" in markdown(ds, "")
    p = ds.cell_probability.values
    assert ((0 <= p) & (p <= 1)).all() and p.std() > 0.05  # computed per cell, not constant
    assert not np.allclose(p, ds.cell_probability_prior.values)
    rank = ds.rank_probability.values
    assert np.isfinite(rank).sum() == 4 * 5 and ((0 <= rank[np.isfinite(rank)]) &
                                                 (rank[np.isfinite(rank)] <= 1)).all()
    for name in ds.data_vars:
        assert ds[name].attrs["units"] == "1" and ds[name].attrs["long_name"], name


def test_protocol_keys_default_to_the_budgeted_protocol():
    """``validate.*`` default to the budgeted protocol (the command's cost stays); each key
    reaches the protocol, ``fit_iterations=null`` meaning until scipy's tolerance."""
    cfg, _ = load([])
    assert compute.Protocol.of(cfg) == compute.Protocol(
        score=compute.SCORE_MEMBERS, members=compute.MEMBERS,
        fit_iterations=compute.FIT_ITERATIONS, particles=compute.POSTERIOR_PARTICLES,
        moves=compute.POSTERIOR_MOVES, jobs=1)
    cfg, _ = load(["validate.members=256", "validate.fit_members=1024",
                   "validate.fit_iterations=null", "validate.particles=2048",
                   "validate.moves=4", "validate.jobs=2"])
    assert compute.Protocol.of(cfg) == compute.Protocol(256, 1024, None, 2048, 4, 2)
    assert compute.Protocol.of(load(["validate.fit_iterations=40"])[0]).fit_iterations == 40


@pytest.mark.parametrize(("override", "message"), [
    ("validate.members=0", r"validate\.members=0: expected an integer >= 1"),
    ("validate.fit_members=-3", r"validate\.fit_members=-3: expected an integer >= 1"),
    ("validate.fit_iterations=0", (r"validate\.fit_iterations=0: expected null \(until "
                                   r"least squares' own tolerance\) or an integer >= 1")),
    ("validate.fit_iterations=many", r"validate\.fit_iterations='many': expected an integer"),
    ("validate.particles=1", r"validate\.particles=1: expected an integer >= 2"),
    ("validate.moves=-1", r"validate\.moves=-1: expected an integer >= 0"),
    ("validate.jobs=0", r"validate\.jobs=0: expected an integer >= 1 and <= 64"),
    ("validate.budget=3", r"validate\.budget=3: unknown config key; keys at validate are"),
])
def test_protocol_keys_refuse_bad_values(override, message):
    """A bad ``validate.*`` value is a ConfigError naming key, value and what is allowed."""
    from scenarios.config.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        load([override])


def test_futures_validate_refuses_a_bad_protocol_key(cli, tmp_path):
    """On the command line: one line, exit 2, before any work and without a run folder."""
    out = tmp_path / "v"
    refused(cli("validate", "validate.particles=1", f"hydra.run.dir={out}"),
            r"^futures: error: validate\.particles=1: expected an integer >= 2", out)


def test_refits_in_parallel_give_the_same_results(monkeypatch):
    """``validate.jobs`` only spreads the refits over processes: the same medians and fit
    reports, in the same order, as one after the other."""
    cfg, spec = load([])
    table_ = cells()
    jobs = [(tuple(c for c in table_ if c.future != f), {}) for f in
            ("versnelling", "gelijk_speelveld")]
    small = compute.Protocol(score=16, members=8, fit_iterations=1, particles=16, moves=0)
    one = compute.refits(cfg, spec, jobs, small)
    two = compute.refits(cfg, spec, jobs, compute.Protocol(16, 8, 1, 16, 0, jobs=2))
    assert len(one) == len(two) == 2
    for a, b in zip(one, two):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert one[0][2]["nfev"] >= 1 and one[0][2]["status"] == 0  # stopped by the budget
    assert not np.array_equal(one[0][1], one[1][1])  # the two refits differ


def test_no_axis_or_eu_driver_scores_an_area():
    """Impacts are weighted trend changes: the axis drivers and eu_regulation weigh 0."""
    world = load([])[1].world
    for driver in ("shareholder", "stakeholder", "growth", "welfare", "eu_regulation"):
        k = world.drivers.index(driver)
        assert np.all(world.area_driver_weights[:, k] == 0.0), driver


def _medians(overrides):
    _, spec = load(["ensemble.members=400", *overrides])
    out, _ = simulate(spec, precision="float64", chunk=2048, threads=1)
    return (np.median(out.levels[:, -1], axis=-1), np.median(out.impacts[:, -1], axis=-1),
            spec.world, out)


def test_bounded_not_pinned():
    """No (future, trend) ends 2030 with more than 5% of its members below 0.01 or above
    0.99 on the defaults; every level stays above the floor."""
    _, spec = load(["ensemble.members=1000"])
    out, _ = simulate(spec, precision="float64", chunk=2048, threads=1)
    end = out.levels[:, -1]
    assert (end < 0.01).mean(axis=-1).max() <= 0.05
    high = (end > 0.99).mean(axis=-1)
    futures = [f.label for f in spec.futures]
    for c in cells():  # a "strong rise, H" cell says the trend should end near the top
        if c.direction == "strong rise" and c.level == "H":
            high[futures.index(c.future), spec.world.trends.index(c.trend)] = 0.0
    assert high.max() <= 0.05
    assert out.levels.min() >= LEVEL_FLOOR - 1e-12


def test_more_cyber_incidents_lower_security_in_every_future():
    """Doubling the major-incident rate lowers the 2030 median veiligheid everywhere."""
    _, base, world, _ = _medians([])
    _, double, _, _ = _medians(["events.hazards.cyber_incident.rate=0.4"])
    area = world.areas.index("veiligheid")
    assert np.all(double[:, area] < base[:, area]), (base[:, area], double[:, area])


def test_more_crypto_crashes_lower_digital_currency_in_every_future():
    base, _, world, _ = _medians([])
    double, _, _, _ = _medians(["events.hazards.crypto_crash.rate=1.6"])
    trend = world.trends.index("digitale_valuta")
    assert np.all(double[:, trend] < base[:, trend]), (base[:, trend], double[:, trend])


def test_major_incidents_are_rare_by_default():
    """About one major incident per member by 2030, not three (none large-scale yet,
    L2109-2113)."""
    _, spec = load(["ensemble.members=400"])
    out, _ = simulate(spec, precision="float64", chunk=2048, threads=1)
    assert spec.events is not None and out.events is not None
    kind = [h.kind for h in spec.events.hazards].index("cyber_incident")
    per_member = np.sum(out.events.kind == kind) / (len(spec.futures) * spec.members)
    assert 0.3 <= per_member <= 1.5, per_member
