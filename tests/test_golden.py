"""Regression against a small golden run (tests/golden/small.nc).

Tolerance: rtol 1e-5 and atol 1e-6 on values stored as float32 (7 significant digits); that
absorbs differences between numpy/BLAS builds in the last bits while any change of the model,
the config or the sampling moves values by far more. Regenerate with
``python tests/golden/make_golden.py`` in a commit of its own that says why.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from tests.conftest import dataset_for

GOLDEN = Path(__file__).resolve().parent / "golden" / "small.nc"


def test_matches_golden():
    """Levels, impacts and sampled parameters match the golden file."""
    expected = xr.load_dataset(GOLDEN, engine="h5netcdf")
    actual = dataset_for(expected.attrs["overrides"].split())
    actual = actual[["level", "impact", "sample"]].isel(time=slice(None, None, 12))
    for name in ("level", "impact"):
        xr.testing.assert_allclose(expected[name], actual[name], rtol=1e-5, atol=1e-6)
    xr.testing.assert_allclose(expected["sample"], actual["sample"], rtol=1e-12, atol=0)
