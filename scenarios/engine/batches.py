"""Ensembles in batches: computed here or on a Dask cluster, kept in memory or streamed to zarr.

A *batch* is a slice of members (``ensemble.batch`` of them) across every future. Batches
are independent: a member's parameters come from the whole ensemble's sample (drawn once,
up front), its event draws from its own block of generators
(:func:`models.events.draw_pools`), and its block width from the whole ensemble
(:func:`models.integrator.block_width`). So the numbers do not depend on how members are
batched, nor on where a batch runs: ``ensemble.backend=dask`` gives bit for bit what the
local backend gives.

Three ways to run, all through :func:`write_outcomes`:

* ``output.format=netcdf`` (local): batches one after another, joined in memory, written
  once as ``outcomes.nc`` (what a default run does; one batch for up to 8192 members);
* ``output.format=zarr``, ``ensemble.backend=local``: batches one after another, each
  written into ``outcomes.zarr`` as it finishes, so memory holds one batch and the sample;
* ``ensemble.backend=dask``: batches as tasks on a ``dask.distributed`` cluster (a local one
  by default); each worker writes its batch's region of the zarr store itself, and the event
  rows come back to be appended in member order.

Every write goes to a temporary folder or file beside the target, renamed when complete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from models.integrator import block_width
from scenarios.config.errors import ConfigError, WriteError
from scenarios.config.schema import RunSpec
from scenarios.engine.dataset import member_coord
from scenarios.engine.names import OUTCOMES, OUTCOMES_ZARR
from scenarios.engine.plan import member_slice, plan, progress
from scenarios.engine.simulate import RAGGED, draw_members, simulate, to_dataset
from scenarios.engine.storage import (
    WRITE_ERRNOS,
    ZARR_FORMAT,
    numpy_only,
    remove_tree,
    replace_dir,
    temporary_dir,
    write_atomic,
)

log = logging.getLogger("futures")

#: Variables with one row per stochastic event (dim ``event``): appended batch by batch.
EVENT_DIM = "event"


def batch_dataset(spec: RunSpec, members: dict[str, np.ndarray], start: int, stop: int,
                  config: str, threads: int | None = None) -> xr.Dataset:
    """Simulate members ``start .. stop`` of every future: their part of ``outcomes``."""
    n = stop - start
    outcome, _ = simulate(spec, members=members, n_members=n, member_start=start,
                          threads=threads, width=block_width(spec.chunk, spec.members))
    ds = to_dataset(replace(spec, members=n), outcome, members, config)
    if start:
        ds = ds.assign_coords(member=member_coord(n, start))
        if "event_member" in ds:
            ds["event_member"] = ds.event_member + np.int32(start)
            ds["event_member"].attrs = {"units": "1",
                                        "long_name": "ensemble member of the event"}
    return ds


def simulate_dataset(spec: RunSpec, config: str, *, show: bool = True) -> xr.Dataset:
    """The whole ``outcomes`` Dataset in memory, computed batch by batch."""
    members = draw_members(spec)
    parts = []
    bar = progress(spec.members * len(spec.futures), "run", show)
    try:
        for a, b in plan(spec):
            parts.append(batch_dataset(spec, member_slice(members, a, b), a, b, config))
            bar.update((b - a) * len(spec.futures))  # type: ignore[attr-defined]
    finally:
        bar.close()  # type: ignore[attr-defined]
    if len(parts) == 1:
        return parts[0]
    return join(parts)


def join(parts: list[xr.Dataset]) -> xr.Dataset:
    """Join batches: member variables along ``member``, event rows along ``event``."""
    events = [p[[v for v in RAGGED if v in p]] for p in parts]
    rest = [p.drop_vars([v for v in RAGGED if v in p]) for p in parts]
    out = xr.concat(rest, dim="member", data_vars="minimal", coords="minimal",
                    compat="override", join="override", combine_attrs="override")
    if events and events[0].data_vars:
        table = xr.concat(events, dim=EVENT_DIM, combine_attrs="override")
        out = out.merge(table, combine_attrs="override")
        out.attrs["events_exhausted"] = int(sum(p.attrs["events_exhausted"] for p in parts))
    return out


# --- zarr -----------------------------------------------------------------------------------

def zarr_encoding(ds: xr.Dataset, spec: RunSpec) -> dict[str, dict[str, object]]:
    """Chunks of one future x one batch for member variables; zstd at ``output.compression``."""
    from numcodecs import Zstd

    out: dict[str, dict[str, object]] = {}
    for name, var in ds.variables.items():
        if "member" not in var.dims or name in ds.coords:
            continue
        # zarr stores an edge chunk at full size: a run smaller than one batch gets one
        # chunk of its own size (uncompressed, a batch-sized chunk of 8 members was 39 MB)
        width = min(spec.batch, spec.members)
        chunks = tuple(1 if d == "future" else width if d == "member" else n
                       for d, n in zip(var.dims, var.shape))
        out[str(name)] = {"chunks": chunks, "compressors":
                          (Zstd(level=spec.compression),) if spec.compression else None}
    return out


def _member_part(ds: xr.Dataset) -> xr.Dataset:
    """The variables of a batch that lie along ``member`` (what a region write takes)."""
    keep = [v for v in ds.data_vars if "member" in ds[v].dims]
    part = ds[keep]
    return part.drop_vars([c for c in part.coords if "member" not in part[c].dims])


def _template(first: xr.Dataset, spec: RunSpec) -> xr.Dataset:
    """The whole store's layout: member variables as lazy arrays of the full size."""
    import dask.array as da

    body = first.drop_vars([v for v in RAGGED if v in first])
    lazy = {}
    for name in _member_part(body).data_vars:
        var = body[name]
        shape = tuple(spec.members if d == "member" else n for d, n in zip(var.dims, var.shape))
        lazy[name] = (var.dims, da.zeros(shape, dtype=var.dtype, chunks=shape), var.attrs)
    template = body.drop_vars([*lazy, "member"]).assign_coords(
        member=("member", np.arange(spec.members), first.member.attrs))
    return template.assign(lazy)


def write_region(ds: xr.Dataset, store: Path, start: int, stop: int) -> None:
    """Write a batch's member variables into its slice of the zarr store."""
    _member_part(ds).to_zarr(store, region={"member": slice(start, stop)}, mode="r+",
                             zarr_format=ZARR_FORMAT, consolidated=False)


class _EventAppender:
    """Appends the event rows of batches to the store in batch order, whatever order they
    finish in (rows wait until every earlier batch's rows are in)."""

    def __init__(self, store: Path, n_batches: int):
        self.store, self.n_batches = store, n_batches
        self.waiting: dict[int, xr.Dataset | None] = {}
        self.next = 0
        self.written = False
        self.exhausted = 0
        self.template: xr.Dataset | None = None

    def add(self, index: int, rows: xr.Dataset | None, exhausted: int) -> None:
        self.exhausted += exhausted
        self.waiting[index] = rows
        while self.next in self.waiting:
            part = self.waiting.pop(self.next)
            self.next += 1
            if part is None:
                continue
            if self.template is None:
                self.template = part.isel({EVENT_DIM: slice(0, 0)})
            if part.sizes[EVENT_DIM] == 0:
                continue
            part.to_zarr(self.store, mode="a", zarr_format=ZARR_FORMAT, consolidated=False,
                         append_dim=EVENT_DIM if self.written else None)
            self.written = True

    def close(self) -> None:
        if not self.written and self.template is not None:  # no events at all: empty table
            self.template.to_zarr(self.store, mode="a", zarr_format=ZARR_FORMAT, consolidated=False)


def _event_rows(ds: xr.Dataset) -> xr.Dataset | None:
    names = [v for v in RAGGED if v in ds]
    return ds[names].load() if names else None


def _abandon(tmp: Path, path: Path, err: BaseException) -> None:
    """A streamed write stopped: remove its folder; a failed write becomes WriteError."""
    remove_tree(tmp)
    if isinstance(err, OSError) and err.errno in WRITE_ERRNOS:
        raise WriteError(path, err) from err


def _finish(tmp: Path, path: Path, attrs: dict[str, Any], events: _EventAppender) -> Path:
    """Close the event table, set the attributes, consolidate, and put the store in place."""
    import zarr

    events.close()
    if "events_exhausted" in attrs:
        attrs["events_exhausted"] = events.exhausted

    group = zarr.open_group(tmp, mode="r+", zarr_format=ZARR_FORMAT)
    group.attrs.update(attrs)
    zarr.consolidate_metadata(tmp, zarr_format=ZARR_FORMAT)
    return replace_dir(tmp, path)


def write_zarr_local(spec: RunSpec, config: str, path: Path, *, show: bool = True) -> Path:
    """Compute batch after batch in this process, streaming each into ``path`` (zarr)."""
    members = draw_members(spec)
    tmp = temporary_dir(path)
    slices = plan(spec)
    events = _EventAppender(tmp, len(slices))
    attrs: dict[str, Any] = {}
    bar = progress(spec.members * len(spec.futures), "run", show)
    try:
        for i, (a, b) in enumerate(slices):
            ds = batch_dataset(spec, member_slice(members, a, b), a, b, config)
            if i == 0:
                attrs = dict(ds.attrs)
                _template(ds, spec).to_zarr(tmp, mode="w", compute=False, zarr_format=ZARR_FORMAT,
                                            consolidated=False,
                                            encoding=zarr_encoding(ds, spec))
            write_region(ds, tmp, a, b)
            events.add(i, _event_rows(ds), int(ds.attrs.get("events_exhausted", 0)))
            bar.update((b - a) * len(spec.futures))  # type: ignore[attr-defined]
        return _finish(tmp, path, attrs, events)
    except BaseException as err:
        _abandon(tmp, path, err)
        raise
    finally:
        bar.close()  # type: ignore[attr-defined]


def _dask_batch(spec: RunSpec, members: dict[str, np.ndarray], start: int, stop: int,
                config: str, store: str) -> tuple[xr.Dataset | None, int]:
    """One Dask task: simulate a batch, write its region, return its event rows."""
    ds = batch_dataset(spec, members, start, stop, config, threads=1)
    write_region(ds, Path(store), start, stop)
    return _event_rows(ds), int(ds.attrs.get("events_exhausted", 0))


def write_zarr_dask(spec: RunSpec, config: str, path: Path, *, show: bool = True) -> Path:
    """Compute the batches on a ``dask.distributed`` cluster, streaming into ``path``.

    ``ensemble.scheduler`` names the cluster's scheduler; ``null`` starts a local cluster of
    ``ensemble.workers`` processes for the run. The workers write into ``path``'s folder,
    so a remote cluster needs it on a file system they share.
    """
    from dask.distributed import Client, LocalCluster, as_completed

    members = draw_members(spec)
    tmp = temporary_dir(path)
    slices = plan(spec)
    cluster = None
    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO chatter: not ours
    try:
        # the first batch here: it lays out the store (and fails fast on a bad config)
        a, b = slices[0]
        first = batch_dataset(spec, member_slice(members, a, b), a, b, config)
        attrs = dict(first.attrs)
        _template(first, spec).to_zarr(tmp, mode="w", compute=False, zarr_format=ZARR_FORMAT,
                                       consolidated=False, encoding=zarr_encoding(first, spec))
        write_region(first, tmp, a, b)
        events = _EventAppender(tmp, len(slices))
        events.add(0, _event_rows(first), int(first.attrs.get("events_exhausted", 0)))
        del first
        if spec.scheduler is None:
            cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1,
                                   processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
        try:
            client = Client(cluster if cluster is not None else spec.scheduler)
        except OSError as err:  # nothing listens there, or not a Dask scheduler
            raise ConfigError("ensemble.scheduler", spec.scheduler, "cannot reach a Dask "
                              f"scheduler there ({str(err).splitlines()[0]}); start one or "
                              "use null for a local cluster") from err
        with client:
            bar = progress(spec.members * len(spec.futures), "run (dask)", show)
            bar.update((b - a) * len(spec.futures))  # type: ignore[attr-defined]
            window = 2 * max(1, len(client.scheduler_info()["workers"]))
            pending = iter(enumerate(slices[1:], start=1))
            running = as_completed()
            index_of = {}

            def submit_next() -> None:
                for i, (lo, hi) in pending:
                    fut = client.submit(_dask_batch, spec, member_slice(members, lo, hi), lo,
                                        hi, config, str(tmp), pure=False)
                    index_of[fut.key] = (i, lo, hi)
                    running.add(fut)
                    return

            for _ in range(window):
                submit_next()
            for fut in running:
                i, lo, hi = index_of.pop(fut.key)
                rows, exhausted = fut.result()
                fut.release()
                events.add(i, rows, exhausted)
                bar.update((hi - lo) * len(spec.futures))  # type: ignore[attr-defined]
                submit_next()
            bar.close()  # type: ignore[attr-defined]
        return _finish(tmp, path, attrs, events)
    except BaseException as err:
        _abandon(tmp, path, err)
        raise
    finally:
        if cluster is not None:
            cluster.close()


def write_outcomes(spec: RunSpec, config: str, output_dir: Path, *,
                   show: bool = True) -> Path:
    """Simulate ``spec`` and write its outcomes into ``output_dir`` (netCDF or zarr); ``show``
    a progress bar on a terminal."""
    if spec.store == "summary":
        from scenarios.engine.summary import write_summary

        return write_summary(spec, config, output_dir, show=show)
    if spec.format == "zarr":
        path = output_dir / OUTCOMES_ZARR
        output_dir.mkdir(parents=True, exist_ok=True)
        if spec.backend == "dask":
            return write_zarr_dask(spec, config, path, show=show)
        return write_zarr_local(spec, config, path, show=show)
    with numpy_only():  # xarray need not import dask, pint, ... (start-up)
        ds = simulate_dataset(spec, config, show=show)
        return write_atomic(ds, output_dir / OUTCOMES, compression=spec.compression)


def iter_batches(spec: RunSpec, config: str) -> Iterator[xr.Dataset]:
    """Each batch's Dataset in turn (for analyses that reduce as they go)."""
    members = draw_members(spec)
    for a, b in plan(spec):
        yield batch_dataset(spec, member_slice(members, a, b), a, b, config)
