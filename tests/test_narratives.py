"""The default ensemble medians reproduce study.narratives.

Asserted: every TEXT cell, the TEXT positions of the impact rankings, and the robust patterns
listed at the end of study.narratives. The other cells are priors; the share that holds is
checked against a floor and reported in docs/calibration.md.
"""

from __future__ import annotations

import pytest

from scenarios.analysis.narratives.table import CELLS, RANKINGS, area_ranking, check_cells, medians
from scenarios.config.study import default_study

STUDY = default_study()

TEXT_CELLS = [c for c in CELLS if c.basis == "TEXT"]


def test_there_are_six_text_cells():
    """study.narratives: 'TEXT: 6 of 44 trend cells'."""
    assert len(CELLS) == 44 and len(TEXT_CELLS) == 6


@pytest.mark.parametrize("cell", TEXT_CELLS, ids=lambda c: f"{c.future}-{c.trend}")
def test_text_cell(default_run, cell):
    """Direction and 2030 level of every TEXT cell hold for the ensemble median."""
    start, end = medians(default_run)
    a = float(start.sel(future=cell.future, trend=cell.trend))
    b = float(end.sel(future=cell.future, trend=cell.trend))
    assert cell.holds(a, b) == (True, True), f"{cell}: median {a:.3f} -> {b:.3f}"


def test_text_rankings(default_run):
    """Voorwaardelijke groei: earning capacity 2nd; Gelijk speelveld: broad welfare 1st.

    On the posterior ensemble without direct lever weights: Gelijk speelveld's broad welfare
    (median 0.291) ends above its earning capacity (0.267); 0.262 below 0.268 on the point
    fit before issue 15's posterior."""
    assert area_ranking(default_run, "voorwaardelijke_groei")[1] == "verdienvermogen"
    assert area_ranking(default_run, "gelijk_speelveld")[0] == "brede_welvaart"


@pytest.mark.xfail(strict=True, reason="issue 15 item 4: without the direct welfare weight on "
                   "brede_welvaart, Radicale markten has the highest broad welfare on the "
                   "defaults (median 0.406 against Gelijk speelveld's 0.291; docs/model.md, "
                   "Impacts); the pattern is reported, not forced")
def test_gelijk_speelveld_has_the_highest_broad_welfare(default_run):
    """Broad welfare in 2030 is highest in Gelijk speelveld, by the median."""
    final = default_run["impact"].sel(area="brede_welvaart").isel(time=-1).median("member")
    assert str(final.idxmax("future").values) == "gelijk_speelveld"


def test_radicale_markten_signature(default_run):
    """Mega ecosystems decline; decentralisation and digital currency highest of the four."""
    start, end = medians(default_run)
    rm = "radicale_markten"
    assert float(end.sel(future=rm, trend="mega_ecosystemen")) < \
        float(start.sel(future=rm, trend="mega_ecosystemen")) - 0.05
    for trend in ("decentralisering", "digitale_valuta"):
        assert str(end.sel(trend=trend).idxmax("future").values) == rm, trend


def test_robust_rises(default_run):
    """Autonomisering and Eigenwijze Data rise in every future."""
    start, end = medians(default_run)
    for trend in ("autonomisering", "eigenwijze_data"):
        change = (end - start).sel(trend=trend)
        assert bool((change >= 0.05).all()), change.values


def test_kwetsbaarheid_never_below_medium(default_run):
    """Kwetsbaarheid stays at M (>= 0.30) or above in every future and year."""
    level = default_run["level"].sel(trend="kwetsbaarheid").median("member")
    assert float(level.min()) >= 0.30


@pytest.mark.xfail(strict=True, reason="issue 15 item 2: on the posterior ensemble zwermcultuur "
                   "declines in Voorwaardelijke groei (median -0.08; its 'flat, M' cell is INF "
                   "and held by 27% of the members); the pattern is reported, not forced "
                   "(docs/validation.md)")
def test_zwermcultuur_rises_in_three_futures(default_run):
    """Zwermcultuur rises in three futures, flat at M in Voorwaardelijke groei."""
    start, end = medians(default_run)
    change = (end - start).sel(trend="zwermcultuur")
    rising = [str(f) for f in change.future.values if float(change.sel(future=f)) >= 0.05]
    assert sorted(rising) == ["gelijk_speelveld", "radicale_markten", "versnelling"]
    assert abs(float(change.sel(future="voorwaardelijke_groei"))) < 0.05


@pytest.mark.xfail(strict=True, reason="issue 15 item 2: on the posterior ensemble zwermcultuur "
                   "(0.650) spreads more between the futures than digitale_valuta (0.643) "
                   "and decentralisering (0.646), through its decline in Voorwaardelijke groei "
                   "(docs/validation.md)")
def test_axis_sensitive_trends_spread_most(default_run):
    """Mega ecosystems, decentralisation and digital currency differ most between futures."""
    _, end = medians(default_run)
    spread = (end.max("future") - end.min("future")).to_series().sort_values()
    assert set(spread.index[-3:]) == {"mega_ecosystemen", "decentralisering", "digitale_valuta"}


def test_data_sovereignty_marks_the_welfare_axis(default_run):
    """Data-soevereiniteit is higher in the welfare futures than in the growth futures."""
    _, end = medians(default_run)
    ds_ = end.sel(trend="data_soevereiniteit")
    welfare = float(ds_.sel(future=["voorwaardelijke_groei", "gelijk_speelveld"]).mean())
    growth = float(ds_.sel(future=["versnelling", "radicale_markten"]).mean())
    assert welfare > growth + 0.1


def test_most_prior_cells_hold(default_run):
    """The inferred and partial cells are evidence of the posterior: at least 38 of 44 cells
    hold on the default (posterior) ensemble; a change of the defaults that loses a cell
    fails here."""
    rows = check_cells(default_run)
    held = sum(r["direction_ok"] and r["level_ok"] for r in rows)
    # 38 on the defaults since issue 15's posterior: the members are drawn from the stored
    # posterior (conf/study/nds2021_posterior.nc) over every uncertain parameter, structural
    # entries included, also after the merge with issue 16's levers as policy (37 on the point
    # fit before it; 39-41 while impacts scored the axis
    # drivers directly). Measured, not tuned: docs/validation.md.
    assert held >= 38, [r for r in rows if not (r["direction_ok"] and r["level_ok"])]


def test_rankings_table_is_complete():
    """Every future ranks all five areas once."""
    for future, ranking in RANKINGS.items():
        assert future in STUDY.future_labels
        assert sorted(a for a, _ in ranking) == sorted(STUDY.area_labels)
