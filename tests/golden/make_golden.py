"""Regenerate tests/golden/small.nc. Regenerating is its own commit, saying why.

Run from the repository root: ``python tests/golden/make_golden.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conftest import dataset_for

#: The configuration of the golden file: small, all four futures, a fixed seed.
OVERRIDES = ["ensemble.members=4", "seed=7"]


def main() -> None:
    ds = dataset_for(OVERRIDES)
    keep = ds[["level", "impact", "sample"]].isel(time=slice(None, None, 12))  # yearly
    keep.attrs = {"overrides": " ".join(OVERRIDES)}
    keep.to_netcdf(HERE / "small.nc", engine="h5netcdf")
    print(HERE / "small.nc")


if __name__ == "__main__":
    main()
