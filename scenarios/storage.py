"""Write and read run outputs: netCDF through h5netcdf, always atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import xarray as xr

#: netCDF engine. h5netcdf writes netCDF-4 through h5py (its ``h5py`` extra), needs no
#: netCDF-C library, and produces byte-identical files for identical datasets.
ENGINE = "h5netcdf"


def encoding_for(ds: xr.Dataset, compression: int) -> dict[str, dict[str, object]]:
    """Per-variable encoding: zlib level ``compression`` (0 = none) on the big arrays."""
    if compression == 0:
        return {}
    return {name: {"compression": "gzip", "compression_opts": compression, "shuffle": True}
            for name, var in ds.data_vars.items() if var.ndim >= 3}


def write_atomic(ds: xr.Dataset, path: Path, *, compression: int = 4) -> Path:
    """Write ``ds`` to ``path`` via a temporary file in the same folder, then rename.

    A reader never sees a half-written file; if writing fails the temporary file is removed
    and whatever was at ``path`` before stays as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
    try:
        ds.to_netcdf(tmp, engine=ENGINE, encoding=encoding_for(ds, compression))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    For outputs written by other libraries (CSV, markdown, figures): a reader never sees a
    half-written file, and on failure the temporary file is removed and ``path`` is left as
    it was. The temporary name keeps ``path``'s suffix, so writers that choose a format by
    suffix (matplotlib) still do.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}",
                               dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
