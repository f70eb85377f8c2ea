"""Start and stop a real ``futures workshop`` server for tests (a subprocess on a free port)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

ADDRESS = re.compile(r"http://(127\.0\.0\.1):(\d+)/")


@dataclass
class Server:
    """A running server: its process, base URL, host and port."""

    process: subprocess.Popen
    url: str
    host: str
    port: int
    first_line: str

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> tuple[int, str, str]:
        """Send ``sig`` (Ctrl-C by default); return the exit status, stdout and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out, err


def start(*args: str, timeout: float = 60.0) -> Server:
    """Run ``futures workshop --port 0 ARGS`` and wait for the address it prints."""
    exe = Path(sys.executable).with_name("futures")
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    process = subprocess.Popen([str(exe), "workshop", "--port", "0", *args], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    line = process.stdout.readline()  # the server prints its address once it listens
    if time.monotonic() > deadline or not ADDRESS.search(line):
        process.kill()
        out, err = process.communicate()
        raise RuntimeError(f"workshop did not start: {line!r} {out!r} {err!r}")
    match = ADDRESS.search(line)
    assert match is not None
    host, port = match.group(1), int(match.group(2))
    return Server(process, f"http://{host}:{port}", host, port, line)
