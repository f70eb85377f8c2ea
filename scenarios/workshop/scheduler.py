"""Many hands on one workshop server: latest-wins per page, one batch per computation.

Every ``POST /api/run`` of a page carries the page's ``client`` id and a ``seq`` number that
grows with every slider move. The :class:`Scheduler` keeps, per client, only the newest
request: an older one still waiting is answered :class:`Superseded` at once, and one that
arrives after a newer one was seen is refused the same way. One already being computed is
answered as usual: the work is done, and the page draws it while the newer one is computed
(it draws only answers newer than the one it shows). Requests without a client id
(the saved scenarios a page draws beside the current one) are never superseded.

One computation runs at a time (the cores are few and BLAS limits are process-wide): the
request thread that finds the model free takes the oldest waiting requests into one batch,
as many as add up to :data:`BUDGET` future-variants not yet simulated (at least one request;
requests needing nothing new always join), and simulates what they lack together (the
variant cache: :meth:`Workshop.missing`, :meth:`Workshop.store`); the others wait for the
next round. So ten pages moving
sliders at once share simulations, a round stays as short as a kernel call of a few
variants, and a request that waits is still one latest-wins can drop. On Linux the
simulations run in child processes (:class:`~scenarios.workshop.worker.Worker`, one per
core), which split every computation's variants between them, so the request threads never
hold up the simulation's GIL and both cores simulate.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from scenarios.workshop import worker
from scenarios.workshop.session import LRU, Summary, Todo, Workshop

#: Clients whose newest sequence number is remembered (the oldest are forgotten first).
MAX_CLIENTS = 4096
#: New future-variants one computation takes on (waiting requests beyond it wait for the
#: next): a kernel call costs least per variant at 4-8 (``session.SIMULATE_BLOCK``).
BUDGET = 8


class Superseded(Exception):
    """A newer request of the same page came in; this one's answer would be stale."""

    def __init__(self, seq: int, latest: int) -> None:
        super().__init__(f"seq={seq}: superseded by seq={latest} of the same page")
        self.seq, self.latest = seq, latest


@dataclass
class _Job:
    future: str
    values: Mapping[str, float]
    client: str | None
    seq: int
    state: str = "waiting"  # waiting -> running -> done | failed; waiting -> superseded
    #: the future-variants of its answer, and whether each is drawn as lines
    needs: dict[tuple, bool] = field(default_factory=dict)
    result: str | None = None
    error: BaseException | None = None
    latest: int = field(default=-1)


class Scheduler:
    """Latest-wins, batched access to one :class:`Workshop`.

    Parameters
    ----------
    model : Workshop
    process : bool, optional
        Simulate in child processes (:data:`~scenarios.workshop.worker.WORKERS` of
        :class:`~scenarios.workshop.worker.Worker`); default: where available (Linux). If a
        child dies, the others (or this process) simulate from then on.

    Attributes
    ----------
    batches, computed, superseded : int
        Counters: computations run, requests answered by them, requests dropped as stale.
    """

    def __init__(self, model: Workshop, process: bool | None = None) -> None:
        self.model = model
        use = worker.available() if process is None else process
        for calls in model.rehearsal():  # the kernel's first use (the children inherit it)
            model.summaries(calls)
        self.workers = [worker.Worker(model) for _ in range(worker.WORKERS)] if use else []
        self.cond = threading.Condition()
        self.pending: list[_Job] = []
        self.latest: OrderedDict[str, int] = OrderedDict()
        # What the model has simulated (with lines or only the dots), as far as this
        # process can tell: it counts the cost of a waiting request (the cache itself may
        # live in the model process).
        self.known = LRU(model.variants.capacity)
        for key, summary in model.variants.items():
            self.known.put(key, summary.trends is not None)
        self.busy = False
        self.batches = self.computed = self.superseded = 0

    def _see(self, client: str, seq: int) -> None:
        """Record ``seq`` as the client's newest, superseding its waiting requests."""
        last = self.latest.get(client, -1)
        if seq <= last:
            self.superseded += 1
            raise Superseded(seq, last)
        self.latest[client] = seq
        self.latest.move_to_end(client)
        while len(self.latest) > MAX_CLIENTS:
            self.latest.popitem(last=False)
        for job in [j for j in self.pending if j.client == client]:
            self.pending.remove(job)
            job.state, job.latest = "superseded", seq
        self.cond.notify_all()

    def claim(self, client: str, seq: int) -> None:
        """Record a request answered without computing (from a cache) as the newest."""
        with self.cond:
            self._see(client, seq)

    def run(self, future: str, values: Mapping[str, float], client: str | None = None,
            seq: int = 0) -> str:
        """The chart data (JSON text) for a checked request, or :class:`Superseded`."""
        job = _Job(future, values, client, seq, needs=self.model.needs(future, values))
        with self.cond:
            if client is not None:
                self._see(client, seq)
            self.pending.append(job)
            while True:
                while job.state == "waiting" and self.busy:
                    self.cond.wait()
                if job.state != "waiting":
                    break
                batch = self._take()  # the model is free: this thread computes a batch
                self.cond.release()
                try:
                    self._compute(batch)
                finally:
                    self.cond.acquire()
            while job.state == "running":
                self.cond.wait()
            if job.state == "superseded":
                self.superseded += 1
                raise Superseded(seq, job.latest)
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _cost(self, job: _Job, taken: set) -> int:
        """Future-variants ``job`` would simulate beyond the known ones and ``taken``."""
        new = 0
        for key, lines in job.needs.items():
            have = self.known.get(key)
            if key not in taken and (have is None or (lines and not have)):
                new += 1
        return new

    def _take(self) -> list[_Job]:
        """The oldest waiting jobs within :data:`BUDGET` new variants (holds ``cond``)."""
        batch: list[_Job] = []
        taken: set = set()
        spent = 0
        for job in self.pending:
            cost = self._cost(job, taken)
            if not batch or spent + cost <= BUDGET:
                batch.append(job)
                taken |= set(job.needs)
                spent += cost
        chosen = {id(j) for j in batch}
        self.pending = [j for j in self.pending if id(j) not in chosen]
        for j in batch:
            j.state = "running"
        self.busy = True
        return batch

    def _compute(self, batch: list[_Job]) -> None:
        requests = [(j.future, j.values) for j in batch]
        try:
            results = self._compute_json(requests)
            error = None
        except Exception as err:  # noqa: BLE001 (handed to every request of the batch)
            results, error = [None] * len(batch), err  # type: ignore[list-item]
        with self.cond:
            for job, result in zip(batch, results):
                job.result, job.error = result, error
                job.state = "done" if error is None else "failed"
                if error is None:
                    for key, lines in job.needs.items():
                        self.known.put(key, lines or bool(self.known.get(key)))
            self.busy = False
            self.batches += 1
            self.computed += len(batch)
            self.cond.notify_all()

    def _compute_json(self, requests: list[tuple[str, Mapping[str, float]]]) -> list[str]:
        model = self.model
        variants, shown = model.plan(requests)
        todo = model.missing(variants, shown)
        if todo:
            model.store(todo, self._summaries(todo))
        return model.answers(requests, variants)

    def _summaries(self, todo: list[Todo]) -> list[Summary]:
        """Simulate ``todo`` in the workers; if one is gone, in the others or here."""
        while self.workers:
            try:
                return self._split(todo)
            except RuntimeError:
                gone = [w for w in self.workers if not w.alive]
                if not gone:
                    raise  # the batch itself failed
                for w in gone:
                    self.workers.remove(w)
        return self.model.summaries(todo)

    def _split(self, todo: list[Todo]) -> list[Summary]:
        """The summaries of ``todo``, its variants split evenly between the workers."""
        n = min(len(self.workers), len(todo))
        cuts = [round(k * len(todo) / n) for k in range(n + 1)]
        sent, error = [], None
        for w, (a, b) in zip(self.workers, itertools.pairwise(cuts)):
            try:
                w.send(todo[a:b])
                sent.append(w)
            except RuntimeError as err:
                error = err
        out: list[Summary] = []
        for w in sent:  # every child sent a list is heard, so its pipe stays in step
            try:
                out += w.receive()
            except RuntimeError as err:
                error = err
        if error is not None:
            raise error
        return out

    def close(self) -> None:
        """End the child processes, if any."""
        for w in self.workers:
            w.close()
        self.workers = []
