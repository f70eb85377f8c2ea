"""``futures export``: the command that writes a run's outcomes as tables."""

from __future__ import annotations

from scenarios.engine.command import Command

USAGE = """\
usage: futures export RUN_DIR [--format iamc|csv|parquet] [--lang nl|en]

Writes the outcomes of a run (RUN_DIR/outcomes.nc) or a sweep (RUN_DIR/sweep.nc) as tables
into RUN_DIR/export/ and prints each file, then the folder:
  --format iamc      outcomes_iamc.csv and outcomes_iamc.xlsx: IAMC format (model, scenario,
                     region, variable, unit, one column per year), loadable by
                     pyam.IamDataFrame; the median, 5th and 95th percentile of the simulated
                     worlds (scenario, scenario|p05, scenario|p95). The default.
  --format csv       outcomes_long.csv: every member, one row per value (tidy, for pandas)
  --format parquet   outcomes_long.parquet: the same as Parquet (needs pyarrow)
  --lang nl|en       names of futures, trends and areas (default nl)
See docs/interop.md for the variable names.
"""


def main(args: list[str]) -> int:
    """Check the arguments and export (:func:`scenarios.interop.export.main`)."""
    if any(a in ("-h", "--help") for a in args):
        print(USAGE, end="")
        return 0
    from scenarios.interop.export import main as export_main

    return export_main(args)


COMMAND = Command("export", USAGE, main=main)
