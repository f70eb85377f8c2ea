"""The workshop's model in a child process, so the simulation never waits for the GIL.

The kernel is a loop of about 15 numpy calls per monthly step; numpy releases the GIL inside
each call and must take it back after. With ten pages at once, the server's request threads
(reading and checking requests, building exports, writing answers) hold the GIL often, and
each time the simulating thread waits up to ``sys.getswitchinterval()`` (5 ms) for it: in
one process a 16-variant simulation took 130 ms alone and 778 ms beside two busy Python
threads (``docs/workshop.md``, *Many hands*). A :class:`Worker` runs
:meth:`~scenarios.workshop.session.Workshop.compute_json` in a forked child that holds the
session's members and variant cache; the server process only handles HTTP. Answers are the
same JSON texts, bit for bit (the child is a copy of the same model).

Only on Linux (``fork`` is cheap there and the child inherits the drawn members); elsewhere
the model stays in the server's process.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

from scenarios.workshop.session import Workshop

Requests = list[tuple[str, Mapping[str, float]]]


def available() -> bool:
    """Whether a :class:`Worker` can run here (Linux: ``fork``)."""
    return sys.platform.startswith("linux") and \
        "fork" in multiprocessing.get_all_start_methods()


def _serve(model: Workshop, conn: Connection) -> None:
    """The child: compute every batch it is sent until the server closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    while True:
        try:
            requests = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, model.compute_json(requests))
        except Exception as err:  # noqa: BLE001 (handed back to the batch's requests)
            reply = (False, RuntimeError(f"{type(err).__name__}: {err}"))
        conn.send(reply)


class Worker:
    """:meth:`compute_json` of ``model``, computed in a child process (one batch at a time).

    Parameters
    ----------
    model : Workshop
        The session's model; the child is forked with it (members, baselines, cache).

    Attributes
    ----------
    batches : int
        Batches the child computed.
    """

    def __init__(self, model: Workshop) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(model, child), daemon=True,
                                    name="futures-workshop-model")
        self._process.start()
        child.close()
        self._lock = threading.Lock()
        self.batches = 0

    def compute_json(self, requests: Requests) -> list[str]:
        """The answers of :meth:`Workshop.compute_json`, computed in the child.

        Raises
        ------
        RuntimeError
            If the child failed on the batch (its error named) or is gone.
        """
        with self._lock:
            try:
                self._conn.send(requests)
                ok, value = self._conn.recv()
            except (EOFError, OSError) as err:
                raise RuntimeError(f"the workshop's model process is gone ({err!r})") from err
            self.batches += 1
        if not ok:
            raise value
        return value

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def close(self) -> None:
        """End the child (it also ends when this process does)."""
        self._conn.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
