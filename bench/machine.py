"""What the benchmarks print about the machine and the code they measured."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import scipy


def code_version() -> str:
    """Where ``models`` was imported from: its git commit, and whether models/ or scenarios/
    differ from it (a checkout), or just the folder (e.g. an exported snapshot)."""
    import models

    root = os.path.dirname(os.path.dirname(os.path.abspath(models.__file__)))
    git = ["git", "-C", root]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False).stdout.strip()
    if not head or not os.path.exists(os.path.join(root, ".git")):
        return f"models from {root} (not a git checkout)"
    dirty = subprocess.run([*git, "status", "--porcelain", "models", "scenarios"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return f"commit {head}" + (" + uncommitted changes in models/ or scenarios/"
                               if dirty else "") + f" ({root})"


def cpu_model() -> str:
    """The ``model name`` of /proc/cpuinfo, or ``unknown``."""
    path = Path("/proc/cpuinfo")
    info = path.read_text() if path.exists() else ""
    return next((line.split(":", 1)[1].strip() for line in info.splitlines()
                 if line.startswith("model name")), "unknown")


def machine_info() -> None:
    """Print date, CPU, cores, versions, the BLAS, BLAS-related variables and the code."""
    print(f"date {datetime.datetime.now().isoformat(timespec='seconds')}; CPU {cpu_model()}; "
          f"cores (os.cpu_count) {os.cpu_count()}; {platform.python_implementation()} "
          f"{platform.python_version()}; numpy {np.__version__}; scipy {scipy.__version__}")
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            print(f"threadpool: {pool.get('internal_api')} {pool.get('version')} "
                  f"threads={pool.get('num_threads')} coretype={pool.get('architecture')}")
    except ImportError:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        config = " ".join(str(blas.get("openblas configuration", "")).split())
        print(f"threadpoolctl not installed; numpy BLAS: {blas.get('name')} "
              f"{blas.get('version')} ({config})")
    print("; ".join(f"{v}={os.environ[v]}" if v in os.environ else f"{v} not set" for v in
                    ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                     "OMP_NUM_THREADS", "PYTHONDONTWRITEBYTECODE")))
    print(f"code: {code_version()}")
