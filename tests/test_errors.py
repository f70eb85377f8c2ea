"""Bad input: exit status 2, one line on stderr naming key, value and what is allowed.

No traceback, and nothing written: not outcomes.nc, not even the run directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import one_error_line

ROW = "[" + ",".join(["0"] * 23) + "]"  # 23 entries: one short of the 24 columns

BAD = [
    # (overrides, text the one line must contain)
    (["futures=[versneling]"], (r"futures='versneling': future not found; expected one of "
                               r"['versnelling'")),
    (["futures=[]"], "futures=[]: expected a non-empty list"),
    (["futures=versnelling"], "futures='versnelling': expected a list"),
    (["futures=[versnelling,versnelling]"], "each future at most once"),
    (["ensemble.members=2.5"], "ensemble.members=2.5: expected an integer"),
    (["ensemble.members=abc"], "ensemble.members='abc': expected an integer"),
    (["ensemble.members=0"], "ensemble.members=0: expected an integer >= 1"),
    (["ensemble.members=-4"], "ensemble.members=-4: expected an integer >= 1"),
    (["ensemble.design=sobol", "ensemble.members=1000"], "needs a power of two"),
    (["ensemble.design=halton"], "design not found; expected one of ['latin_hypercube'"),
    (["seed=-1"], "seed=-1: expected an integer >= 0"),
    (["colour=red"], "colour='red': unknown config key; keys at the top level are"),
    (["+colour=red"], "colour='red': unknown config key; keys at the top level are"),
    (["ensemble.size=3"], "ensemble.size=3: unknown config key; keys at ensemble are"),
    (["future.versnelling.speed=3"], "future.versnelling.speed=3: unknown config key"),
    ([f"cross_impact.mega_ecosystemen={ROW}"], "a row given as a list needs 24 entries"),
    (["cross_impact.mega_ecosystemen=[1,2,3]"], "a row given as a list needs 24 entries"),
    (["cross_impact.mega_ecosystemen.bitcoin=0.2"], ("cross_impact.mega_ecosystemen.bitcoin="
                                                    "'bitcoin': column label not found")),
    (["cross_impact.metaverse.autonomisering=0.2"], ("cross_impact.metaverse='metaverse': row "
                                                    "label not found")),
    (["cross_impact.mega_ecosystemen.decentralisering=abc"],
     "cross_impact.mega_ecosystemen.decentralisering='abc': expected a number in [-5.0, 5.0]"),
    (["cross_impact.mega_ecosystemen.decentralisering=30"], "expected a number in [-5.0, 5.0]"),
    (["impacts.trends.veiligheid.hackers=1"], ("impacts.trends.veiligheid.hackers='hackers': "
                                              "column label not found")),
    (["impacts.trends.welzijn.autonomisering=1"], "impacts.trends.welzijn='welzijn': row label"),
    (["initial.mega_ecosystemen=1.5"], ("initial.mega_ecosystemen=1.5: expected a number in "
                                       "(0.0, 1.0)")),
    (["initial.mega_ecosystemen=0"], "initial.mega_ecosystemen=0.0: expected a number in (0.0"),
    (["initial.mega_ecosystemen=1"], "expected a number in (0.0, 1.0)"),
    (["initial.metaverse=0.3"], "initial.metaverse='metaverse': trend not found"),
    (["initial.autonomisering=0.97"], "draws would leave (0.0, 1.0); narrow the range"),
    (["future.versnelling.ownership=1.2"], ("future.versnelling.ownership=1.2: expected a number "
                                           "in [0.0, 1.0]")),
    (["future.versnelling.drivers.shareholder=0.2"], "axis drivers follow ownership and purpose"),
    (["levers.ai_investment=2"], "levers.ai_investment=2.0: expected a number in [0.0, 1.0]"),
    (["levers.quantum=0.5"], "levers.quantum='quantum': lever not found"),
    (["uncertainties.cross_impact_strength.low=2"], "must be greater than low=2.0"),
    (["uncertainties.warp_speed={low:0,high:1}"], "uncertain parameter not found"),
    (["time.end=2020"], "time.end=2020.0: expected a number in (2021.0"),
    (["output.precision=float16"], "precision not found; expected one of ['float32', 'float64']"),
    (["members=10"], "members=10: unknown config key"),
    (["ensemble.members=1,2"], "a sweep (a,b,c) needs `futures run -m`"),
    (["=5"], "cannot parse it"),
    (["events.enabled=maybe"], "events.enabled='maybe': expected true or false"),
    (["events.hazards.meteor.rate=1"], "events.hazards.meteor='meteor': hazard kind not found"),
    (["events.hazards.cyber_incident.rate=-1"], ("events.hazards.cyber_incident.rate=-1: "
                                                "expected a number in [0.0, 50.0]")),
    (["events.hazards.cyber_incident.knocks.metaverse=0.1"], ("knocks.metaverse='metaverse': "
                                                             "trend not found")),
    (["events.hazards.cyber_incident.size=[0,2]"], ("events.hazards.cyber_incident.size=0: "
                                                   "expected a number in (0.0, 1.0]")),
    (["events.eu_rules.dma.share=0.9"], "the shares of the rules may add up to at most 1"),
    (["events.eu_rules.dma.date.default=2035"], ("events.eu_rules.dma.date.default=2035: "
                                                "expected a number in [2021.0, 2030.0]")),
    (["events.elections.policy.versnelling.2027={ai_investment:0.9}"], "not an election year"),
    (["events.elections.policy.versnelling.2025.ai_investment=1.5"],
     "expected a number in [0.0, 1.0]"),
    (["events.pool=0"], "events.pool=0: expected an integer >= 1"),
    (["events.elections.policy={}"], ("events.elections.policy='{}': an empty map merges into "
                                     "the existing entries and changes nothing; to remove them "
                                     "use '~events.elections.policy'")),
]


def _documented() -> dict[str, str]:
    """docs/reliability.md's bad-input table: input -> the line it says is printed."""
    rows = {}
    text = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    for line in text.splitlines():
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) == 4 and cells[0].lstrip("| ").isdigit() and cells[1].startswith("`"):
            rows[cells[1].strip("`")] = cells[3].rstrip(" |")
    return rows


DOCUMENTED = _documented()


@pytest.mark.parametrize(("overrides", "message"), BAD, ids=[" ".join(o) for o, _ in BAD])
def test_bad_input_is_one_clear_line(cli, tmp_path, overrides, message):
    """Each bad input: status 2, one stderr line with the message, nothing written; and
    docs/reliability.md shows that line (regenerate with tests/make_reliability_table.py)."""
    out = tmp_path / "run"
    result = cli("run", *overrides, f"hydra.run.dir={out}")
    line = one_error_line(result)
    assert message in line
    assert result.stdout == ""
    assert not out.exists()
    shown = " ".join(overrides).replace("|", "\\|")
    assert DOCUMENTED.get(shown) == line.replace("|", "\\|"), shown


def test_unknown_command(cli):
    """An unknown subcommand is named, with the ones that exist."""
    from scenarios.cli import COMMANDS

    result = cli("simulate")
    assert result.returncode == 2
    assert result.stderr.strip() == ("futures: error: command 'simulate' not found; expected "
                                     f"one of {[*COMMANDS, 'help']}")
    assert {"run", "collect", "plot", "report"} <= set(COMMANDS)
    assert "'sensitivity'" in result.stderr  # a command of the README's contract


def test_bad_input_keeps_earlier_output(cli, tmp_path):
    """A failed run into a folder leaves the outcomes already there untouched."""
    out = tmp_path / "run"
    assert cli("run", "ensemble.members=4", f"hydra.run.dir={out}").returncode == 0
    before = (out / "outcomes.nc").read_bytes()
    assert cli("run", "ensemble.members=0", f"hydra.run.dir={out}").returncode == 2
    assert (out / "outcomes.nc").read_bytes() == before


def test_bad_value_in_a_sweep_stops_before_any_job(cli, tmp_path):
    """`-m` with one bad value: the one-line error, and no job runs (no sweep folder)."""
    out = tmp_path / "sweep"
    result = cli("run", "-m", "ensemble.members=8,-1", "seed=1,2", f"hydra.sweep.dir={out}")
    assert result.returncode == 2
    assert result.stderr.strip() == ("futures: error: ensemble.members=-1: expected an "
                                     "integer >= 1 and <= 10000000")
    assert not out.exists()
