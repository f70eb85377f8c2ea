"""Architecture checks by AST: the model layer stays pure, randomness stays explicit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
SCENARIOS = ROOT / "scenarios"

#: Top-level packages the model layer must not import.
FORBIDDEN_IN_MODELS = ("scenarios", "hydra", "omegaconf", "matplotlib", "random")
MAX_LINES = 500


def modules(package: Path) -> list[Path]:
    """Every ``.py`` file under ``package``."""
    return sorted(package.rglob("*.py"))


def imported_roots(tree: ast.AST) -> set[str]:
    """Top-level names of every absolute import in ``tree``."""
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a chain of names and attributes; '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def open_calls(tree: ast.AST) -> list[int]:
    """Lines calling ``open(...)`` or any ``<something>.open(...)`` (io.open, Path.open)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == "open") or \
                    (isinstance(func, ast.Attribute) and func.attr == "open"):
                lines.append(node.lineno)
    return lines


def global_seeding(tree: ast.AST) -> list[int]:
    """Lines using ``np.random.seed`` / ``numpy.random.seed`` or importing ``seed`` from it."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "seed" and \
                dotted(node.value) in ("np.random", "numpy.random"):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy.random" and \
                any(alias.name == "seed" for alias in node.names):
            lines.append(node.lineno)
    return lines


def violations(source: str, *, pure: bool) -> list[str]:
    """What a module breaks: forbidden imports and file access if ``pure``, global seeding."""
    tree = ast.parse(source)
    found = []
    if pure:
        found += [f"imports {root}" for root in sorted(imported_roots(tree) &
                                                        set(FORBIDDEN_IN_MODELS))]
        found += [f"calls open() at line {line}" for line in open_calls(tree)]
    found += [f"seeds numpy's global generator at line {line}" for line in global_seeding(tree)]
    return found


def line_count(path: Path) -> int:
    """Number of lines of a file."""
    return len(path.read_text(encoding="utf-8").splitlines())


# --------------------------------------------------------------------------- the checker itself


@pytest.mark.parametrize("source,expected", [
    ("import scenarios.config.schema", "imports scenarios"),
    ("from scenarios.engine import simulate as runner", "imports scenarios"),
    ("import hydra", "imports hydra"),
    ("from omegaconf import OmegaConf", "imports omegaconf"),
    ("import matplotlib.pyplot as plt", "imports matplotlib"),
    ("import random", "imports random"),
    ("from random import shuffle", "imports random"),
    ("f = open('x.csv')", "calls open() at line 1"),
    ("import io\nf = io.open('x')", "calls open() at line 2"),
    ("text = path.open().read()", "calls open() at line 1"),
    ("import numpy as np\nnp.random.seed(1)", "seeds numpy's global generator at line 2"),
    ("import numpy\nnumpy.random.seed(1)", "seeds numpy's global generator at line 2"),
    ("from numpy.random import seed", "seeds numpy's global generator at line 1"),
])
def test_checker_finds_violations(source, expected):
    """The checker reports each kind of violation in a pure module."""
    assert expected in violations(source, pure=True)


@pytest.mark.parametrize("source", [
    "import numpy as np\nrng = np.random.default_rng(1)",
    "from models.dynamics import integrate",
    "from . import catalogue",
    "from scipy.stats import qmc",
    "x = reopen(1)",
    "seed = 3\nrng.seed = seed",
])
def test_checker_accepts_clean_code(source):
    """The checker does not flag code that is fine."""
    assert violations(source, pure=True) == []


def test_checker_only_flags_seeding_outside_models():
    """Non-pure modules (scenarios) may open files and import Hydra, but not seed globally."""
    source = "import hydra\nopen('x')\nimport numpy as np\nnp.random.seed(0)"
    assert violations(source, pure=False) == ["seeds numpy's global generator at line 4"]


# --------------------------------------------------------------------------- the project


def test_packages_found():
    """The checks below see the real packages."""
    assert {"dynamics.py", "ensemble.py", "sampling.py"} <= {p.name for p in modules(MODELS)}
    assert {"cli.py", "schema.py", "simulate.py"} <= {p.name for p in modules(SCENARIOS)}


@pytest.mark.parametrize("path", modules(MODELS), ids=lambda p: p.name)
def test_models_are_pure(path):
    """A models/ module imports no config/plot/random package, opens no file, seeds nothing."""
    assert violations(path.read_text(encoding="utf-8"), pure=True) == []


@pytest.mark.parametrize("path", modules(SCENARIOS), ids=lambda p: p.name)
def test_scenarios_do_not_seed_globally(path):
    """No scenarios/ module uses ``np.random.seed``."""
    assert violations(path.read_text(encoding="utf-8"), pure=False) == []


def test_modules_are_short():
    """Every module in models/ and scenarios/ is under 500 lines."""
    too_long = {str(p.relative_to(ROOT)): line_count(p)
                for p in modules(MODELS) + modules(SCENARIOS) if line_count(p) >= MAX_LINES}
    assert not too_long, f"modules with {MAX_LINES} lines or more: {too_long}"
