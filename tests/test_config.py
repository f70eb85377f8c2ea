"""Config: every YAML composes and validates; every number carries its justification."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scenarios.config.compose import conf_dir, load, normalize
from scenarios.config.study import default_study

STUDY = default_study()

CONF = conf_dir()
SOURCE = re.compile(r"L\d{1,4}|assumption|study\.narratives|study\.priors|fitted", re.IGNORECASE)
RANGE = re.compile(r"range \[-?\d")


def test_default_config_validates():
    """The defaults compose and validate into the four futures of the study."""
    cfg, spec = load([])
    assert [f.label for f in spec.futures] == list(STUDY.future_labels)
    assert spec.members == 1000 and spec.seed == 2021
    assert cfg.ensemble.members == 1000


@pytest.mark.parametrize("future", STUDY.future_labels)
def test_each_future_file_composes(future):
    """conf/future/<label>.yaml composes alone; its stem is the label."""
    assert (CONF / "future" / f"{future}.yaml").is_file()
    _, spec = load([f"futures=[{future}]", "ensemble.members=2"])
    assert [f.label for f in spec.futures] == [future]


@pytest.mark.parametrize("path", sorted(CONF.rglob("*.yaml")), ids=lambda p: p.name)
def test_every_yaml_parses(path: Path):
    """Every file under conf/ is valid YAML."""
    yaml.safe_load(path.read_text())


def _numeric_lines(path: Path) -> list[str]:
    lines = []
    for line in path.read_text().splitlines():
        body = line.split("#", 1)[0]
        if re.search(r":\s*-?\d+(\.\d+)?\s*$", body):
            lines.append(line)
    return lines


@pytest.mark.parametrize("name", ["cross_impact.yaml", "impacts.yaml", "initial.yaml",
                                  "drivers.yaml", "levers.yaml", "future/versnelling.yaml",
                                  "future/voorwaardelijke_groei.yaml",
                                  "future/radicale_markten.yaml", "future/gelijk_speelveld.yaml"])
def test_every_number_has_a_source(name):
    """Each numeric entry has a comment: a seed line, 'assumption', or the fit."""
    missing = [line for line in _numeric_lines(CONF / name)
               if "#" not in line or not SOURCE.search(line.split("#", 1)[1])]
    assert not missing, "\n".join(missing)


def test_every_cross_impact_entry_has_a_range():
    """The impact matrix: every non-zero entry states its plausible range."""
    missing = [line for line in _numeric_lines(CONF / "cross_impact.yaml")
               if not RANGE.search(line)]
    assert not missing, "\n".join(missing)


def test_open_maps_take_entries_the_yaml_leaves_out():
    """Setting a zero entry of the matrix works like any key (rewritten to ++)."""
    assert normalize(["cross_impact.mega_ecosystemen.autonomisering=0.2", "seed=3"]) == \
        ["++cross_impact.mega_ecosystemen.autonomisering=0.2", "seed=3"]
    _, spec = load(normalize(["cross_impact.mega_ecosystemen.autonomisering=0.2"]))
    i = STUDY.trend_labels.index("mega_ecosystemen")
    j = STUDY.trend_labels.index("autonomisering")
    assert spec.world.trend_matrix[i, j] == 0.2


def test_matrix_row_as_list():
    """A row may be written as a list of 24 numbers in column order."""
    row = [0.0] * len(STUDY.columns())
    row[STUDY.columns().index("momentum")] = 0.3
    text = "[" + ",".join(str(v) for v in row) + "]"
    _, spec = load(normalize([f"cross_impact.mensoptimalisering={text}"]))
    i = STUDY.trend_labels.index("mensoptimalisering")
    assert spec.world.trend_matrix[i].sum() == 0.0
    assert spec.world.driver_loadings[i, 0] == 0.3


def test_relative_uncertainties_follow_the_nominal():
    """initial.* ranges are offsets: moving the nominal moves the draws."""
    _, spec = load(["initial.autonomisering=0.5"])
    (u,) = [u for u in spec.uncertainties if u.name == "initial.autonomisering"]
    assert u.bounds == pytest.approx((0.45, 0.55))
