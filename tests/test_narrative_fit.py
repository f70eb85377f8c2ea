"""The narrative fit (scenarios.analysis.narratives.fit): its targets, constraints and YAML writer.

The full fit takes about half a minute and is run by hand (docs/calibration.md); these tests
check the pieces it is made of and that conf/cross_impact.yaml is what it writes.
"""

from __future__ import annotations

import shutil

import numpy as np

from scenarios.analysis.narratives import fit as nf
from scenarios.analysis.narratives.table import CELLS, RANKINGS
from scenarios.config.compose import load
from scenarios.config.study import default_study

STUDY = default_study()

FUTURES = list(STUDY.future_labels)


def _initial() -> dict[str, float]:
    return dict(zip(STUDY.trend_labels, load([])[1].world.initial))


def test_admissible_interval_is_where_each_cell_holds():
    """Inside the interval a cell holds with its margin; just outside it does not."""
    initial = _initial()
    low, high = nf.admissible(initial, FUTURES)
    for cell in CELLS:
        at = FUTURES.index(cell.future), STUDY.trend_labels.index(cell.trend)
        start = initial[cell.trend]
        lo, hi = low[at], high[at]
        assert lo < hi, cell
        inside = (max(lo, 0.0) + min(hi, 1.0)) / 2
        assert cell.holds(start, inside) == (True, True), (cell, lo, hi)
        for outside in (lo - 0.02, hi + 0.02):
            if 0.0 <= outside <= 1.0:
                assert cell.holds(start, outside) != (True, True), (cell, outside)


def test_ranking_pairs_follow_the_text_positions():
    """Voorwaardelijke groei: earning capacity below public values and above the other three;
    Gelijk speelveld: broad welfare above the other four. Nothing from non-TEXT positions."""
    pairs = nf.ranking_pairs(FUTURES)
    area = STUDY.area_labels.index
    vg, gs = FUTURES.index("voorwaardelijke_groei"), FUTURES.index("gelijk_speelveld")
    assert (vg, area("publieke_waarden"), area("verdienvermogen")) in pairs
    for other in ("brede_welvaart", "openbaar_bestuur", "veiligheid"):
        assert (vg, area("verdienvermogen"), area(other)) in pairs
    assert sum(1 for f, _, _ in pairs if f == gs) == 4
    text = sum(1 for r in RANKINGS.values() for _, b in r if b == "TEXT")
    assert len(pairs) == 4 * text


def test_cross_impact_yaml_is_what_the_fit_writes(tmp_path):
    """Writing the config's own fitted entries back changes nothing: the YAML's values,
    ranges and provenance comments are in the writer's form, and the calibrated momentum's
    comment carries the current fit of the WBSO series."""
    cfg, _ = load([])
    fitted = {t: {c: float(cfg.cross_impact[t].get(c, 0.0)) for c in nf.COLUMNS}
              for t in STUDY.trend_labels}
    copy = tmp_path / "cross_impact.yaml"
    shutil.copy(nf.CROSS_IMPACT, copy)
    nf.write(fitted, nf.calibrated_provenance([]), copy)
    assert copy.read_text() == nf.CROSS_IMPACT.read_text()


def test_writer_adds_and_removes_lines(tmp_path):
    """A loading that becomes 0 loses its line; a new one is added before the EU entry."""
    cfg, _ = load([])
    fitted = {t: {c: float(cfg.cross_impact[t].get(c, 0.0)) for c in nf.COLUMNS}
              for t in STUDY.trend_labels}
    fitted["mega_ecosystemen"].update(shareholder=0.0, stakeholder=0.0, growth=0.12,
                                      welfare=-0.12)
    copy = tmp_path / "cross_impact.yaml"
    shutil.copy(nf.CROSS_IMPACT, copy)
    nf.write(fitted, {}, copy)
    lines = copy.read_text().splitlines()
    block = lines[lines.index("mega_ecosystemen:") + 1:lines.index("decentralisering:")]
    keys = [x.split(":")[0].strip() for x in block if x.startswith("  ")]
    assert "shareholder" not in keys and "stakeholder" not in keys
    assert keys.index("growth") < keys.index("welfare") < keys.index("eu_regulation")
    assert np.isclose(float(next(x for x in block if "growth" in x).split()[1]), 0.12)
