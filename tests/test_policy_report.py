"""The policy chapter of `futures report` (issue 16 item 6): made from robustness, portfolio,
discover and plane folders, in NL and EN, in a policy reader's words, with its figures at the
size and in the language of the other figures."""

from __future__ import annotations

import re

import pytest
import xarray as xr
from matplotlib.text import Text

from scenarios.figures.pareto import figure as pareto_figure
from scenarios.figures.plane import figure as plane_figure
from scenarios.figures.policy import chapter, find, policy_chapter
from scenarios.figures.regret import figure as regret_figure
from scenarios.figures.regret import setting_name

SMALL = ["ensemble.members=16", "seed=3"]
#: Words a policy reader should not meet (issue 16 item 6).
JARGON = re.compile(r"\bmembers?\b|\bleden\b|\bseed\b|\bviolin", re.IGNORECASE)


@pytest.fixture(scope="module")
def policy_folder(tmp_path_factory):
    """A folder with the four analyses in subfolders, as a user would collect them (the
    commands' jobs in-process: the commands themselves are tested in their own modules)."""
    from scenarios.analysis.discover.report import discover_job
    from scenarios.analysis.plane.compute import plane_job
    from scenarios.analysis.portfolio.compute import portfolio_job
    from scenarios.analysis.robustness.compute import robustness_job
    from scenarios.config.compose import load, normalize

    top = tmp_path_factory.mktemp("policy")
    jobs = [
        (robustness_job, "robustness", [("robustness.include=[reference,ai_investment_high,"
                                        "open_source_standards_high,all_high]")]),
        (portfolio_job, "portfolio", ["portfolio.members=8", "portfolio.population=8",
                                      "portfolio.generations=2"]),
        (plane_job, "plane", ["plane.grid=3", "plane.members=4"]),
        (discover_job, "discover", [f"discover.portfolios={top / 'portfolio' / 'portfolios.nc'}",
                                    "discover.portfolio=P1", "discover.area=publieke_waarden"]),
    ]
    for job, name, args in jobs:
        cfg, _ = load(normalize([*SMALL, *args]))
        (top / name).mkdir()
        job(cfg, top / name)
    return top


def _section(page: str) -> str:
    """The policy section's text without its tags and embedded images."""
    part = page[page.index('<section class="policy"'):]
    part = part[:part.index("</section>")]
    return re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]*"', "", part))


@pytest.mark.parametrize(("lang", "title", "worlds"), [
    ("nl", "Beleid: wat houdt stand in elke toekomst?", "gesimuleerde werelden"),
    ("en", "Policy: what holds up in every future?", "simulated worlds"),
])
def test_report_on_a_policy_folder_is_the_chapter(policy_folder, cli, lang, title, worlds):
    proc = cli("report", str(policy_folder), f"plot.lang={lang}")
    assert proc.returncode == 0, proc.stderr
    html_path, pdf_path = (policy_folder / "report.html", policy_folder / "report.pdf")
    assert proc.stdout.split() == [str(html_path), str(pdf_path)]
    assert pdf_path.read_bytes()[:5] == b"%PDF-"
    text = _section(html_path.read_text(encoding="utf-8"))
    assert title in text and worlds in text
    assert not JARGON.search(text), JARGON.search(text)
    assert "P1" in text and ("mln/jaar" if lang == "nl" else "EUR") in text
    assert text.count("<figure") == 0 and html_path.read_text().count("<figure") == 3
    # the cost of the compared choices and the budget are named
    assert re.search(r"280", text)


def test_chapter_names_where_the_recommended_portfolio_fails(policy_folder):
    """The discovery box in words: an input, a direction and its sampled range."""
    ch = chapter(find(policy_folder), "en")
    failure = dict(ch.sections)["Where the recommended policy fails"]
    assert failure[0].startswith("\u201cP1\u201d") and "Public values" in failure[0]
    assert any(re.search(r"(above|below|between) [-\d.]+.*range", p) for p in failure) or \
        "No box was found" in " ".join(failure)


def test_report_on_a_run_with_analyses_beside_it_adds_the_chapter(policy_folder, cli,
                                                                     tmp_path):
    run = tmp_path / "run"
    proc = cli("run", "ensemble.members=8", f"hydra.run.dir={run}")
    assert proc.returncode == 0, proc.stderr
    (run / "robustness").symlink_to(policy_folder / "robustness", target_is_directory=True)
    proc = cli("report", str(run), "plot.lang=en")
    assert proc.returncode == 0, proc.stderr
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.index("Findings per future") < page.index('<section class="policy"')
    assert "Policy choices compared" in _section(page)
    # without the analyses beside it there is no chapter
    (run / "robustness").unlink()
    assert policy_chapter(run, "en") is None


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_policy_figures_have_the_figures_size_and_one_language(policy_folder, lang):
    rob = xr.open_dataset(policy_folder / "robustness" / "robustness.nc")
    plane = xr.open_dataset(policy_folder / "plane" / "plane.nc")
    port = xr.open_dataset(policy_folder / "portfolio" / "portfolios.nc")
    other = "en" if lang == "nl" else "nl"
    for fig in (regret_figure(rob, lang), plane_figure(plane, lang), pareto_figure(port, lang)):
        assert tuple(round(v * 150) for v in fig.get_size_inches()) == (1920, 1080)
        texts = " ".join(t.get_text() for t in fig.findobj(Text))
        assert "target" not in texts and "_" not in texts.replace("P1", "")
        assert not JARGON.search(texts)
        marker = {"nl": "Veiligheid", "en": "Security"}  # an area title in every figure
        assert marker[lang] in texts and marker[other] not in texts


def test_settings_in_words(policy_folder):
    rob = xr.open_dataset(policy_folder / "robustness" / "robustness.nc")
    assert setting_name(rob, "reference", "en") == "2021 programme"
    assert setting_name(rob, "ai_investment_high", "en") == "AI investment doubled"
    assert setting_name(rob, "all_high", "nl") == "elk programma verdubbeld"
