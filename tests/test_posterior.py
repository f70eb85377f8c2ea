"""The posterior over the uncertain parameters (issue 15 item 2) and its stored particles."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from scenarios.analysis.narratives import posterior
from scenarios.analysis.narratives.table import Cell
from scenarios.config.compose import load
from scenarios.engine.posterior import path_of, stored
from scenarios.engine.seeds import draw_members


@pytest.fixture(scope="module")
def loaded():
    """The default configuration, 64 members."""
    return load(["ensemble.members=64"])


def test_cell_distance_is_zero_inside_and_grows_outside():
    """A 'rise, M' cell from 0.25 holds in [0.30, 0.60]; the distance is the gap outside."""
    cell = Cell("versnelling", "autonomisering", "rise", "M", "TEXT")
    start = np.full(4, 0.25)
    end = np.array([0.40, 0.28, 0.70, 0.60])
    np.testing.assert_allclose(posterior.cell_distance(cell, start, end), [0.0, 0.02, 0.10, 0.0])
    flat = Cell("versnelling", "autonomisering", "flat", "L-M", "INF")  # (0.20, 0.30) & band
    np.testing.assert_allclose(posterior.cell_distance(flat, start[:2], np.array([0.25, 0.35])),
                               [0.0, 0.05])


def test_the_default_study_has_a_stored_posterior(loaded):
    """conf/study/nds2021_posterior.nc holds particles of every sampled parameter, in the
    unit cube, and the command that wrote it."""
    _, spec = loaded
    post = stored(spec.study.name)
    assert post is not None and path_of(spec.study.name).is_file()
    assert set(post.names) == {u.name for u in spec.uncertainties}
    assert post.unit.shape == (posterior.PARTICLES, len(post.names))
    assert 0.0 <= post.unit.min() and post.unit.max() <= 1.0
    assert "narratives.posterior --write" in post.attrs["command"]


def test_default_members_come_from_the_posterior_reproducibly(loaded):
    """Same seed, same members; every future's member m is the same particle (one world);
    ensemble.prior=true gives the prior's per-future draws instead."""
    _, spec = loaded
    one, two = draw_members(spec), draw_members(spec)
    assert all(np.array_equal(one[k], two[k]) for k in one)
    entry = one["A.mega_ecosystemen.decentralisering"]
    assert np.array_equal(entry[0], entry[3])
    post = stored(spec.study.name)
    u = next(u for u in spec.uncertainties if u.name == "A.mega_ecosystemen.decentralisering")
    column = post.names.index(u.name)
    assert np.isin(np.round(entry[0], 12), np.round(u.ppf(post.unit[:, column]), 12)).all()
    prior = draw_members(replace(spec, prior=True))
    assert not np.array_equal(prior[u.name][0], prior[u.name][3])
    assert not np.array_equal(prior[u.name][0], entry[0])
    other = draw_members(replace(spec, seed=spec.seed + 1))
    assert not np.array_equal(other[u.name], entry)


def test_small_smc_is_reproducible_and_raises_the_likelihood():
    """A small tempered SMC (two futures, 48 particles): the same seed gives the same
    particles, and the posterior's mean log likelihood is above the prior's."""
    cfg, spec = load(["futures=[versnelling,radicale_markten]", "ensemble.members=48"])
    spec = replace(spec, prior=True)
    ev = posterior.evidence(spec)
    assert {c.future for c in ev.cells} == {"versnelling", "radicale_markten"}
    first, info = posterior.compute(cfg, spec, ev, particles=48, moves=1)
    again, _ = posterior.compute(cfg, spec, ev, particles=48, moves=1)
    np.testing.assert_array_equal(first.unit, again.unit)
    target = posterior.Target(cfg, spec, ev)
    prior_ll, _ = target(np.random.default_rng(1).random((48, len(target.names))))
    post_ll, _ = target(first.unit)
    assert info["beta"] == 1.0
    assert post_ll.mean() > prior_ll.mean() + 1.0


# --- staleness (scenarios.engine.posterior.inputs_digest) -----------------------------------

def test_the_stored_posterior_is_current():
    """The stored posterior was computed on the current conf/ (CI fails when an input it
    depends on changed and it was not regenerated)."""
    from scenarios.engine.posterior import REGENERATE, inputs_digest, stale

    post = stored("nds2021")
    assert post is not None
    assert not stale(post, "nds2021"), (
        f"conf/study/nds2021_posterior.nc is stale: inputs digest {inputs_digest('nds2021')} "
        f"!= stored {post.attrs.get('inputs_digest')}; regenerate it with {REGENERATE}")


def test_the_digest_follows_the_inputs_not_their_comments(tmp_path):
    import shutil

    from scenarios.config.where import conf_dir
    from scenarios.engine.posterior import inputs_digest

    conf = tmp_path / "conf"
    shutil.copytree(conf_dir(), conf)
    base = inputs_digest("nds2021", conf)
    assert base == inputs_digest("nds2021")

    def edited(name, old, new):
        path = conf / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return inputs_digest("nds2021", conf)

    assert edited("cross_impact.yaml", "\n", "\n# a comment\n") == base
    assert edited("robustness.yaml", "\n", "\n# not read by the posterior\nx_extra: 1\n") == base
    changed = edited("lever_response.yaml", "value: 1.6", "value: 1.65")
    assert changed != base
    assert edited("study/nds2021.yaml", "narratives:", "narratives:  ") == changed  # layout
    # words shown to people (names, meanings, sources) are not what the posterior reads
    assert edited("study/nds2021.yaml", 'en: "Mega ecosystems"', 'en: "Mega-ecosystems"') == changed
    assert edited("study/nds2021.yaml", "description_nl: ", "description_nl: Nieuw. ") == changed
    assert edited("study/nds2021.yaml", "rise, H, TEXT\n", "rise, H, INF\n") != changed


def test_a_stale_posterior_warns_in_one_line_naming_the_command(caplog, monkeypatch):
    from scenarios.engine import posterior as engine

    engine._warn_once.cache_clear()
    monkeypatch.setattr(engine, "inputs_digest", lambda study, conf=None: "0" * 16)
    with caplog.at_level("WARNING", logger="futures"):
        assert stored("nds2021") is not None
        assert stored("nds2021") is not None  # once per file
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert engine.REGENERATE in warnings[0] and "nds2021_posterior.nc" in warnings[0]
    engine._warn_once.cache_clear()
