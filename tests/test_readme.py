"""The README's two commands: the test one is exactly what CI runs; the run one works."""

from __future__ import annotations

import re

from tests.conftest import ROOT

RUN = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && futures run"
TEST = ("python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest")


def _bash_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)]


def test_readme_states_the_two_commands():
    """The first two bash blocks are the run command and the test command."""
    assert _bash_blocks()[:2] == [RUN, TEST]


def test_ci_runs_exactly_the_test_command():
    """.ci/run's last line is the README's test command, verbatim."""
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.strip()]
    assert lines[-1] == TEST
    assert "set -euo pipefail" in lines


def test_ci_runs_the_linters_before_the_tests():
    """ruff and mypy run in the same fresh venv, before the test command."""
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.strip()]
    assert any(ln.endswith("&& ruff check . && mypy") for ln in lines[:-1])


def test_readme_run_part_works(cli, tmp_path):
    """The command the run line ends with, `futures run`, runs from the project root."""
    out = tmp_path / "run"
    result = cli("run", "ensemble.members=8", f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    assert (out / "outcomes.nc").is_file()


def test_ci_installs_chromium_before_the_tests():
    """The workshop page tests need Debian's Chromium; .ci/run installs it first."""
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.strip()]
    assert any("apt-get install -y chromium chromium-driver" in ln for ln in lines[:-1])
