"""Write and read run outputs: netCDF through h5netcdf (or zarr), always atomically."""

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


def open_outcomes(path: Path) -> xr.Dataset:
    """Open ``outcomes.nc`` (netCDF) or ``outcomes.zarr`` (a zarr store folder) lazily."""
    path = Path(path)
    if path.is_dir():
        return xr.open_zarr(path, consolidated=True)
    return xr.open_dataset(path, engine=ENGINE)


def write_zarr_atomic(ds: xr.Dataset, path: Path) -> Path:
    """Write ``ds`` as a zarr store at ``path`` via a temporary folder, then rename; lazy
    (dask) variables are computed and written chunk by chunk."""
    import shutil

    from scenarios.batches import ZARR_FORMAT, replace_dir

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        ds.to_zarr(tmp, mode="w", zarr_format=ZARR_FORMAT, consolidated=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return replace_dir(tmp, path)


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
