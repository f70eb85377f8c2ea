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


def twice_into(tmp_path_factory, command: str, args: list[str]) -> tuple:
    """:func:`run_twice` into a fresh temporary folder: (the folder, [result a, result b])."""
    root = tmp_path_factory.mktemp(command)
    return root, run_twice(command, args, root)


def assert_wrote(root, result, names: tuple[str, ...]) -> None:
    """Assert that run ``a`` exited 0, printed its folder last, wrote every file of ``names``
    and left no temporary file behind."""
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(root / "a")
    for name in names:
        assert (root / "a" / name).is_file(), name
    assert not [p for p in (root / "a").iterdir() if ".tmp" in p.name]
