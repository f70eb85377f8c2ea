"""Bytes and seconds per member of each way to store ``outcomes.nc``, against simulating them.

Issue 19 item 2: choose the default storage by measurement; the default must not spend
more time compressing than simulating. One run's dataset (default config, events on,
``--members`` per future, float32 levels and impacts) is simulated once (timed: sampling,
simulation, events and dataset assembly, as ``futures run`` does them) and then written
to bytes in memory with each encoding (h5netcdf, as :func:`scenarios.engine.storage.
write_atomic` does), best of ``--repeats``. Every option is read back and compared with the
dataset: lossless options must give the same values bit for bit.

Options
-------
none               no filter (``output.compression=0``)
gzip 1 + shuffle   the old default (``output.compression=1``)
gzip 4 + shuffle
zstd 1 / 3         Zstandard through hdf5plugin (readers need hdf5plugin too)
blosc lz4 / zstd   Blosc with byte shuffle through hdf5plugin
float64, none      the same run stored in float64 (``output.precision=float64``)

    python bench/bench_storage.py                  # 4 futures x 5000 members
    python bench/bench_storage.py --members 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
import xarray as xr
from machine import machine_info  # bench/machine.py, beside this script

from scenarios.config.compose import config_text, load
from scenarios.engine.batches import simulate_dataset
from scenarios.engine.storage import ENGINE


def encodings() -> dict[str, dict | None]:
    """Per-variable encoding of the big (>= 3-d) arrays for each option (None: skip)."""
    out: dict[str, dict | None] = {
        "none": {},
        "gzip 1 + shuffle": {"compression": "gzip", "compression_opts": 1, "shuffle": True},
        "gzip 4 + shuffle": {"compression": "gzip", "compression_opts": 4, "shuffle": True},
    }
    try:
        import hdf5plugin
    except ImportError:
        print("hdf5plugin not installed: zstd and blosc rows skipped")
        return out
    for name, plugin in [("zstd 1", hdf5plugin.Zstd(clevel=1)),
                         ("zstd 3", hdf5plugin.Zstd(clevel=3)),
                         ("blosc lz4 + shuffle", hdf5plugin.Blosc(cname="lz4", clevel=5,
                                                                  shuffle=hdf5plugin.Blosc.SHUFFLE)),
                         ("blosc zstd 1 + shuffle", hdf5plugin.Blosc(cname="zstd", clevel=1,
                                                                     shuffle=hdf5plugin.Blosc.SHUFFLE))]:
        out[name] = {"compression": plugin.filter_id, "compression_opts": plugin.filter_options}
    return out


def write(ds: xr.Dataset, enc: dict) -> bytes:
    big = {str(k): dict(enc) for k, v in ds.data_vars.items() if v.ndim >= 3} if enc else {}
    return ds.to_netcdf(engine=ENGINE, encoding=big)


def same(ds: xr.Dataset, data: bytes) -> bool:
    back = xr.load_dataset(io.BytesIO(data), engine=ENGINE)
    return all(np.array_equal(ds[v].values, back[v].values, equal_nan=True)
               for v in ("level", "impact", "sample", "event_count"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine_info())
    results = []
    for precision in ("float32", "float64"):
        cfg, spec = load([f"ensemble.members={args.members}", f"output.precision={precision}"])
        text = config_text(cfg)
        sim = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            ds = simulate_dataset(spec, text, show=False)
            sim.append(time.perf_counter() - t)
        n = len(spec.futures) * spec.members
        options = encodings() if precision == "float32" else {"none": {}}
        for name, enc in options.items():
            times, data = [], b""
            for _ in range(args.repeats):
                t = time.perf_counter()
                data = write(ds, enc or {})
                times.append(time.perf_counter() - t)
            results.append((f"{precision}, {name}", len(data), min(times), min(sim), n,
                            same(ds, data)))
    with open("/proc/loadavg") as f:
        load_avg = " ".join(f.read().split()[:3])
    print(f"\n4 futures x {args.members} members; best of {args.repeats}; load average "
          f"{load_avg}\n")
    print("| storage | MB | bytes / member | write s | write ms / 1000 members | "
          "write / simulate | values identical |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, size, wt, st, n, ok in results:
        print(f"| {name} | {size / 1e6:.1f} | {size / n:,.0f} | {wt:.3f} | "
              f"{1e6 * wt / n:.1f} | {wt / st:.2f} | {'yes' if ok else 'NO'} |")
    print(f"\nsimulation (sampling, events, dataset assembly): {results[0][3]:.3f} s, "
          f"{1e6 * results[0][3] / results[0][4]:.1f} ms / 1000 members")


if __name__ == "__main__":
    main()
