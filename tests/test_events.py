"""Discrete events: reproducible, scheduled on time, rates that follow the levels, a clean switch."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from models import catalogue
from models.ensemble import run
from models.events import KINDS
from scenarios.compose import load
from scenarios.runner import draw_members, event_rngs
from tests.conftest import dataset_for

EVENT_VARS = ("event_future", "event_member", "event_time", "event_kind", "event_size",
              "event_count")


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
    # the counts are the table, binned
    table = np.zeros(ds["event_count"].shape, dtype=int)
    year = np.floor(ds["event_time"].values - 1e-9).astype(int) - 2021
    np.add.at(table, (ds["event_future"].values, ds["event_member"].values,
                      np.clip(year, 0, 8), ds["event_kind"].values), 1)
    np.testing.assert_array_equal(table, ds["event_count"].values)


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
    """Each EU rule enters into force once per member, in the month of its date per future."""
    ds = small_events
    _, spec = load(["ensemble.members=200"])
    rule = KINDS.index("eu_rule")
    dates = {"voorwaardelijke_groei": [2023.3, 2024.1, 2025.7, 2026.6],
             "versnelling": [2023.8, 2024.5, 2026.0, 2027.0]}
    for future, expected in dates.items():
        f = list(ds.future.values).index(future)
        sel = (ds["event_future"].values == f) & (ds["event_kind"].values == rule)
        times = ds["event_time"].values[sel]
        members = ds["event_member"].values[sel]
        for date in expected:
            month_end = 2021 + np.ceil((date - 2021) * 12 - 1e-9) / 12
            at = np.isclose(times, month_end)
            assert sorted(members[at]) == list(range(200)), (future, date)
        assert len(times) == 4 * 200


def test_eu_rules_step_regulation_strongest_in_voorwaardelijke_groei(small_events):
    """The rules carry the rise of eu_regulation; their steps are largest in VG."""
    ds = small_events
    rule = KINDS.index("eu_rule")
    size = {}
    for f, future in enumerate(ds.future.values):
        sel = (ds["event_future"].values == f) & (ds["event_kind"].values == rule)
        size[str(future)] = float(ds["event_size"].values[sel].sum())
    assert max(size, key=size.get) == "voorwaardelijke_groei"
    assert size["versnelling"] == 0.0  # regulation falls there: no rule adds to it


def test_elections_open_policy_windows(small_events):
    """Elections happen for every member; about `success` of the windows are used."""
    ds = small_events
    el = KINDS.index("election")
    sel = ds["event_kind"].values == el
    assert sel.sum() == 3 * 4 * 200
    used = ds["event_size"].values[sel]
    assert set(np.unique(used)) <= {0.0, 1.0}
    assert 0.6 < used.mean() < 0.8  # success 0.7, 2400 draws


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
    members_ = {k: v for k, v in members_.items() if not k.startswith("momentum.")}
    out = run(frozen, spec.futures, members_, members, events=spec.events,
              rngs=event_rngs(spec))
    counts = np.bincount(out.events.kind, minlength=len(KINDS))
    return counts[KINDS.index("cyber_incident")] / members


def test_incident_rate_rises_with_kwetsbaarheid():
    """More vulnerability, more incidents: monotone, and matching the configured rate."""
    levels = [0.2, 0.5, 0.8]
    means = [_constant_world_incidents(v) for v in levels]
    assert means[0] < means[1] < means[2]
    # rate 0.6/yr x (0.5 kw + 0.3 mega + 0.2 autonomisering) over 9 years, levels held fixed
    _, spec = load([])
    mega = spec.world.initial[catalogue.TREND_LABELS.index("mega_ecosystemen")]
    auto = spec.world.initial[catalogue.TREND_LABELS.index("autonomisering")]
    for level, mean in zip(levels, means):
        expected = 0.6 * (0.5 * level + 0.3 * mega + 0.2 * auto) * 9
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
    assert on.sizes["event"] == 0
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
