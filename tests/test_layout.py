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
                dotted(node.value) in ("np.random", "numpy.random") or isinstance(node, ast.ImportFrom) and node.module == "numpy.random" and \
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


# --------------------------------------------------------------------------- the import graph

#: Packages whose modules form the graph.
PACKAGES = ("models", "scenarios")

#: Layers, lowest first: a module may import its own layer (without a cycle) and lower ones.
#: ``scenarios`` itself (the package ``__init__``: the version) sits below config.
LAYERS = (
    ("models", ("models",)),
    ("base", ("scenarios",)),
    ("config", ("scenarios.config",)),
    ("engine", ("scenarios.engine",)),
    ("figures", ("scenarios.figures",)),
    ("analysis", ("scenarios.analysis",)),
    ("workshop", ("scenarios.workshop",)),
    ("interop", ("scenarios.interop",)),
    ("study", ("scenarios.study",)),  # futures study init (beside the analyses)
    ("api", ("scenarios.api",)),
    ("cli", ("scenarios.cli",)),
)

#: Imports between layers of the same height: which layer may import which.
#: analysis, workshop and interop may use figures (styles, the save path); figures never
#: imports them; they do not import each other. ``scenarios.api`` (the Python entry) sits
#: beside cli, above everything but cli.
MAY_IMPORT = {
    "models": {"models"},
    "base": {"base", "models"},
    "config": {"config", "base", "models"},
    "engine": {"engine", "config", "base", "models"},
    "figures": {"figures", "engine", "config", "base", "models"},
    "analysis": {"analysis", "figures", "engine", "config", "base", "models"},
    "workshop": {"workshop", "figures", "engine", "config", "base", "models"},
    "interop": {"interop", "figures", "engine", "config", "base", "models"},
    "study": {"study", "engine", "config", "base", "models"},
    "api": {"api", "interop", "analysis", "workshop", "figures", "engine", "config", "base",
            "models"},
    "cli": {"cli", "interop", "analysis", "workshop", "figures", "engine", "config", "base",
            "models", "study"},
}


def module_name(path: Path) -> str:
    """``scenarios/engine/app.py`` -> ``scenarios.engine.app``; packages by their folder."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the graph by its dotted name."""
    return {module_name(p): p for pkg in PACKAGES for p in modules(ROOT / pkg)}


def resolve_imports(name: str, tree: ast.AST, known: set[str], is_package: bool) -> set[str]:
    """Project modules that ``tree`` (module ``name``) imports anywhere, functions included.

    Relative imports are resolved against ``name``; ``from pkg import mod`` counts as an
    import of ``pkg.mod`` when that is a module, else of ``pkg``.
    """
    here = name.split(".") if is_package else name.split(".")[:-1]
    found = set()

    def nearest(dotted_name: str) -> str | None:
        parts = dotted_name.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in known:
                return candidate
            parts.pop()
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = nearest(alias.name)
                if target:
                    found.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                target = nearest(f"{module}.{alias.name}") if module else None
                target = target or nearest(module)
                if target:
                    found.add(target)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (at top level or inside functions)."""
    mods = project_modules()
    known = set(mods)
    return {name: resolve_imports(name, ast.parse(path.read_text(encoding="utf-8")), known,
                                  path.name == "__init__.py")
            for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as ``[a, b, ..., a]``, or ``[]`` (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def cycle_groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other (strongly connected components of more than
    one module, or a module importing itself), each sorted (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def layer_of(module: str) -> str:
    """The layer a module belongs to (the longest matching prefix)."""
    best, length = "", -1
    for layer, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = layer, len(prefix)
    return best


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """``a -> b`` for every import the layer table does not allow."""
    return [f"{a} ({layer_of(a)}) -> {b} ({layer_of(b)})" for a in sorted(graph)
            for b in sorted(graph[a]) if layer_of(b) not in MAY_IMPORT[layer_of(a)]]


def test_graph_resolves_relative_and_function_imports():
    """Imports inside functions, relative imports and ``from pkg import mod`` are edges."""
    known = {"scenarios.engine", "scenarios.engine.storage", "scenarios.engine.batches",
             "scenarios.config.errors", "scenarios.config"}
    source = ("def f():\n    from scenarios.engine import storage\n"
              "from . import storage as s\nfrom .batches import plan\n"
              "from ..config.errors import ConfigError\n")
    found = resolve_imports("scenarios.engine.sweep", ast.parse(source), known, False)
    assert found == {"scenarios.engine.storage", "scenarios.engine.batches",
                     "scenarios.config.errors"}


def test_cycle_finder_finds_a_cycle():
    """The search reports a cycle hidden behind a function-level import, and none in a DAG."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert cycle_groups(graph) == [["a", "b", "c"], ["e", "f"]]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []
    assert cycle_groups({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_layer_table_flags_an_upward_import():
    """engine importing analysis, or figures importing analysis, breaks the layer order."""
    graph = {"scenarios.engine.batches": {"scenarios.analysis.plane.compute"},
             "scenarios.figures.render": {"scenarios.analysis.sensitivity.report"},
             "scenarios.analysis.plane.compute": {"scenarios.figures.style"}}
    assert layer_violations(graph) == [
        "scenarios.engine.batches (engine) -> scenarios.analysis.plane.compute (analysis)",
        ("scenarios.figures.render (figures) -> scenarios.analysis.sensitivity.report "
         "(analysis)")]


def test_no_import_cycle():
    """No cycle among the project's modules, counting imports inside functions."""
    graph = import_graph()
    edges = sum(len(v) for v in graph.values())
    groups = cycle_groups(graph)
    print(f"import graph: {len(graph)} modules, {edges} edges, cycles={len(groups)}")
    cycle = find_cycle(graph)
    assert not cycle and not groups, "import cycle: " + " -> ".join(cycle) + f" ({groups})"


def test_imports_follow_the_layers():
    """cli -> analysis/workshop/interop/figures -> engine -> config -> models, never back."""
    graph = import_graph()
    assert all(layer_of(m) for m in graph), [m for m in graph if not layer_of(m)]
    assert layer_violations(graph) == []


def test_no_analysis_imports_the_hydra_app():
    """The Hydra app (scenarios.engine.app) is imported by cli and the commands' runner only."""
    graph = import_graph()
    users = sorted(m for m, deps in graph.items() if "scenarios.engine.app" in deps)
    assert not [m for m in users if m.startswith("scenarios.analysis")], users


# --------------------------------------------------------------------------- sizes

#: Longest function, in lines of code (no blank lines, comments, docstring or nested
#: functions), unless a ``# long: <reason>`` comment is on its signature.
MAX_FUNCTION = 60
#: At most this many modules directly in scenarios/ (the rest live in its subpackages).
MAX_TOP_MODULES = 10


def function_sizes(source: str) -> list[tuple[str, int, int, str]]:
    """``(name, line, lines of code, reason)`` of every function; ``reason`` is the text of a
    ``# long:`` comment on the signature, or ''."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        skip: set[int] = set()
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                isinstance(first.value.value, str):
            skip.update(range(first.lineno, first.end_lineno + 1))
        for sub in ast.walk(node):
            if sub is not node and isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                    ast.ClassDef)):
                skip.update(range(sub.lineno, sub.end_lineno + 1))
        code = [i for i in range(node.lineno, node.end_lineno + 1) if i not in skip
                and lines[i - 1].strip() and not lines[i - 1].strip().startswith("#")]
        signature = lines[node.lineno - 1:first.lineno - 1] or [lines[node.lineno - 1]]
        reason = next((text.split("# long:", 1)[1].strip() for text in signature
                       if "# long:" in text), "")
        out.append((node.name, node.lineno, len(code), reason))
    return out


def test_function_sizes_counts_code_only():
    """Docstrings, comments, blank lines and nested functions do not count; a reason does."""
    source = ('def f(a,\n      b):  # long: a table of cases\n    """Doc.\n\n    More."""\n'
              "    # why\n    x = 1\n\n    def g():\n        return 2\n    return x\n")
    sizes = {name: (n, reason) for name, _, n, reason in function_sizes(source)}
    assert sizes == {"f": (4, "a table of cases"), "g": (2, "")}


def test_functions_are_short():
    """No function over 60 lines of code without a ``# long: <reason>`` on its signature."""
    found, excused = [], []
    for path in modules(MODELS) + modules(SCENARIOS):
        for name, line, n, reason in function_sizes(path.read_text(encoding="utf-8")):
            where = f"{path.relative_to(ROOT)}:{line} {name} ({n} lines)"
            if n > MAX_FUNCTION:
                (excused if reason else found).append(f"{where}: {reason}" if reason else where)
    print("long functions with a reason:", *excused, sep="\n  ")
    assert not found, f"functions over {MAX_FUNCTION} lines of code: {found}"


def test_few_modules_at_the_top_of_scenarios():
    """scenarios/ holds its subpackages and at most ~10 modules of its own."""
    top = sorted(p.name for p in SCENARIOS.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_analyses_have_the_same_inner_names():
    """Every analysis package has command.py, compute.py and report.py (SALib's lesson)."""
    for package in sorted(p for p in (SCENARIOS / "analysis").iterdir()
                          if p.is_dir() and (p / "__init__.py").is_file()):
        names = {p.name for p in package.glob("*.py")}
        if package.name == "narratives":  # a library of the study's table and its fit
            continue
        assert {"command.py", "compute.py", "report.py"} <= names, (package.name, names)


def module_aliases(tree: ast.AST, known: set[str]) -> set[str]:
    """Local names bound to project modules (``from scenarios.engine import batches``,
    ``import scenarios.engine.sweep as sweep``)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.update(a.asname or a.name for a in node.names
                       if f"{node.module}.{a.name}" in known)
        elif isinstance(node, ast.Import):
            out.update(a.asname for a in node.names if a.asname and a.name in known)
    return out


def flipped_state(source: str, known: set[str]) -> list[str]:
    """Where ``source`` sets an attribute of, or appends to / clears a list of, another
    project module (``batches.SHOW_PROGRESS = False``, ``sweep.FAILED.clear()``), or
    reassigns ``sys.argv``."""
    tree = ast.parse(source)
    aliases = module_aliases(tree, known)
    found = []
    for node in ast.walk(tree):
        for target in node.targets if isinstance(node, ast.Assign) else []:
            name = dotted(target)
            if name == "sys.argv" or ("." in name and name.split(".")[0] in aliases):
                found.append(f"{node.lineno} {name} =")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("clear", "extend", "append", "update", "pop") and \
                dotted(node.func.value).split(".")[0] in aliases:
            found.append(f"{node.lineno} {dotted(node.func)}()")
    return found


def test_state_checker_finds_flips():
    """The checker sees the three kinds of module state issue 13 names."""
    known = {"scenarios.engine.batches", "scenarios.engine.sweep"}
    source = ("import sys\nfrom scenarios.engine import batches, sweep\n"
              "batches.SHOW_PROGRESS = False\nsweep.FAILED.clear()\nsys.argv = ['x']\n"
              "server = object()\nserver.daemon_threads = True\n")
    assert flipped_state(source, known) == ["3 batches.SHOW_PROGRESS =",
                                            "5 sys.argv =", "4 sweep.FAILED.clear()"]


def test_no_module_level_flags_that_others_flip():
    """No module flips another module's flag or list; ``sys.argv`` is set only by the Hydra
    entry (:func:`scenarios.engine.app.launch`, which restores it)."""
    known = set(project_modules())
    flips = [f"{path.relative_to(ROOT)}:{where}" for path in modules(SCENARIOS)
             for where in flipped_state(path.read_text(encoding="utf-8"), known)]
    assert [f for f in flips if not f.startswith("scenarios/engine/app.py:")] == []
    assert [f.split(" ", 1)[1] for f in flips] == ["sys.argv =", "sys.argv ="], flips
