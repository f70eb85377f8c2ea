"""Print the tables of docs/reliability.md by running every case through the real `futures`.

- ``python tests/make_reliability_table.py`` (or ``bad-input``): every case of
  tests/test_errors.py through ``futures run ... hydra.run.dir=/nonexistent/never``;
- ``python tests/make_reliability_table.py security``: every case of tests/test_security.py,
  each in a fresh folder ``T``;
- ``python tests/make_reliability_table.py hardening``: the cases of tests/test_hardening.py.

Run from the repository root and paste the output into the matching section.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import futures_cli


def bad_input() -> None:
    from tests.test_errors import BAD

    print("| # | input | exit | what it prints (stderr) |")
    print("|---|---|---|---|")
    for i, (overrides, _) in enumerate(BAD, 1):
        result = futures_cli("run", *overrides, "hydra.run.dir=/nonexistent/never")
        line = result.stderr.strip().replace("|", "\\|")
        shown = " ".join(overrides).replace("|", "\\|")
        print(f"| {i} | `{shown}` | {result.returncode} | {line} |")


def security() -> None:
    from tests.test_security import CASES, attempt

    print("| # | item | case | exit | what it prints (stderr; T is the case's folder) |")
    print("|---|---|---|---|---|")
    for i, case in enumerate(CASES, 1):
        with tempfile.TemporaryDirectory(prefix="fs-") as tmp:
            status, line = attempt(case, Path(tmp))
        shown = f"`{line}`" if line else "(nothing: exit 0)"
        print(f"| S{i} | {case.item} | {case.name} | {status} | "
              f"{shown.replace('|', chr(92) + '|')} |")


def hardening() -> None:
    from tests.test_hardening import CASES, _scheduler_line
    from tests.test_security import attempt

    print("| # | item | case | exit | what it prints (stderr; T is the case's folder) |")
    print("|---|---|---|---|---|")
    for i, case in enumerate(CASES, 1):
        with tempfile.TemporaryDirectory(prefix="fs-") as tmp:
            try:
                status, line = attempt(case, Path(tmp))
            finally:
                if case.check and case.check.__name__ == "check":  # unmount
                    case.check(Path(tmp))
            line = _scheduler_line(line)
        shown = f"`{line}`" if line else "(nothing: exit 0)"
        print(f"| H{i} | {case.item} | {case.name} | {status} | "
              f"{shown.replace('|', chr(92) + '|')} |")


TABLES = {"bad-input": bad_input, "security": security, "hardening": hardening}

if __name__ == "__main__":
    TABLES[sys.argv[1] if len(sys.argv) > 1 else "bad-input"]()
