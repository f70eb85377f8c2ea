"""Write and read run outputs: netCDF through h5netcdf (or zarr), always atomically."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import xarray as xr

from scenarios.config.errors import ConfigError, WriteError

log = logging.getLogger("futures")

#: Zarr format 2: read by every zarr library; format 3 has no stable spec yet for the
#: fixed-length text of the label coordinates (zarr-python warns about it).
ZARR_FORMAT: Literal[2] = 2

#: errno values of a failed write (disk full, quota, file too large, read-only, no access,
#: I/O error): reported as :class:`WriteError`, not as a crash.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EIO,
                errno.EPERM}

#: netCDF engine. h5netcdf writes netCDF-4 through h5py (its ``h5py`` extra), needs no
#: netCDF-C library, and produces byte-identical files for identical datasets.
ENGINE: Literal["h5netcdf"] = "h5netcdf"


def encoding_for(ds: xr.Dataset, compression: int) -> dict[str, dict[str, Any]]:
    """Per-variable encoding: zlib level ``compression`` (0 = none) on the big arrays."""
    if compression == 0:
        return {}
    return {str(name): {"compression": "gzip", "compression_opts": compression, "shuffle": True}
            for name, var in ds.data_vars.items() if var.ndim >= 3}


def write_atomic(ds: xr.Dataset, path: Path, *, compression: int = 4) -> Path:
    """Write ``ds`` as netCDF to ``path`` atomically (:func:`atomic_output`).

    The netCDF bytes are made in memory first and then written with plain file I/O, so a
    failing disk (full, over quota) is one clean ``OSError`` with no HDF5 file left open.

    Raises
    ------
    WriteError
        If the folder or the file cannot be written.
    """
    with _no_distributed(ds):
        data = ds.to_netcdf(engine=ENGINE, encoding=encoding_for(ds, compression))
    with atomic_output(Path(path)) as tmp:
        tmp.write_bytes(data)
    return Path(path)


@contextmanager
def _no_distributed(ds: xr.Dataset) -> Iterator[None]:
    """Write numpy-backed ``ds`` without importing dask or ``dask.distributed``.

    xarray asks dask which scheduler runs the write (``get_dask_scheduler``), and that
    question imports dask (0.25 s with toolz, jinja2 and psutil) and ``distributed``
    (0.3-0.6 s) even when every array is in memory. For such a dataset the imports of
    whichever of the two is not imported yet are made to fail for the duration of the write:
    xarray then takes the threaded lock, which is what it finds with dask's default
    scheduler too, and writes the same bytes. Lazy (dask) arrays are left to xarray as before.
    """
    import sys

    lazy = any(v.chunks is not None for v in ds.variables.values())
    if lazy or "distributed" in sys.modules:
        yield
        return
    names = ["distributed", "dask.distributed"]
    if "dask" not in sys.modules:
        names += ["dask", "dask.base"]
    saved = {n: sys.modules.get(n) for n in names}
    for name in names:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


#: Array libraries that xarray imports, if they are installed, to ask whether an array is
#: one of theirs: dask (with dask.array, scipy.sparse, jinja2, psutil), pint, sparse.
DUCK_MODULES = ("dask", "pint", "sparse", "cupy", "cubed")


@contextmanager
def numpy_only() -> Iterator[None]:
    """Build and write numpy-backed datasets without importing dask, pint or sparse.

    xarray checks every new variable against each installed duck-array library
    (``xarray.namedarray.pycompat.array_type``), importing the library the first time: for
    ``futures run``, ~0.5 s of start-up spent on libraries its arrays never come from. Inside
    this block a library that is not imported yet counts as absent for those checks; the
    entries are removed on exit, so a later dask array (the zarr and Dask paths) is seen
    as before. Only for code that makes numpy arrays.

    dask itself, if not imported yet, is also held out of ``sys.modules`` (an import of it
    fails) for the block: xarray's ``is_dask_collection`` imports ``dask.base`` (0.25 s with
    toolz, jinja2 and psutil) for every index it builds, only to learn that a numpy array is
    not a dask collection. ``module_available``'s cache is cleared on entry and on exit, so
    xarray sees dask as absent inside the block and as installed after it.
    """
    import sys

    from xarray.namedarray import pycompat
    from xarray.namedarray.utils import module_available

    cache: dict[str, Any] = pycompat._cached_duck_array_modules  # type: ignore[assignment]
    seeded = []
    for name in DUCK_MODULES:
        if name in cache or name in sys.modules:
            continue
        absent = object.__new__(pycompat.DuckArrayModule)
        absent.module, absent.type, absent.available = None, (), False
        absent.version = pycompat.Version("0.0.0")
        cache[name] = absent
        seeded.append(name)
    held = "dask" not in sys.modules
    if held:
        sys.modules["dask"] = None  # type: ignore[assignment]
        module_available.cache_clear()
    try:
        yield
    finally:
        if held and sys.modules.get("dask", 0) is None:
            del sys.modules["dask"]
            module_available.cache_clear()
        for name in seeded:
            if name in cache and not cache[name].available:
                cache.pop(name, None)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_output`).

    Raises
    ------
    WriteError
        If the folder or the file cannot be written.
    """
    with atomic_output(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def save_figure(fig, stem: Path, formats: Sequence[str], *, dpi: int,
                metadata: Mapping[str, dict] | None = None) -> list[Path]:
    """Write the matplotlib figure ``fig`` as ``stem.<format>`` for each of ``formats``, each
    atomically (:func:`atomic_output`), with SVG ids salted by a constant and
    ``metadata[format]`` passed to ``savefig`` (leave dates out: same input, same bytes).

    Raises
    ------
    WriteError
        If a file cannot be written; the earlier file of that name is kept.
    """
    from matplotlib import rc_context

    written = []
    for ext in formats:
        path = Path(stem).parent / f"{Path(stem).name}.{ext}"
        with atomic_output(path) as tmp, rc_context({"svg.hashsalt": "futures"}):
            fig.savefig(tmp, format=ext, dpi=dpi, metadata=(metadata or {}).get(ext))
        written.append(path)
    return written


def _writer_alive(tmp: Path) -> bool:
    """Whether the process named in a temporary output's name (``.NAME.PID.*``) still runs
    on this machine."""
    parts = tmp.name.split(".")
    pid = next((int(p) for p in parts[2:] if p.isdigit()), None)
    if pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _target_of(stale: Path) -> Path:
    """The output a temporary ``.NAME.PID.*`` stands beside: ``NAME``."""
    parts = stale.name[1:].split(".")
    at = next((i for i, p in enumerate(parts) if p.isdigit()), len(parts))
    return stale.with_name(".".join(parts[:at]))


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale(folder: Path, stem: str) -> None:
    """Clean up after killed writers in ``folder``: an earlier output a writer had moved
    aside (``.STEM*.old``) goes back in place when nothing has replaced it; other
    leftovers (``.STEM*.tmp``, ``.old`` that were replaced) are removed. The temporaries of
    a writer that is still running (two runs into one folder) are left alone."""
    folder = Path(folder)
    for stale in sorted(folder.glob(f".{stem}*.old")):
        if _writer_alive(stale):
            continue
        target = _target_of(stale)
        if not target.exists() and not target.is_symlink():
            try:  # the writer was killed between moving the old one aside and the new in
                os.replace(stale, target)
                continue
            except OSError:
                pass
        _remove(stale)
    for stale in folder.glob(f".{stem}*.tmp"):
        if not _writer_alive(stale):
            _remove(stale)


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``);
    ``False`` where the system or file system cannot."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def replace_dir(tmp: Path, path: Path) -> Path:
    """Put the finished folder ``tmp`` at ``path``; the earlier folder at ``path`` stays whole
    until the new one is in place, and is removed only then.

    Where the system can, the two are swapped in one atomic step, so ``path`` always holds a
    whole store. Elsewhere the old one is moved aside (``.NAME.PID.N.old``), the new one
    renamed in, then the old one removed; a writer killed in between leaves the old one
    aside, and :func:`remove_stale` puts it back. Two writers finishing at once into the same
    folder both succeed, and ``path`` ends up holding one of them, whole.
    """
    tmp, path = Path(tmp), Path(path)
    asides: list[Path] = []
    try:
        for attempt in range(100):
            try:
                os.replace(tmp, path)
                break
            except OSError:  # a folder is there (rename does not replace non-empty folders)
                if not path.exists() and not path.is_symlink():
                    continue
                if path.is_dir() and not path.is_symlink() and _exchange(tmp, path):
                    asides.append(tmp)  # tmp now holds the old folder
                    break
                aside = path.with_name(f".{path.name}.{os.getpid()}.{attempt}.old")
                try:
                    os.replace(path, aside)
                except FileNotFoundError:  # another writer moved it first
                    continue
                asides.append(aside)
        else:
            raise OSError(f"could not move {tmp} to {path}")
    except BaseException:
        if asides and not path.exists() and asides[-1] != tmp:
            os.replace(asides[-1], path)  # put the old one back
            asides.pop()
        raise
    finally:
        for aside in asides:
            _remove(aside)
    return path


#: What every ``outcomes`` dataset has (the contract in README.md, 'What a run gives you').
REQUIRED = ("level", "impact")


def check_outcomes(ds: xr.Dataset, path: Path) -> None:
    """Raise :class:`ConfigError` unless ``ds`` is a ``futures`` outcomes dataset."""
    missing = [v for v in REQUIRED if v not in ds.variables]
    if missing or "futures_version" not in ds.attrs:
        what = f"no {missing[0]!r} variable" if missing else "no futures_version attribute"
        raise ConfigError("outcomes", str(path), f"not the outcomes of `futures run` ({what})")


def open_outcomes(path: Path) -> xr.Dataset:
    """Open ``outcomes.nc`` (netCDF) or ``outcomes.zarr`` (a zarr store folder) lazily.

    A FIFO, device or socket in its place is refused before it is opened (reading one would
    block or never end), and so are outcomes whose ``level`` or ``impact`` are not numbers
    (a text-typed variable): one-line :class:`ConfigError`s.
    """
    import stat

    path = Path(path)
    if path.is_dir():
        refuse_code_codecs(path)
        ds = xr.open_zarr(path, consolidated=True)
    else:
        try:
            mode = path.stat().st_mode
        except OSError:
            mode = stat.S_IFREG  # missing: xarray says so
        if not stat.S_ISREG(mode):
            raise ConfigError("outcomes", str(path), "not a regular file (a FIFO, device or "
                              "socket); expected a netCDF file or zarr folder written by "
                              "`futures run`")
        ds = xr.open_dataset(path, engine=ENGINE)
    for name in ("level", "impact"):
        if name in ds.variables and ds[name].dtype.kind not in "fiu":
            kind = ds[name].dtype
            ds.close()
            raise ConfigError("outcomes", str(path), f"variable {name!r} holds {kind} "
                              "values, not numbers; not the outcomes of `futures run`")
    return ds


#: numcodecs codecs that would unpickle (run code from) the data they decode.
CODE_CODECS = {"pickle"}


def refuse_code_codecs(store: Path) -> None:
    """Refuse a zarr store whose arrays are decoded by unpickling (a foreign store could run
    code that way); ours never use such codecs."""
    import json

    def codecs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [str(node[k]) for k in ("id", "name") if isinstance(node.get(k), str)]
            return found + [c for v in node.values() for c in codecs(v)]
        if isinstance(node, list):
            return [c for v in node for c in codecs(v)]
        return []

    for meta in [store / ".zmetadata", *store.glob("*/.zarray"), *store.glob("*/zarr.json")]:
        try:
            node = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue  # unreadable metadata: xarray says so when it opens the store
        bad = CODE_CODECS.intersection(codecs(node))
        if bad:
            codec = min(bad)
            raise ConfigError("outcomes", str(store), f"uses the {codec!r} codec, which "
                              "would run code while reading; not read")


def write_zarr_atomic(ds: xr.Dataset, path: Path) -> Path:
    """Write ``ds`` as a zarr store at ``path`` via a temporary folder, then rename; lazy
    (dask) variables are computed and written chunk by chunk."""
    path = Path(path)
    tmp = temporary_dir(path)
    try:
        ds.to_zarr(tmp, mode="w", zarr_format=ZARR_FORMAT, consolidated=True)
    except OSError as err:
        remove_tree(tmp)
        raise WriteError(path, err) from err
    except BaseException:
        remove_tree(tmp)
        raise
    return replace_dir(tmp, path)


def _drain_zarr() -> None:
    """Wait for chunk writes zarr still has in flight: when one write of a batch fails,
    zarr's event loop goes on with the others, which may land after the error."""
    import asyncio

    from zarr.core import sync

    loop = sync.loop[0]
    if loop is None or not loop.is_running():
        return

    async def others() -> None:
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.gather(*pending, return_exceptions=True)

    try:
        asyncio.run_coroutine_threadsafe(others(), loop).result(timeout=60)
    except Exception:
        log.debug("could not wait for zarr's pending writes", exc_info=True)


def remove_tree(folder: Path) -> None:
    """Remove a folder that a failed write may still be adding to (see :func:`_drain_zarr`)."""
    import time

    _drain_zarr()
    for _ in range(100):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1)


def temporary_dir(path: Path) -> Path:
    """A fresh temporary folder name beside ``path`` (``.NAME.PID.tmp``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    return tmp



@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    For every output: a reader never sees a half-written file, and on failure the temporary
    file is removed and ``path`` is left as it was. The temporary is
    ``.NAME.PID.XXXX.tmp`` beside ``path`` (so :func:`remove_stale` can tell a killed
    writer's leftovers from a running one's); writers that pick a format by the file's suffix
    (matplotlib) must be given the format.

    Raises
    ------
    WriteError
        If the folder or the file cannot be written.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                   dir=path.parent)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise WriteError(path, err) from err
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
