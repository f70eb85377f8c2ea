"""Stalls, trickles, floods: the workshop server against uvicorn + Starlette (issue 14, item 11).

``python bench/bench_server_limits.py ours`` starts ``futures workshop`` (workshop.members=16);
``python bench/bench_server_limits.py asgi`` starts uvicorn with a Starlette app serving the
same kind of answer (a static JSON body on ``/api/meta``) with the settings uvicorn and
Starlette offer for this: ``limit_concurrency=256``, ``timeout_keep_alive=5``,
``TrustedHostMiddleware``. Both on 127.0.0.1, real sockets. Prints one line per measurement;
docs/reliability.md has the figures. uvicorn is not a dependency: install it where you run
this (``pip install uvicorn``).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ASGI_APP = '''
import json
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import Response
from starlette.routing import Route

META = json.dumps({"members": 16, "futures": ["a", "b"]}).encode()

async def meta(request):
    return Response(META, media_type="application/json")

async def run(request):
    body = await request.body()
    return Response(body[:100], media_type="application/json")

app = Starlette(routes=[Route("/api/meta", meta), Route("/api/run", run, methods=["POST"])],
                middleware=[Middleware(TrustedHostMiddleware,
                                       allowed_hosts=["127.0.0.1", "localhost"])])
'''


def start(kind: str) -> tuple[subprocess.Popen, int]:
    if kind == "ours":
        exe = Path(sys.executable).with_name("futures")
        proc = subprocess.Popen([str(exe), "workshop", "--port", "0", "workshop.members=16"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        return proc, int(line.split("127.0.0.1:")[1].split("/")[0])
    app = Path("/tmp/futures_asgi_app.py")
    app.write_text(ASGI_APP)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "futures_asgi_app:app",
                             "--host", "127.0.0.1", "--port", str(port),
                             "--limit-concurrency", "256", "--timeout-keep-alive", "5",
                             "--log-level", "warning"], cwd="/tmp",
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, port


def get(port: int, host: str = "127.0.0.1") -> tuple[float, bytes]:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET /api/meta HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close"
                     "\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return time.perf_counter() - started, data.split(b"\r\n", 1)[0]


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closes ``sock`` (None: still open after ``seconds``)."""
    started = time.monotonic()
    sock.settimeout(0.25)
    while time.monotonic() - started < seconds:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    return None


def main(kind: str) -> None:
    proc, port = start(kind)
    try:
        took, status = get(port)
        print(f"{kind}: a request alone {took * 1000:.1f} ms {status!r}")
        _, status = get(port, host="evil.example")
        print(f"{kind}: Host evil.example -> {status!r}")
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.sendall(f"POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: "
                        "application/json\r\nContent-Length: 100\r\n\r\n{\"fu".encode())
        print(f"{kind}: stalled body closed after {closed_within(stalled, 25)} s (None: not "
              "within 25 s)")
        stalled.close()
        trickle = socket.create_connection(("127.0.0.1", port))
        started = time.monotonic()
        cut = None
        for byte in (b"GET /api/meta HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 200):
            try:
                trickle.sendall(bytes([byte]))
            except OSError:
                cut = time.monotonic() - started
                break
            if closed_within(trickle, 1.0) is not None:
                cut = time.monotonic() - started
                break
            if time.monotonic() - started > 45:
                break
        print(f"{kind}: headers trickled a byte a second: cut after {cut} s (None: not "
              "within 45 s)")
        trickle.close()
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(400)]
        took, status = get(port)
        print(f"{kind}: 400 idle connections, a request meanwhile {took * 1000:.1f} ms "
              f"{status!r}")
        for sock in idle:
            sock.close()
        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(lambda _: get(port), range(50)))
        times = sorted(t for t, _ in results)
        codes = sorted({s for _, s in results})
        print(f"{kind}: 50 concurrent: median {times[25] * 1000:.1f} ms, max "
              f"{times[-1] * 1000:.1f} ms {codes!r}")
    finally:
        proc.terminate()
        proc.wait(timeout=15)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "ours")
