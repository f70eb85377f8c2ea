"""The workshop's simulations in child processes, so they never wait for the GIL and use
every core.

The kernel is a loop of about 15 numpy calls per monthly step; numpy releases the GIL inside
each call and must take it back after. With ten pages at once, the server's request threads
(reading and checking requests, building exports, writing answers) hold the GIL often, and
each time the simulating thread waits up to ``sys.getswitchinterval()`` (5 ms) for it: in
one process a 16-variant simulation took 130 ms alone and 778 ms beside two busy Python
threads (``docs/workshop.md``, *Many hands*). A :class:`Worker` is a forked child that holds
the session's members and runs :meth:`~scenarios.workshop.session.Workshop.summaries`: it
simulates and summarises the variants it is sent and hands the summaries back; the server
process keeps the variant cache and builds the answers. The scheduler keeps one worker per
core (:data:`WORKERS`) and splits a computation's variants between them: a member's numbers
do not depend on the futures sharing its kernel call, so the answers are the same bytes,
bit for bit, as in one process (tested).

Only on Linux (``fork`` is cheap there and the child inherits the drawn members); elsewhere
the model stays in the server's process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from scenarios.workshop.session import Summary, Todo, Workshop

#: Model processes a session starts: one per core, at most two (the kernel of a few
#: variants gains nothing from more; bench_workshop).
WORKERS = max(1, min(2, os.cpu_count() or 1))


def available() -> bool:
    """Whether a :class:`Worker` can run here (Linux: ``fork``)."""
    return sys.platform.startswith("linux") and \
        "fork" in multiprocessing.get_all_start_methods()


def _serve(model: Workshop, conn: Connection) -> None:
    """The child: simulate every list of variants it is sent until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    while True:
        try:
            todo = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, model.summaries(todo))
        except Exception as err:  # noqa: BLE001 (handed back to the batch's requests)
            reply = (False, RuntimeError(f"{type(err).__name__}: {err}"))
        conn.send(reply)


class Worker:
    """:meth:`Workshop.summaries` of ``model``, computed in a child process.

    :meth:`send` and :meth:`receive` are separate so that several workers simulate at once.

    Parameters
    ----------
    model : Workshop
        The session's model; the child is forked with it (its members).

    Attributes
    ----------
    batches : int
        Lists of variants the child simulated.
    """

    def __init__(self, model: Workshop) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(model, child), daemon=True,
                                    name="futures-workshop-model")
        self._process.start()
        child.close()
        self._lock = threading.Lock()  # one list in flight at a time
        self.batches = 0

    def send(self, todo: list[Todo]) -> None:
        """Start simulating ``todo`` in the child (then :meth:`receive` its summaries)."""
        self._lock.acquire()
        try:
            self._conn.send(todo)
        except (EOFError, OSError) as err:
            self._lock.release()
            raise RuntimeError(f"the workshop's model process is gone ({err!r})") from err

    def receive(self) -> list[Summary]:
        """The summaries of what :meth:`send` sent.

        Raises
        ------
        RuntimeError
            If the child failed on them (its error named) or is gone.
        """
        try:
            ok, value = self._conn.recv()
        except (EOFError, OSError) as err:
            raise RuntimeError(f"the workshop's model process is gone ({err!r})") from err
        finally:
            self._lock.release()
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
