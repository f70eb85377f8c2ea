"""``futures export RUN_DIR [--format iamc|csv|parquet] [--lang nl|en]``: the work
(the command is declared in :mod:`scenarios.interop.command`).

Writes into ``RUN_DIR/export/``: ``outcomes_iamc.csv`` and ``outcomes_iamc.xlsx`` (IAMC, for
pyam and the Scenario Explorer), ``outcomes_long.csv`` or ``outcomes_long.parquet`` (every
member, tidy). Bad input gives one line and exit status 2 before anything is written; a
failed write is status 1 and leaves any earlier export whole.
"""

from __future__ import annotations

import sys
from pathlib import Path

import xarray as xr

from scenarios import __version__
from scenarios.config.errors import ConfigError, WriteError
from scenarios.engine.names import (
    EXPORT_DIR,
    IAMC_CSV,
    IAMC_XLSX,
    LONG_CSV,
    LONG_PARQUET,
    RUN_FILES,
)
from scenarios.engine.storage import atomic_output, open_outcomes

FORMATS = ("iamc", "csv", "parquet")
LANGS = ("nl", "en")
FOLDER = EXPORT_DIR
FILES = {"iamc": (IAMC_CSV, IAMC_XLSX), "csv": (LONG_CSV,), "parquet": (LONG_PARQUET,)}
CANDIDATES = RUN_FILES
RUN_DIMS = {"future", "member", "time", "trend", "area"}


def parse(args: list[str]) -> tuple[Path, str, str]:
    """RUN_DIR, format and language from the arguments; ConfigError on anything else."""
    options = {"--format": "iamc", "--lang": "nl"}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        flag, eq, value = arg.partition("=")
        if flag in options:
            if not eq:
                if i + 1 >= len(args):
                    raise ConfigError(flag, "", "needs a value")
                value, i = args[i + 1], i + 1
            options[flag] = value
        elif arg.startswith("-"):
            raise ConfigError("option", arg, "not known; expected --format or --lang")
        else:
            positional.append(arg)
        i += 1
    if len(positional) != 1:
        raise ConfigError("RUN_DIR", " ".join(positional), "expected exactly one run or "
                          "sweep folder")
    fmt, lang = options["--format"], options["--lang"]
    if fmt not in FORMATS:
        raise ConfigError("--format", fmt, f"expected one of {list(FORMATS)}")
    if lang not in LANGS:
        raise ConfigError("--lang", lang, f"expected one of {list(LANGS)}")
    return Path(positional[0]), fmt, lang


def load(run_dir: Path) -> tuple[xr.Dataset, list[str]]:
    """The outcomes dataset of a run or sweep folder (lazily) and its swept keys."""
    if not run_dir.is_dir():
        raise ConfigError("RUN_DIR", str(run_dir), "not a folder; give the folder that "
                          "`futures run` printed")
    found = [run_dir / name for name in CANDIDATES if (run_dir / name).exists()]
    if not found:
        raise ConfigError("RUN_DIR", str(run_dir), "holds no outcomes.nc, outcomes.zarr, "
                          "sweep.nc or sweep.zarr")
    try:
        ds = open_outcomes(found[0])
    except ConfigError:  # refused before reading (a FIFO, text levels): said as it is
        raise
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError("RUN_DIR", str(found[0]), f"cannot be read ({type(err).__name__})") \
            from err
    for name in ("level", "impact"):
        if name not in ds.data_vars:
            raise ConfigError("RUN_DIR", str(found[0]), f"not a futures outcomes file (no "
                              f"{name!r} variable)")
    swept = [d for d in ds.level.dims if d not in RUN_DIMS]
    return ds, swept


def export(run_dir: Path, fmt: str, lang: str) -> list[Path]:
    """Write the export files of ``fmt``; return their paths (the earlier ones stay whole
    until each new file is complete)."""
    from scenarios.interop import tables

    ds, swept = load(run_dir)
    folder = run_dir / FOLDER
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ConfigError("RUN_DIR", str(folder), "is a link or a file; outputs stay inside "
                          "the run folder: remove it")
    written = []
    with ds:
        if fmt == "iamc":
            frame = tables.iamc(ds, swept, model=f"futures {ds.attrs.get('futures_version', __version__)}",
                                lang=lang)
            csv_name, xlsx_name = FILES["iamc"]
            with atomic_output(folder / csv_name) as tmp:
                frame.to_csv(tmp, index=False)
            written.append(folder / csv_name)
            with atomic_output(folder / xlsx_name) as tmp:
                frame.to_excel(tmp, index=False, sheet_name="data", engine="openpyxl")
            written.append(folder / xlsx_name)
        else:
            frame = tables.long(ds, swept, lang=lang)
            name = FILES[fmt][0]
            with atomic_output(folder / name) as tmp:
                if fmt == "csv":
                    frame.to_csv(tmp, index=False)
                else:
                    try:
                        frame.to_parquet(tmp, index=False)
                    except ImportError as err:
                        raise ConfigError("--format", "parquet", "needs pyarrow: pip install "
                                          "'futures-nl[interop]'") from err
            written.append(folder / name)
    return written


def main(args: list[str]) -> int:
    """The command: status 0 on success, 2 on bad input, 1 on a failed write."""
    try:
        run_dir, fmt, lang = parse(args)
        written = export(run_dir, fmt, lang)
    except WriteError as err:
        print(f"futures: error: {err}", file=sys.stderr)
        return 1
    except ConfigError as err:
        print(f"futures: error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(run_dir / FOLDER)
    return 0
