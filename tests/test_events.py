"""Discrete events: reproducible, scheduled on time, rates that follow the levels, a clean switch."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from models.ensemble import run
from models.events import KINDS
from scenarios.config.compose import load
from scenarios.config.study import default_study
from scenarios.engine.simulate import draw_members, event_rngs
from tests.conftest import dataset_for

STUDY = default_study()

EVENT_VARS = ("event_future", "event_member", "event_time", "event_kind", "event_size",
              "event_count", "milestone_time", "milestone_size", "policy_window_used")
STOCHASTIC = ["cyber_incident", "crypto_crash", "stack_split"]


@pytest.fixture(scope="module")
def small_events():
    """A 200-member run with events (the defaults)."""
    return dataset_for(["ensemble.members=200", "seed=3"])


def test_events_are_stored_with_units(small_events):
    """The event table and the yearly counts are in the dataset, documented."""
    ds = small_events
    for name in EVENT_VARS:
        assert name in ds, name
        assert {"units", "long_name"} <= set(ds[name].attrs), name
    assert list(ds.kind.values) == list(KINDS)
    assert list(ds.year.values) == list(range(2021, 2030))
    assert ds.attrs["events"] == "enabled"
    # the counts of stochastic kinds are the table, binned by the year of the event's month
    table = np.zeros(ds["event_count"].shape, dtype=int)
    year = np.floor(ds["event_time"].values - 1e-9).astype(int) - 2021
    np.add.at(table, (ds["event_future"].values, ds["event_member"].values,
                      np.clip(year, 0, 8), ds["event_kind"].values), 1)
    np.testing.assert_array_equal(table[..., :3], ds["event_count"].sel(kind=STOCHASTIC).values)
    assert set(np.unique(ds["event_kind"].values)) <= {0, 1, 2}
    # scheduled kinds: every member counts each EU rule and each election once
    for kind, n in (("eu_rule", 4), ("election", 3)):
        total = ds["event_count"].sel(kind=kind).sum("year")
        assert (total == n).all(), kind


def test_same_seed_same_events_other_seed_other_events(small_events):
    """Events are reproducible per seed."""
    again = dataset_for(["ensemble.members=200", "seed=3"])
    for name in EVENT_VARS + ("level",):
        np.testing.assert_array_equal(small_events[name].values, again[name].values)
    other = dataset_for(["ensemble.members=200", "seed=4"])
    assert not np.array_equal(small_events["event_time"].values, other["event_time"].values)


def test_events_do_not_depend_on_blocks_or_threads():
    """A member's events belong to the member, not to the block it was computed in."""
    a = dataset_for(["ensemble.members=100", "ensemble.chunk=16", "ensemble.threads=1"])
    b = dataset_for(["ensemble.members=100", "ensemble.chunk=64", "ensemble.threads=2"])
    for name in EVENT_VARS:
        np.testing.assert_array_equal(a[name].values, b[name].values)
    np.testing.assert_allclose(a["level"].values, b["level"].values, rtol=1e-5)


def test_eu_rules_happen_at_their_date_in_every_member(small_events):
    """Each EU rule enters into force in the month of its date, per future, for everyone."""
    ds = small_events
    dates = {"voorwaardelijke_groei": [2023.3, 2024.1, 2025.7, 2026.6],
             "versnelling": [2023.8, 2024.5, 2026.0, 2027.0]}
    rules = [m for m in ds.milestone.values if m.startswith("eu_rule:")]
    assert rules == ["eu_rule:dma", "eu_rule:dsa", "eu_rule:data_act", "eu_rule:ai_rules"]
    for future, expected in dates.items():
        got = ds["milestone_time"].sel(future=future, milestone=rules).values
        month_end = 2021 + np.ceil((np.array(expected) - 2021) * 12 - 1e-9) / 12
        np.testing.assert_allclose(got, month_end)
    assert (ds["policy_window_used"].sel(milestone=rules) == 1).all()
    year = ds["event_count"].sel(kind="eu_rule", future="voorwaardelijke_groei")
    np.testing.assert_array_equal(year.sel(year=[2023, 2024, 2025, 2026]).values, 1)


def test_eu_rule_takes_effect_in_its_month():
    """eu_regulation steps at the first rule's month: before it the trends are as if
    regulation stayed at its 2021 level; one month later they differ."""
    base = ["ensemble.members=20", "futures=[voorwaardelijke_groei]", "~events.hazards",
            "events.elections.dates=[]"]
    rules = dataset_for(base)
    flat = dataset_for(base + ["future.voorwaardelijke_groei.drivers.eu_regulation=0.45"])
    first = float(rules["milestone_time"].min())
    a, b = rules["level"], flat["level"]
    np.testing.assert_array_equal(a.sel(time=slice(None, first)).values,
                                  b.sel(time=slice(None, first)).values)
    later = a.time.values[a.time.values > first][0]
    assert not np.array_equal(a.sel(time=later).values, b.sel(time=later).values)


def test_eu_rules_step_regulation_strongest_in_voorwaardelijke_groei(small_events):
    """The rules carry the rise of eu_regulation; their steps are largest in VG."""
    size = small_events["milestone_size"].sel(
        milestone=[m for m in small_events.milestone.values if m.startswith("eu_rule:")])
    total = size.sum("milestone").to_series()
    assert total.idxmax() == "voorwaardelijke_groei"
    assert total["versnelling"] == 0.0  # regulation falls there: no rule adds to it


def test_elections_open_policy_windows(small_events):
    """Three elections per member; about `success` (0.7) of the windows are used."""
    ds = small_events
    elections = [m for m in ds.milestone.values if m.startswith("election:")]
    assert elections == ["election:2021", "election:2025", "election:2029"]
    used = ds["policy_window_used"].sel(milestone=elections).values
    assert 0.6 < used.mean() < 0.8  # 2400 draws
    np.testing.assert_allclose(ds["milestone_time"].sel(milestone="election:2025").values,
                               2021 + np.ceil((2025.7 - 2021) * 12 - 1e-9) / 12)


def _constant_world_incidents(level: float, members: int = 4000) -> float:
    """Mean incidents per member over 2021-2030 with kwetsbaarheid held at ``level``."""
    _, spec = load([f"ensemble.members={members}", "ensemble.nominal=true",
                    "futures=[versnelling]", f"initial.kwetsbaarheid={level}",
                    f"uncertainties.initial.kwetsbaarheid.low={-min(level, 0.05) / 2}",
                    "~events.eu_rules", "events.elections.dates=[]"])
    world = spec.world
    frozen = type(world)(**{**world.__dict__,
                            "trend_matrix": np.zeros_like(world.trend_matrix),
                            "driver_loadings": np.zeros_like(world.driver_loadings),
                            "lever_loadings": np.zeros_like(world.lever_loadings)})
    members_ = draw_members(spec)
    # the frozen world's entries are its own: no momentum and no structural entry (A.*, W.*)
    members_ = {k: v for k, v in members_.items() if not k.startswith(("momentum.", "A.", "W."))}
    out = run(frozen, spec.futures, members_, members, events=spec.events,
              rngs=event_rngs(spec))
    counts = np.bincount(out.events.kind, minlength=len(KINDS))
    return counts[KINDS.index("cyber_incident")] / members


def test_incident_rate_rises_with_kwetsbaarheid():
    """More vulnerability, more incidents: monotone, and matching the configured rate."""
    levels = [0.2, 0.5, 0.8]
    means = [_constant_world_incidents(v) for v in levels]
    assert means[0] < means[1] < means[2]
    # rate/yr x (0.5 kw + 0.3 mega + 0.2 autonomisering) over 9 years, levels held fixed;
    # the rate weighs the levels above the floor, (x - floor) / (1 - floor) (models/ensemble.py)
    _, spec = load([])
    assert spec.events is not None
    rate = spec.events.hazards[[h.kind for h in spec.events.hazards].index("cyber_incident")].rate
    floor = spec.world.floor

    def above(x: float) -> float:
        return (x - floor) / (1 - floor)

    mega = above(spec.world.initial[STUDY.trend_labels.index("mega_ecosystemen")])
    auto = above(spec.world.initial[STUDY.trend_labels.index("autonomisering")])
    for level, mean in zip(levels, means):
        expected = rate * (0.5 * above(level) + 0.3 * mega + 0.2 * auto) * 9
        # Poisson mean of 4000 members: standard error sqrt(expected / 4000)
        assert abs(mean - expected) < 5 * np.sqrt(expected / 4000), (level, mean, expected)
    # and the slope is significant for a one-sided Poisson comparison
    low, high = means[0] * 4000, means[2] * 4000
    assert stats.binomtest(int(high), int(low + high), 0.5, alternative="greater").pvalue < 1e-6


def test_events_disabled_is_the_continuous_model():
    """events.enabled=false gives exactly the core model's numbers, and no event variables."""
    off = dataset_for(["ensemble.members=50", "events.enabled=false"])
    _, spec = load(["ensemble.members=50", "events.enabled=false"])
    core = run(spec.world, spec.futures, draw_members(spec), 50, out_dtype=np.float32,
               chunk=spec.chunk, threads=spec.threads)
    np.testing.assert_array_equal(off["level"].values, core.levels.transpose(0, 3, 1, 2))
    assert "event_time" not in off and off.attrs["events"] == "disabled"


def test_simpy_clock_without_events_equals_plain_loop():
    """The simpy-driven clock with no event able to fire reproduces the plain loop exactly."""
    quiet = ["ensemble.members=40", "~events.eu_rules", "events.elections.dates=[]",
             "events.hazards.cyber_incident.rate=0", "events.hazards.crypto_crash.rate=0",
             "events.hazards.stack_split.rate=0"]
    on = dataset_for(quiet)
    off = dataset_for(["ensemble.members=40", "events.enabled=false"])
    assert on.sizes["event"] == 0 and on.sizes["milestone"] == 0
    np.testing.assert_array_equal(on["level"].values, off["level"].values)
    np.testing.assert_array_equal(on["impact"].values, off["impact"].values)


def test_incidents_raise_security_pressure_and_hurt_security():
    """With incidents, veiligheid ends lower than in the same run without incidents."""
    base = ["ensemble.members=200", "~events.eu_rules", "events.elections.dates=[]",
            "events.hazards.crypto_crash.rate=0", "events.hazards.stack_split.rate=0"]
    calm = dataset_for(base + ["events.hazards.cyber_incident.rate=0"])
    rough = dataset_for(base + ["events.hazards.cyber_incident.rate=3"])
    area = "veiligheid"
    assert float(rough["impact"].sel(area=area).isel(time=-1).mean()) < \
        float(calm["impact"].sel(area=area).isel(time=-1).mean())


def test_crypto_crash_knocks_digital_currency():
    """Frequent crashes hold digitale_valuta below a crash-free run in Radicale markten."""
    base = ["ensemble.members=100", "futures=[radicale_markten]"]
    calm = dataset_for(base + ["events.hazards.crypto_crash.rate=0"])
    rough = dataset_for(base + ["events.hazards.crypto_crash.rate=5"])
    sel = {"trend": "digitale_valuta"}
    assert float(rough["level"].sel(sel).isel(time=-1).median()) < \
        float(calm["level"].sel(sel).isel(time=-1).median()) - 0.05
