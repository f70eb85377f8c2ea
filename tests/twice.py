"""Run a `futures` command twice at once, for the same-seed checks."""

from __future__ import annotations


def run_twice(command: str, args: list[str], root) -> list:
    """Run ``futures COMMAND ARGS`` into ``root/a`` and ``root/b`` at the same time (two
    processes, so the pair costs about one run on two cores)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("futures")
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    procs = [subprocess.Popen([str(exe), command, *args, f"hydra.run.dir={root / name}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for name in "ab"]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results
