"""Hardening (issue 14, items 5, 7, 8): nothing lost, honest exit codes, only this sweep.

Every test runs the real `futures` command on real files; kills are real SIGKILLs.
The line-and-status cases (``CASES``) are also rows of docs/reliability.md
(``python tests/make_reliability_table.py hardening``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import xarray as xr

from scenarios.engine.storage import open_outcomes
from tests.conftest import ROOT, futures_cli
from tests.test_security import Case, attempt, run_dir_exists_not

EXE = str(Path(sys.executable).with_name("futures"))


def dead_pid() -> int:
    """The id of a process that has just ended (what a killed writer leaves in names)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _store(path: Path) -> dict[Path, bytes]:
    return {p.relative_to(path): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# --- item 5: the old output stays whole until the new one is complete ------------------------

@pytest.mark.parametrize("fmt", ["zarr", "netcdf"])
def test_rerun_killed_at_the_swap_keeps_a_whole_store(tmp_path, fmt):
    """A rerun into a folder holding outcomes, killed (SIGKILL) the moment its new output is
    complete - the instant of the swap - leaves a whole store every time: the old one or
    the new one, never none; the next run completes."""
    name = "outcomes.zarr" if fmt == "zarr" else "outcomes.nc"
    first = futures_cli("run", "ensemble.members=8", "seed=1", f"output.format={fmt}",
                        f"hydra.run.dir={tmp_path}")
    assert first.returncode == 0, first.stderr
    seeds = {1}
    kills = 0
    for seed in (2, 3, 4):
        args = [EXE, "run", "ensemble.members=3000", f"seed={seed}", f"output.format={fmt}",
                "ensemble.batch=1024", f"hydra.run.dir={tmp_path}"]
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            done = [p for p in tmp_path.glob(f".{name}.*.tmp")
                    if fmt == "netcdf" or (p / ".zmetadata").exists()]
            if done:  # the new output is complete: the swap is next
                proc.send_signal(signal.SIGKILL)
                kills += 1
                break
        proc.wait()
        with open_outcomes(tmp_path / name) as ds:  # whole: opens, finite, a seed we ran
            assert int(ds.attrs["seed"]) in seeds | {seed}
            assert float(ds.level.isel(time=-1).min()) > 0
            seeds.add(int(ds.attrs["seed"]))
    assert kills >= 2, "the runs ended before they could be killed"
    again = futures_cli("run", "ensemble.members=8", "seed=9", f"output.format={fmt}",
                        f"hydra.run.dir={tmp_path}")
    assert again.returncode == 0, again.stderr
    with open_outcomes(tmp_path / name) as ds:
        assert int(ds.attrs["seed"]) == 9
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".old"))]


def test_store_left_aside_by_a_killed_writer_is_put_back(tmp_path):
    """Where the swap cannot be atomic the old store is moved aside first; a writer killed
    right then leaves it as ``.outcomes.zarr.PID.N.old``. The next command puts it back
    (here: resume=true then finds it done and keeps it, byte for byte)."""
    args = ["run", "ensemble.members=8", "output.format=zarr", f"hydra.run.dir={tmp_path}"]
    assert futures_cli(*args).returncode == 0
    before = _store(tmp_path / "outcomes.zarr")
    os.replace(tmp_path / "outcomes.zarr", tmp_path / f".outcomes.zarr.{dead_pid()}.0.old")
    again = futures_cli(*args, "resume=true")
    assert again.returncode == 0, again.stderr
    assert "already holds this job's outcomes; skipped" in again.stderr
    assert _store(tmp_path / "outcomes.zarr") == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".old"))]


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "s"
    result = futures_cli("run", "-m", "seed=1,2", "ensemble.members=4", f"hydra.sweep.dir={out}")
    assert result.returncode == 0, result.stderr
    return out


def test_stale_temporaries_of_a_killed_collect_are_cleaned(tmp_path, sweep_dir):
    """A collect killed mid-write leaves ``.sweep.nc.PID.*.tmp``; the next collect removes
    it (and leaves a running writer's alone)."""
    sweep = tmp_path / "s"
    shutil.copytree(sweep_dir, sweep)
    stale = sweep / f".sweep.nc.{dead_pid()}.x1y2.tmp"
    stale.write_bytes(b"\x89HDF half")
    live = sweep / f".sweep.nc.{os.getppid()}.a3b4.tmp"  # a process that runs (pytest's parent)
    live.write_bytes(b"being written")
    result = futures_cli("collect", str(sweep))
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and live.exists()
    with xr.open_dataset(sweep / "sweep.nc", engine="h5netcdf") as ds:
        assert list(ds.seed.values) == [1, 2]


# --- items 7 and 8: exit codes; only this sweep's jobs ----------------------------------------

def _copy_sweep(tmp: Path) -> Path:
    out = tmp / "s"
    result = futures_cli("run", "-m", "seed=1,2", "ensemble.members=4", f"hydra.sweep.dir={out}")
    assert result.returncode == 0, result.stderr
    return out


def _foreign(tmp: Path) -> list[str]:
    sweep = _copy_sweep(tmp)
    other = tmp / "o"
    result = futures_cli("run", "-m", "seed=1,2,3", "ensemble.members=8",
                         f"hydra.sweep.dir={other}")
    assert result.returncode == 0, result.stderr
    shutil.rmtree(sweep / "1")
    shutil.copytree(other / "1", sweep / "1")  # same number, another sweep's job
    shutil.copytree(other / "2", sweep / "2")  # a number this sweep never had
    return ["collect", str(sweep)]


def _only_job_0(tmp: Path) -> None:
    with xr.open_dataset(tmp / "s" / "sweep.nc", engine="h5netcdf") as ds:
        assert int(ds.seed) == 1 and ds.sizes["member"] == 4
        assert ds.attrs["missing_jobs"] == "1"


def _blocked_sweep_nc(tmp: Path) -> list[str]:
    sweep = _copy_sweep(tmp)
    (sweep / "sweep.nc").unlink()
    (sweep / "sweep.nc").mkdir()  # a folder where the file goes: the rename fails
    (sweep / "sweep.nc" / "x").write_text("x")
    return ["collect", str(sweep)]


def _blocked_in_a_sweep(tmp: Path) -> list[str]:
    sweep = tmp / "s"
    (sweep / "sweep.nc").mkdir(parents=True)
    (sweep / "sweep.nc" / "x").write_text("x")
    return ["run", "-m", "seed=1,2", "ensemble.members=4", f"hydra.sweep.dir={sweep}"]


def _jobs_written(tmp: Path) -> None:
    assert (tmp / "s" / "0" / "outcomes.nc").is_file() and (tmp / "s" / "1" / "outcomes.nc")\
        .is_file()


CASES = [
    Case("collect: a job folder from another sweep (same number, other members) and one "
         "beyond the sweep", 8, _foreign, status=1,
         says="1 of 2 jobs left no outcomes (jobs 1)", check=_only_job_0),
    Case("collect: sweep.nc cannot be written (a folder in its place)", 7, _blocked_sweep_nc,
         status=1, says="could not be written (Is a directory)"),
    Case("run -m: the jobs run but sweep.nc cannot be written", 7, _blocked_in_a_sweep,
         status=1, says="could not be written (Is a directory)", check=_jobs_written),
]


def documented() -> dict[str, str]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    rows = {}
    for line in text.split("### Hardening cases", 1)[-1].splitlines():
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) == 5 and cells[0].lstrip("| ").startswith("H"):
            shown = cells[4].rstrip(" |")
            rows[cells[2]] = "" if shown.startswith("(nothing") else \
                shown.strip("`").replace("\\|", "|")
    return rows


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hardening_case(case):
    """Each case: its exit status and line; and docs/reliability.md shows that line."""
    with tempfile.TemporaryDirectory(prefix="fs-") as tmp:
        status, line = attempt(case, Path(tmp))
        assert case.says in line, line
        if status == 2:
            run_dir_exists_not(Path(tmp))
        if case.check:
            case.check(Path(tmp))
    assert documented().get(case.name) == line, (case.name, line)


def test_foreign_jobs_are_named(tmp_path):
    """`futures collect` names every folder that is not a job of this sweep, with its
    overrides, and leaves it out."""
    result = futures_cli(*_foreign(tmp_path))
    assert result.returncode == 1, result.stderr
    assert (f"folder {tmp_path / 's' / '1'} is not job 1 of this sweep (its overrides: seed=2 "
            "ensemble.members=8); left out") in result.stderr
    assert f"folder {tmp_path / 's' / '2'} is not job 2 of this sweep" in result.stderr
    _only_job_0(tmp_path)


# --- item 11: the workshop server under stalls, floods and bad bodies ------------------------

def _raw(server, data: bytes, timeout: float = 30.0) -> bytes:
    import socket

    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _post(server, body: bytes, length: str | None = None) -> bytes:
    head = (f"POST /api/run HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n"
            f"Content-Length: {length if length is not None else len(body)}\r\n\r\n")
    return _raw(server, head.encode("utf-8") + body)


def _get_meta_seconds(server) -> float:
    started = time.perf_counter()
    answer = _raw(server, f"GET /api/meta HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                          "Connection: close\r\n\r\n".encode())
    assert answer.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")), answer[:80]
    return time.perf_counter() - started


BAD_BODIES = [
    (b"{}", "\u0661\u0662", b"Content-Length"),      # Arabic-Indic digits, not ASCII
    (b"{}", "12abc", b"Content-Length"),
    (b"{}", "9" * 300, b"Content-Length"),           # hundreds of digits
    (b'{"future": ' + b"1" * 5000 + b"}", None, b"body"),
    (b"[" * 100_000 + b"]" * 100_000, None, b"Content-Length"),  # over MAX_BODY
    (b"[" * 3000 + b"]" * 3000, None, b"body"),
]


@pytest.mark.parametrize(("body", "length", "key"), BAD_BODIES,
                         ids=["arabic digits", "digits+text", "300 digits", "5000-digit number",
                              "200 kB nesting", "3000 deep"])
def test_bad_bodies_are_400_naming_the_key(server, body, length, key):
    """Malformed bodies and lengths answer 400 with the key, never 500 with exception text."""
    answer = _post(server, body, length)
    status_line = answer.split(b"\r\n", 1)[0]
    assert b" 400 " in status_line, answer[:300]
    assert key in answer and b"Traceback" not in answer


def test_stalled_post_is_closed_and_others_are_served(server):
    """A POST that never sends its body is closed after the read timeout; meanwhile a
    normal request is served at once."""
    import socket

    from scenarios.workshop.server import READ_TIMEOUT

    sock = socket.create_connection((server.host, server.port), timeout=READ_TIMEOUT + 10)
    sock.sendall(f"POST /api/run HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"fu".encode())
    started = time.monotonic()
    assert _get_meta_seconds(server) < 2.0
    rest = sock.recv(65536)  # the server gives up on the body: 408, then it closes
    waited = time.monotonic() - started
    sock.close()
    assert rest == b"" or b" 408 " in rest.split(b"\r\n", 1)[0], rest[:200]
    assert waited < READ_TIMEOUT + 5


def test_idle_flood_and_concurrent_requests(server):
    """400 idle connections and 50 concurrent requests: the server keeps serving (a normal
    request is answered, or told 503 to retry, never hangs), and stays up."""
    import socket
    from concurrent.futures import ThreadPoolExecutor

    idle = []
    for _ in range(400):
        try:
            idle.append(socket.create_connection((server.host, server.port), timeout=5))
        except OSError:
            break
    try:
        started = time.perf_counter()
        answer = _raw(server, f"GET /api/meta HTTP/1.1\r\nHost: {server.host}:{server.port}"
                              "\r\nConnection: close\r\n\r\n".encode(), timeout=20)
        during_flood = time.perf_counter() - started
        assert answer.split(b"\r\n", 1)[0].split()[1] in (b"200", b"503"), answer[:80]
        assert during_flood < 5.0
    finally:
        for sock in idle:
            sock.close()
    with ThreadPoolExecutor(50) as pool:
        times = list(pool.map(lambda _: _get_meta_seconds(server), range(50)))
    assert max(times) < 10.0
    print(f"idle flood: {len(idle)} sockets, a request meanwhile {during_flood:.3f} s; "
          f"50 concurrent: median {sorted(times)[25]:.3f} s, max {max(times):.3f} s")
    assert server.process.poll() is None


def test_client_leaving_early_is_quiet():
    """A client that disconnects before reading the answer leaves no traceback on the
    facilitator's terminal."""
    import socket

    from tests.workshop_server import start

    running = start()
    try:
        for _ in range(20):
            sock = socket.create_connection((running.host, running.port), timeout=5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, bytes([1, 0, 0, 0, 0, 0, 0, 0]))
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {running.host}:{running.port}\r\n\r\n"
                         .encode())
            sock.close()  # RST: the server's write fails (broken pipe / reset)
        time.sleep(1.0)
        assert _get_meta_seconds(running) < 5.0
    finally:
        status, _, err = running.stop()
    assert status == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err
