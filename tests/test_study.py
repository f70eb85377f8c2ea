"""The study is data: conf/study/nds2021.yaml, `futures study init`, and no labels in models/.

The example study runs through the real commands (`futures study init`, `futures run
--config-dir DIR study=NAME`, `futures plot`); malformed studies end with the one-line
error, exit status 2 and nothing written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import xarray as xr
import yaml

from scenarios.config.compose import load
from scenarios.config.errors import ConfigError
from scenarios.config.study import default_study, study_of
from scenarios.study.command import example
from tests.conftest import ROOT, one_error_line

STUDY = default_study()


def test_models_hold_no_label_of_the_study():
    """No trend, area, lever or future label, and no Dutch name of one, appears in models/."""
    words = set()
    for term in STUDY.trends + STUDY.areas + STUDY.levers + STUDY.futures:
        words |= {term.label, term.name_nl}
    assert len(words) > 40  # 11 trends, 5 areas, 6 levers, 4 futures; NL names mostly differ
    hits = []
    for path in sorted((ROOT / "models").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        hits += [f"{path.name}: {w}" for w in sorted(words)
                 if re.search(rf"(?<![A-Za-z_]){re.escape(w)}(?![A-Za-z_])", text, re.IGNORECASE)]
    assert hits == []


def test_the_grep_would_find_a_label(tmp_path):
    """The check above can fail: the same pattern finds a label in a line of code."""
    word = STUDY.trends[0].label
    assert re.search(rf"(?<![A-Za-z_]){re.escape(word)}(?![A-Za-z_])", f'x = "{word}"')


def test_default_study_is_nds2021():
    """The default run takes its vocabulary and its futures from conf/study/nds2021.yaml."""
    cfg, spec = load([])
    assert spec.study.name == "nds2021"
    assert list(cfg.futures) == list(STUDY.future_labels) == [
        "versnelling", "voorwaardelijke_groei", "radicale_markten", "gelijk_speelveld"]
    assert spec.world.trends == STUDY.trend_labels and len(spec.world.trends) == 11
    assert spec.world.areas == STUDY.area_labels and len(spec.world.areas) == 5
    assert spec.world.drivers[0] == "momentum" and len(spec.world.levers) == 6
    assert spec.world.axes == (("shareholder", "stakeholder"), ("growth", "welfare"))
    assert len(STUDY.cells) == 44 and len(STUDY.rankings) == 4
    assert STUDY.axis_priors["decentralisering"] == (1.5, 0.0)


def test_every_term_has_its_meaning_in_both_languages():
    """The page and the handout explain each trend, area, lever and future in NL and EN."""
    terms = STUDY.trends + STUDY.areas + STUDY.levers + STUDY.futures
    assert len(terms) == 26
    for term in terms:
        assert term.description and term.description_nl, term.label
        assert term.meaning("en") == term.description
        assert term.meaning("nl") == term.description_nl != term.description


def test_study_names_can_be_overridden():
    """The vocabulary is config: a display name is one override away."""
    _, spec = load(["study.trends.kwetsbaarheid.en=Fragility"])
    assert spec.study.display("kwetsbaarheid", "en") == "Fragility"


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory):
    """`futures study init DIR demo` through the real command."""
    from tests.conftest import futures_cli

    folder = tmp_path_factory.mktemp("studies")
    result = futures_cli("study", "init", str(folder), "demo")
    assert result.returncode == 0, result.stderr
    path = folder / "study" / "demo.yaml"
    assert result.stdout.strip() == str(path)
    return folder


def test_example_is_small_and_commented(example_dir):
    text = (example_dir / "study" / "demo.yaml").read_text()
    node = yaml.safe_load(text)
    study = study_of(node["study"])
    assert study.name == "demo"
    assert 3 <= len(study.trends) <= 4 and len(study.areas) == 2
    assert 1 <= len(study.levers) <= 2 and len(study.futures) == 2
    assert text.startswith("# @package _global_")
    assert sum(1 for line in text.splitlines() if "#" in line) >= 30


def test_study_init_refuses_to_overwrite(cli, example_dir):
    line = one_error_line(cli("study", "init", str(example_dir), "demo"))
    assert "exists" in line
    line = one_error_line(cli("study", "init", str(example_dir), "Bad-Name"))
    assert "NAME='Bad-Name'" in line


def test_example_runs_and_plots(cli, example_dir, tmp_path):
    """The example runs as it is and `futures plot` draws it, with the study's labels."""
    out = tmp_path / "run"
    result = cli("run", "--config-dir", str(example_dir), "study=demo", "ensemble.members=16",
                 f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    with xr.open_dataset(out / "outcomes.nc", engine="h5netcdf") as ds:
        assert list(ds.future.values) == ["growth_first", "care_first"]
        assert list(ds.trend.values) == ["platforms", "open_data", "automation"]
        assert list(ds.trend_name_nl.values) == ["Platformen", "Open data", "Automatisering"]
        assert list(ds.area.values) == ["prosperity", "trust"]
        level = ds.level.values
        assert ((level > 0) & (level < 1)).all()
        # care_first (public, wellbeing) brakes platforms; growth_first pushes them
        end = ds.level.sel(trend="platforms").isel(time=-1).median("member")
        assert float(end.sel(future="growth_first")) > float(end.sel(future="care_first")) + 0.2
    plotted = cli("plot", str(out))
    assert plotted.returncode == 0, plotted.stderr
    assert (out / "figures" / "fans_compared.png").stat().st_size > 10_000
    assert (out / "figures" / "fans_care_first.png").exists()


def _broken(example_dir: Path, tmp_path: Path, edit) -> Path:
    folder = tmp_path / "studies"
    (folder / "study").mkdir(parents=True)
    text = (example_dir / "study" / "demo.yaml").read_text()
    (folder / "study" / "demo.yaml").write_text(edit(text))
    return folder


MALFORMED = [
    ("unknown trend in the matrix",
     lambda t: t.replace("  open_data:\n    momentum: 0.05", "  open_dta:\n    momentum: 0.05"),
     ("futures: error: cross_impact.open_dta='open_dta': row label not found; expected one "
      "of ['platforms', 'open_data', 'automation']")),
    ("a future off the axes",
     lambda t: t.replace("    ownership: 0.8                      # assumption",
                         "    ownership: 1.8"),
     "futures: error: future.care_first.ownership=1.8: expected a number in [0.0, 1.0]"),
    ("a future of the study without its point",
     lambda t: t.replace("  care_first:\n    description: \"Public platforms, wellbeing\"\n"
                         "    ownership: 0.8                      # assumption\n"
                         "    purpose: 0.8                        # assumption\n"
                         "    levers: {skills: 0.8}               # this future invests more "
                         "in skills\n", ""),
     ("futures: error: future.care_first='missing': every future of the study needs its "
      "point on the axes")),
    ("a narrative cell for a missing trend",
     lambda t: t.replace("      platforms:\n        growth_first: rise",
                         "      robots:\n        growth_first: rise"),
     ("futures: error: study.narratives.cells.robots='robots': trend not found; expected "
      "one of ['platforms', 'open_data', 'automation']")),
    ("an axis pole that is not a driver",
     lambda t: t.replace("      high: wellbeing", "      high: welbeing"),
     "futures: error: study.axes.purpose.high='welbeing': driver not found"),
]


@pytest.mark.parametrize(("what", "edit", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_study_is_one_line(cli, example_dir, tmp_path, what, edit, message):
    folder = _broken(example_dir, tmp_path, edit)
    assert (folder / "study" / "demo.yaml").read_text() != \
        (example_dir / "study" / "demo.yaml").read_text(), what
    out = tmp_path / "run"
    result = cli("run", "--config-dir", str(folder), "study=demo", f"hydra.run.dir={out}")
    line = one_error_line(result)
    assert line.startswith(message), line
    assert result.stdout == "" and not out.exists()


def test_unknown_study_names_the_choices(cli, tmp_path):
    line = one_error_line(cli("run", "study=nds2012", f"hydra.run.dir={tmp_path / 'r'}"))
    assert line.startswith("futures: error: study='nds2012': study not found; expected one "
                           "of ['nds2021']")


@pytest.mark.parametrize(("node", "key"), [
    ({"trends": {}}, "study.trends"),
    ({"trends": {"a": {}}, "areas": {"b": {}}, "drivers": {"c": {}}, "futures": {"f": {}}},
     "study.drivers"),
    ({"trends": {"A": {}}}, "study.trends.A"),
])
def test_study_node_errors_name_the_key(node, key):
    with pytest.raises(ConfigError) as err:
        study_of(node)
    assert err.value.key == key


def test_example_text_is_the_packaged_file():
    text = example("xyz")
    assert "  name: xyz\n" in text and "NAME" not in text.split("study:")[1].split("\n")[1]
