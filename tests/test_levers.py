"""Levers that act like policy (models/levers.py, conf/lever_response.yaml): diminishing
returns, an implementation lag, effects that depend on the future; bad lever_response input."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from models.ensemble import run
from models.levers import LeverResponse, effective, lever_ramps
from scenarios.analysis.robustness.compute import analyse, evaluate, robustness_of
from scenarios.config.compose import load, normalize
from scenarios.config.errors import ConfigError
from scenarios.config.study import default_study

STUDY = default_study()
SINGLES = [f"{lv}_high" for lv in STUDY.lever_labels]


# --- the response curve and ramps --------------------------------------------------------

def test_effective_setting_is_concave_and_keeps_the_reference():
    """e(r) = r, e(2r) = rho * r, e(0) = 0, concave; rho = 2 is the identity."""
    u = np.linspace(0.0, 1.0, 11)
    e = effective(u, np.array(0.5), np.array(1.5))
    assert e[0] == 0.0
    assert e[5] == pytest.approx(0.5) and e[10] == pytest.approx(0.75)
    assert (np.diff(e, 2) < 0).all()  # diminishing returns
    np.testing.assert_array_equal(effective(u, np.array(0.5), np.array(2.0)), u)
    # a lever without a 2021 programme: slope 1 at 0, still saturating
    e0 = effective(u, np.array(0.0), np.array(1.5))
    assert e0[0] == 0.0 and e0[1] < 0.1 and (np.diff(e0, 2) < 0).all()


def test_ramp_groups_and_lags():
    resp = LeverResponse(doubling=np.array([2.0, 1.5, 1.5]), lag=np.array([0.0, 2.0, 1.0]),
                         pairs=((1, 0),), loadings=np.zeros((4, 1)), labels=("b*d",))
    column, lags = resp.groups(n_drivers=2)
    np.testing.assert_array_equal(lags, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(column, [0, 0, 0, 2, 1, 2])  # the pair follows its lever
    years = np.full((1, 3), 4.0)
    ramps = lever_ramps(3.0, years, lags)
    np.testing.assert_allclose(ramps[0, :, 0], [0.75, 0.5, 0.25])
    with pytest.raises(ValueError, match="doubling"):
        LeverResponse(doubling=np.array([0.9]), lag=np.array([0.0]))


# --- through the model -------------------------------------------------------------------

def _spec(overrides):
    _, spec = load(normalize(["ensemble.members=8", *overrides]))
    return spec


def _levels(spec, lever, value):
    futures = [type(f)(f.label, f.ownership, f.purpose, dict(f.drivers), {lever: value})
               for f in spec.futures]
    return run(spec.world, futures, {}, 1).levels  # nominal world, continuous model


def test_a_lever_change_acts_after_its_lag():
    """Doubling AI money changes nothing in the first 1.5 years (its lag), then it does."""
    spec = _spec([])
    k = spec.world.levers.index("ai_investment")
    assert spec.world.lever_response.lag[k] == 1.5
    ref, high = _levels(spec, "ai_investment", 0.5), _levels(spec, "ai_investment", 1.0)
    before = int(1.5 * spec.world.steps_per_year)
    np.testing.assert_array_equal(ref[:, :before + 1], high[:, :before + 1])
    assert np.abs(high[:, -1] - ref[:, -1]).max() > 1e-3
    # without the lag the change acts from the first step
    spec0 = _spec(["lever_response.ai_investment.lag.value=0.0",
                   "lever_response.ai_investment.lag.low=0.0"])
    early = _levels(spec0, "ai_investment", 1.0)
    assert np.abs(early[:, 12] - ref[:, 12]).max() > 1e-4


def test_doubling_gives_less_than_twice_the_change():
    """Stopping the programme (0) moves a trend further than doubling it (1) does."""
    spec = _spec([])
    ref = _levels(spec, "connectivity", 0.5)
    up = _levels(spec, "connectivity", 1.0)[:, -1] - ref[:, -1]
    down = ref[:, -1] - _levels(spec, "connectivity", 0.0)[:, -1]
    i = STUDY.trend_labels.index("virtuele_leefwerelden")
    assert (0 < up[:, i]).all() and (up[:, i] < 0.5 * down[:, i]).all()  # doubling gain 1.2


# --- effects that depend on the future: the robustness comparison ------------------------

@pytest.fixture(scope="module")
def single_effects():
    """Per single-lever setting (the six `*_high`), future and area: the median 2030 impact
    minus the reference's, on common members."""
    def effects(extra):
        cfg, spec = load(normalize(["ensemble.members=48",
                                    f"robustness.include=[reference,{','.join(SINGLES)}]",
                                    *extra]))
        robust = robustness_of(cfg, spec)
        out = analyse(evaluate(spec, robust, OmegaConf.to_container(cfg, resolve=True)),
                      robust).outcome
        return out[1:] - out[:1]  # (lever, future, area)
    return effects


def _at(effects, lever, future, area):
    return effects[STUDY.lever_labels.index(lever), STUDY.future_labels.index(future),
                   STUDY.area_labels.index(area)]


def test_three_levers_differ_between_futures_where_the_config_says(single_effects):
    """ai_investment x stakeholder: AI money hurts public values where platforms are foreign
    owned and helps where they are not (sign). data_sharing x eu_regulation: the best lever
    for public values only in strictly EU-regulated Voorwaardelijke groei (rank).
    open_source_standards x stakeholder: among the two best levers for earning capacity in
    Gelijk speelveld, behind at least two others in Versnelling (rank)."""
    eff = single_effects([])
    pv, ev = "publieke_waarden", "verdienvermogen"
    assert _at(eff, "ai_investment", "versnelling", pv) < 0
    assert _at(eff, "ai_investment", "radicale_markten", pv) > 0
    assert _at(eff, "ai_investment", "gelijk_speelveld", pv) > 0
    best = {f: STUDY.lever_labels[int(np.argmax(eff[:, j, STUDY.area_labels.index(pv)]))]
            for j, f in enumerate(STUDY.future_labels)}
    assert best["voorwaardelijke_groei"] == "data_sharing"
    assert best["gelijk_speelveld"] != "data_sharing"  # open_source_standards (0.048 vs 0.029)
    order = {f: [STUDY.lever_labels[k] for k in
                 np.argsort(-eff[:, j, STUDY.area_labels.index(ev)])]
             for j, f in enumerate(STUDY.future_labels)}
    assert order["gelijk_speelveld"].index("open_source_standards") <= 1
    assert order["versnelling"].index("open_source_standards") >= 2
    # the best single lever differs between futures in at least two areas
    differs = [a for i, a in enumerate(STUDY.area_labels)
               if len({int(np.argmax(eff[:, j, i])) for j in range(eff.shape[1])}) > 1]
    assert len(differs) >= 2, differs


@pytest.mark.xfail(strict=True, reason="after the merge with issue 15 (members from the stored "
                   "posterior, structural entries sampled) data_sharing is the best lever for "
                   "public values in Versnelling too (+0.014 against open_source_standards' "
                   "+0.011; +0.032 in Voorwaardelijke groei; 48 members, measured 2 Dec with "
                   "sampled lags): the rank half of the "
                   "data_sharing x eu_regulation pattern is reported, not forced")
def test_data_sharing_is_not_the_best_lever_for_public_values_in_versnelling(single_effects):
    """data_sharing x eu_regulation: the best lever for public values only in strictly
    EU-regulated Voorwaardelijke groei, so not in Versnelling."""
    eff = single_effects([])
    pv = STUDY.area_labels.index("publieke_waarden")
    j = STUDY.future_labels.index("versnelling")
    assert STUDY.lever_labels[int(np.argmax(eff[:, j, pv]))] != "data_sharing"


def test_without_the_future_dependent_loading_the_sign_is_the_same(single_effects):
    """The sign difference of ai_investment on public values is the by_future entries'
    doing: without them AI money acts with one sign in every future."""
    eff = single_effects(["~lever_response.ai_investment.by_future"])
    signs = {np.sign(_at(eff, "ai_investment", f, "publieke_waarden"))
             for f in STUDY.future_labels}
    assert len(signs) == 1


# --- bad input ---------------------------------------------------------------------------

BAD = [
    (["lever_response.ai_investment.doubling.value=2.5"],
     r"lever_response.ai_investment.doubling.value.*expected a number in \(1.0, 2.0\]"),
    (["lever_response.ai_investment.lag.value=5.0"],
     r"lever_response.ai_investment.lag.value.*must lie in \[low, high\]"),
    ([("lever_response.ai_investment.by_future.mega_ecosystemen.momentum="
       "{value:0.1,low:0,high:0.2,source:x}")],
     r"by_future.mega_ecosystemen.momentum.*driver \(every driver but momentum\) not found"),
    (["lever_response.nothing.lag={value:1,low:0,high:2,source:x}"],
     r"lever_response.nothing.*lever not found"),
    (["lever_response.sampled=maybe"], r"lever_response.sampled='maybe'.*expected true or false"),
    (["impacts.drivers.veiligheid.cyber_resilience=0.3"],
     r"impacts.drivers.veiligheid.cyber_resilience.*acts through the trends"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD, ids=[o[0] for o, _ in BAD])
def test_bad_lever_response_names_key_value_and_allowed(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load(normalize(overrides))


# --- the lever response sampled per member (lever_response.sampled) ------------------------

def _off_reference(spec, lever, value):
    return [type(f)(f.label, f.ownership, f.purpose, dict(f.drivers), {lever: value})
            for f in spec.futures]


def test_lever_response_is_drawn_within_its_ranges_and_reproducibly():
    """Every doubling, lag and by_future entry is a parameter L.*, uniform inside [low, high],
    the same member in every future, the same draws for the same seed, none when off."""
    from scenarios.engine.seeds import draw_members

    spec = _spec(["ensemble.members=64", "ensemble.prior=true"])
    names = {u.name for u in spec.lever_uncertainties}
    assert {f"L.{lv}.doubling" for lv in STUDY.lever_labels} <= names
    assert "L.ai_investment.mega_ecosystemen.stakeholder" in names
    assert "L.data_sharing.data_soevereiniteit.eu_regulation" in names
    assert {f"L.{lv}.lag" for lv in STUDY.lever_labels} <= names
    drawn = draw_members(spec)
    for u in spec.lever_uncertainties:
        v = drawn[u.name]
        assert v.min() >= u.low and v.max() <= u.high and v.std() > 0, u.name
        assert (v == v[:1]).all(), u.name  # one world, every future
    again = draw_members(spec)
    for name in drawn:
        np.testing.assert_array_equal(drawn[name], again[name])
    other = draw_members(_spec(["ensemble.members=64", "ensemble.prior=true", "seed=5"]))
    assert not np.array_equal(other["L.ai_investment.doubling"],
                              drawn["L.ai_investment.doubling"])
    off = _spec(["ensemble.members=64", "ensemble.prior=true", "lever_response.sampled=false"])
    assert off.lever_uncertainties == []
    plain = draw_members(off)
    assert not any(n.startswith("L.") for n in plain)
    for name in plain:  # the other parameters draw what they drew without the L.* ones
        np.testing.assert_array_equal(plain[name], drawn[name])


def test_sampled_lever_response_acts_off_the_reference_only():
    """With only the L.* parameters sampled: at the 2021 reference the levels are the nominal
    world's bit for bit; with ai_investment or connectivity doubled (or data_sharing, which
    has future-dependent loadings, stopped) the members differ, by doubling, lag (at 2024,
    while the change ramps in) and loading."""
    from scenarios.engine.seeds import draw_members

    spec = _spec(["ensemble.members=32", "ensemble.prior=true"])
    drawn = draw_members(spec)
    lever_only = {k: v for k, v in drawn.items() if k.startswith("L.")}
    n = 32
    at_ref = run(spec.world, spec.futures, lever_only, n).levels
    nominal = run(spec.world, spec.futures, {}, n).levels
    np.testing.assert_array_equal(at_ref, nominal)
    for lever, value, key in (("ai_investment", 1.0, "L.ai_investment.doubling"),
                              ("connectivity", 1.0, "L.connectivity.lag"),
                              ("data_sharing", 0.0,
                               "L.data_sharing.data_soevereiniteit.eu_regulation")):
        futures = _off_reference(spec, lever, value)
        moved = run(spec.world, futures, lever_only, n).levels[:, -1]  # (F, n, M) in 2030
        assert moved.std(axis=-1).max() > 1e-3, lever
        fixed = run(spec.world, futures, {key: drawn[key]}, n).levels[:, -1]
        assert fixed.std(axis=-1).max() > 1e-4, key  # this one parameter alone moves them
        flat = run(spec.world, futures, {}, n).levels[:, -1]
        assert flat.std(axis=-1).max() == 0.0


def test_an_election_change_follows_the_members_doubling():
    """The ratio that scales an election's change (models.levers.member_ratio): the
    member's effective change over the world's; 1 where the member has the world's gain."""
    from models.levers import member_ratio

    before, after = np.array([[0.5, 0.5]]), np.array([[0.7, 0.5]])
    ref, world = np.array([[0.5], [0.5]]), np.array([1.6, 1.6])
    own = np.array([[[1.6, 1.4, 1.8], [1.4, 1.4, 1.4]]])
    ratio = member_ratio(before, after, ref, world, own)
    expect = (effective(0.7, 0.5, own[0, 0]) - 0.5) / (effective(0.7, 0.5, 1.6) - 0.5)
    np.testing.assert_allclose(ratio[0, 0], expect)
    assert ratio[0, 0, 0] == 1.0 and ratio[0, 0, 1] < 1.0 < ratio[0, 0, 2]
    np.testing.assert_array_equal(ratio[0, 1], 1.0)  # no change: nothing to scale
