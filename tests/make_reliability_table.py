"""Print the bad-input table of docs/reliability.md: every case of tests/test_errors.py run
through the real `futures run`, with the exit status and the line it printed.

Run from the repository root: ``python tests/make_reliability_table.py > /tmp/table.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import futures_cli  # noqa: E402
from tests.test_errors import BAD  # noqa: E402


def main() -> None:
    print("| # | input | exit | what it prints (stderr) |")
    print("|---|---|---|---|")
    for i, (overrides, _) in enumerate(BAD, 1):
        result = futures_cli("run", *overrides, "hydra.run.dir=/nonexistent/never")
        line = result.stderr.strip().replace("|", "\\|")
        shown = " ".join(overrides).replace("|", "\\|")
        print(f"| {i} | `{shown}` | {result.returncode} | {line} |")


if __name__ == "__main__":
    main()
