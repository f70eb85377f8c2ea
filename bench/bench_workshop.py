"""Time per request of the workshop page, against full simulations of the same size.

All cases run in this process on the default configuration, ``members`` per future (256 by
default, as ``workshop.members``), interleaved round by round; the median over the rounds is
reported with the ratio to each baseline. Each round moves the sliders to new values, so no
case can reuse an answer.

Cases
-----
workshop request (in-process)
    What the server does for one ``POST /api/run`` (``Session.answer``): check the settings,
    simulate the world and current variants of all 4 futures that are not cached, in one
    call of ``models.ensemble.run`` (events off, the fixed member sample; on Linux in the
    session's model process, :mod:`scenarios.workshop.worker`), summarise (quantiles over
    members at the quarterly points the page draws), build the export, and encode the JSON.
workshop request (HTTP)
    The same through the real server (``scenarios.workshop.server.make_server`` on a free loopback
    port, in a thread) with ``http.client``: what a browser waits for, minus drawing.
baseline: runner.simulate, events on
    ``scenarios.engine.simulate.simulate`` of 4 futures x members: a full ensemble as ``futures run``
    computes it (sampling and the discrete events, on by default), without writing a file.
baseline: runner.simulate, events off
    The same with ``events.enabled=false``: the continuous model, as the workshop uses it.
summary: quantiles by one sort / summary: np.quantile
    The three quantiles (10, 50, 90 %) over the members of one request's chart arrays
    (3 variants x the page's time points x 16 series x members), by ``quantiles`` and by
    ``np.quantile`` (the named baseline for that step).

many hands (real clients)
    A real ``futures workshop`` (a subprocess on a free port) and participants as separate
    processes, each behaving as the page does (``scenarios/workshop/assets/app.js``): a
    participant drags one slider for 0.5-1 s (an input event every 50 ms, one slider step
    each), then looks at the charts for 1-3 s, and again, for ``--seconds``. Every input
    event is sent at once with the page's client id and sequence number (at most one
    request per 40 ms; a newer event inside that window is sent when it ends); an answer is
    drawn only if it is for a newer event than the one drawn. *Slider to redraw* of an event
    is the time until an answer for it or a newer event of the same page arrives and is
    parsed (drawing in the browser is not included). First one participant alone, then
    ``--participants`` at once, in the same run; both cold (an answer cache warmed only by
    the run itself).

Run from the repository root with the virtualenv active::

    python bench/bench_workshop.py                 # 25 rounds, 256 members, 10 participants
    python bench/bench_workshop.py --members 512 --rounds 15
    python bench/bench_workshop.py --rounds 0 --seconds 30   # many hands only
    python bench/bench_workshop.py --rounds 0 --against /work/main  # and main's server
    python bench/bench_workshop.py --rounds 0 --kernels  # workshop.kernel=numpy vs numba
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import pickle
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from machine import machine_info  # bench/machine.py, beside this script

from scenarios.config.compose import load
from scenarios.engine.simulate import simulate
from scenarios.workshop.export import config_yaml, override_line
from scenarios.workshop.server import Session, make_server, settings
from scenarios.workshop.session import QUANTILES, quantiles


def payload(rng: np.random.Generator) -> dict:
    """A request with the sliders somewhere new."""
    return {"future": str(rng.choice(["versnelling", "voorwaardelijke_groei",
                                      "radicale_markten", "gelijk_speelveld"])),
            "settings": {"ownership": round(float(rng.uniform(0, 1)), 2),
                         "cross_impact_strength": round(float(rng.uniform(0.5, 1.5)), 2),
                         "transition_years": float(rng.choice([3.0, 5.0, 7.5])),
                         "ai_investment": round(float(rng.uniform(0, 1)), 2),
                         "cyber_resilience": round(float(rng.uniform(0, 1)), 2)}}


SLIDERS = {"ownership": 0.01, "purpose": 0.01, "eu_regulation": 0.01, "ai_investment": 0.05,
           "data_sharing": 0.05, "connectivity": 0.05, "cyber_resilience": 0.05,
           "open_source_standards": 0.05, "digital_skills": 0.05,
           "cross_impact_strength": 0.05, "lever_efficacy": 0.05}
FUTURES = ["versnelling", "voorwaardelijke_groei", "radicale_markten", "gelijk_speelveld"]
#: The kernels ``--kernels`` compares (``workshop.kernel``).
KERNELS = ("numpy", "numba")
#: The page sends at most one request per this many seconds while a slider moves.
THROTTLE = 0.04


class Page:
    """One participant's page: sends like app.js, records slider-to-redraw times."""

    def __init__(self, port: int, index: int) -> None:
        self.port, self.client = port, f"bench-{os.getpid()}-{index}"
        self.lock = threading.Lock()
        self.seq, self.drawn, self.last_sent = 0, 0, 0.0
        self.settings: dict[str, float] = {}
        self.future = FUTURES[index % len(FUTURES)]
        self.events: list[tuple[int, float, bool]] = []  # (seq, time, last of its drag)
        self.redraws: list[tuple[int, float]] = []
        self.timer: threading.Timer | None = None
        self.errors = 0

    def move(self, key: str, value: float, last: bool) -> None:
        with self.lock:
            self.seq += 1
            self.settings[key] = value
            now = time.perf_counter()
            self.events.append((self.seq, now, last))
            if now - self.last_sent >= THROTTLE:
                self._send(now)
            elif self.timer is None:
                self.timer = threading.Timer(self.last_sent + THROTTLE - now, self._later)
                self.timer.start()

    def _later(self) -> None:
        with self.lock:
            self.timer = None
            self._send(time.perf_counter())

    def _send(self, now: float) -> None:  # holds self.lock
        self.last_sent = now
        body = json.dumps({"future": self.future, "settings": dict(self.settings),
                           "client": self.client, "seq": self.seq})
        threading.Thread(target=self._request, args=(self.seq, body), daemon=True).start()

    def _request(self, seq: int, body: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", "/api/run", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            data = json.loads(response.read())  # the page parses every answer
        except OSError:
            with self.lock:
                self.errors += 1
            return
        finally:
            conn.close()
        if response.status == 200 and "trends" in data:
            with self.lock:
                if seq > self.drawn:
                    self.drawn = seq
                    self.redraws.append((seq, time.perf_counter()))
        elif response.status != 409:  # 409: superseded by a newer event, ignored
            with self.lock:
                self.errors += 1

    def latencies(self) -> list[tuple[float, bool]]:
        """Slider-to-redraw seconds per input event (and whether it ended a drag)."""
        out = []
        for seq, at, last in self.events:
            done = [t for s, t in self.redraws if s >= seq and t >= at]
            if done:
                out.append((min(done) - at, last))
        return out


def participant(port: int, index: int, go, seconds: float, queue) -> None:
    """Drag sliders like a workshop participant for ``seconds`` after ``go``; report times."""
    rng = np.random.default_rng(1000 + index)
    page = Page(port, index)
    go.wait()
    start = time.time()
    time.sleep(float(rng.uniform(0, 1.0)))  # participants do not start in step
    stop = start + seconds
    value = {key: 0.5 for key in SLIDERS}
    value["cross_impact_strength"] = value["lever_efficacy"] = 1.0
    while time.time() < stop:
        key = str(rng.choice(list(SLIDERS)))
        step = SLIDERS[key] * float(rng.choice([-1, 1]))
        low, high = (0.25, 2.0) if key in ("cross_impact_strength", "lever_efficacy") else \
            (0.0, 1.0)
        moves = int(rng.integers(10, 21))  # 0.5-1 s at one event per 50 ms
        for k in range(moves):
            value[key] = round(min(high, max(low, value[key] + step)), 2)
            page.move(key, value[key], k == moves - 1)
            time.sleep(0.05)
        time.sleep(float(rng.uniform(1.0, 3.0)))
    time.sleep(2.0)  # the last answers
    queue.put((page.latencies(), page.errors, len(page.events)))


def many_hands(port: int, participants: int, seconds: float) -> dict[str, float]:
    """Run ``participants`` processes at once; slider-to-redraw statistics in ms."""
    ctx = multiprocessing.get_context("fork")  # no threads yet here; a spawn re-imports all
    queue, go = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=participant, args=(port, i, go, seconds, queue))
             for i in range(participants)]
    for p in procs:
        p.start()
    time.sleep(1.0)
    go.set()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    every = np.array([t for r in results for t, _ in r[0]]) * 1e3
    final = np.array([t for r in results for t, last in r[0] if last]) * 1e3
    events = sum(r[2] for r in results)
    return {"events": events, "answered": len(every), "errors": sum(r[1] for r in results),
            "median": float(np.median(every)), "p90": float(np.percentile(every, 90)),
            "max": float(every.max()), "final median": float(np.median(final)),
            "final p90": float(np.percentile(final, 90))}


def start_server(members: int, tree: str | None = None, extra: tuple[str, ...] = ()
                 ) -> tuple[subprocess.Popen, int]:
    """A real ``futures workshop --port 0`` (the script beside this Python), running the
    code of ``tree`` (a checkout put first on ``PYTHONPATH``) if given."""
    exe = Path(sys.executable).with_name("futures")
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(Path(tree).resolve())
    process = subprocess.Popen([str(exe), "workshop", "--port", "0",
                                f"workshop.members={members}", *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=env)
    assert process.stdout is not None
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", process.stdout.readline())
    if match is None:
        process.kill()
        raise RuntimeError("futures workshop did not start")
    return process, int(match.group(1))


def hands_case(members: int, n: int, seconds: float, server: tuple[str | None, tuple[str, ...]]
               ) -> dict[str, float]:
    """``n`` participants against a fresh server (no answers cached) of ``server``."""
    process, port = start_server(members, *server)
    try:
        load = os.getloadavg()
        r = many_hands(port, n, seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {**r, "load": load[0]}


def report_hands(members: int, participants: int, seconds: float,
                 servers: dict[str, tuple[str | None, tuple[str, ...]]]) -> None:
    """Single participant, then ``participants`` at once, against one real server each;
    every server of ``servers`` (name: code tree, extra overrides) in turn per case."""
    print(f"\nmany hands: real `futures workshop` (4 futures x {members} members), "
          f"participants as processes, {seconds:g} s each case")
    print(f"{'case':40s} {'load':>5s} {'events':>7s} {'median':>8s} {'p90':>8s} {'max':>8s} "
          f"{'settled median':>15s} {'settled p90':>12s} {'errors':>7s}  (ms)")
    figures = {}
    for n in (1, participants):
        for name, server in servers.items():
            r = figures[name, n] = hands_case(members, n, seconds, server)
            case = f"{name}: {n} participant{'s' if n > 1 else ''}"
            print(f"{case:40s} {r['load']:5.2f} {r['events']:7d} {r['median']:8.1f} "
                  f"{r['p90']:8.1f} {r['max']:8.1f} {r['final median']:15.1f} "
                  f"{r['final p90']:12.1f} {r['errors']:7d}", flush=True)
    for name in servers:
        one, many = figures[name, 1], figures[name, participants]
        print(f"\ntargets ({name}): one alone median < 60 ms -> "
              f"{'MET' if one['median'] < 60 else 'NOT MET'} ({one['median']:.1f}); "
              f"{participants} at once median < 150 ms -> "
              f"{'MET' if many['median'] < 150 else 'NOT MET'} ({many['median']:.1f}), "
              f"p90 < 300 ms -> {'MET' if many['p90'] < 300 else 'NOT MET'} "
              f"({many['p90']:.1f})")
    print(f"load average at the end: {os.getloadavg()}")


def stage_times(session: Session, rng: np.random.Generator) -> dict[str, float]:
    """One in-process request taken apart: seconds per stage (the kernel calls included)."""
    model, stages = session.model, {}

    def timed(name: str, f, *args):
        started = time.perf_counter()
        out = f(*args)
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - started
        return out

    sent = payload(rng)
    label = sent["future"]
    values = timed("check", model.check, label, sent["settings"])
    variants = timed("variant keys", model._variants, [label], [values])
    todo = model.missing(variants, model._shown(label, variants))
    if todo:  # at most 8 variants: one kernel call, as a model process makes it
        rows = [model.labels.index(f.label) for _, f, _, _ in todo]
        sample = timed("members and factors", model.members_of, rows,
                       [x for _, _, x, _ in todo])
        out = timed("kernel (models.ensemble.run)", model._run,
                    [f for _, f, _, _ in todo], sample)
        model.store(todo, timed("summary (median, quantiles, JSON pieces)", model._summarise,
                                [lines for *_, lines in todo], out))
    mine = [model.variants.get(k) for k, _, _ in variants]
    text = timed("answer assembly", model._answer, label, values, mine[:4], mine[4:])
    timed("worker IPC (pickle both ways)", lambda: pickle.loads(pickle.dumps(
        ([(label, values)], [text]))))
    d = model.defaults[label]
    timed("export (line and YAML)", lambda: (override_line(session.spec, [], label, values, d),
                                             config_yaml(session.spec, [], label, values, d)))
    timed("page parses the JSON", json.loads, text)
    stages["variants simulated"] = len(todo)
    return stages


def report_breakdown(members: int, rounds: int, kernel: str = "auto") -> None:
    """Median per stage of ``rounds`` in-process requests (``payload``: new settings)."""
    cfg, spec = load([f"workshop.members={members}", "workshop.port=0",
                      f"workshop.kernel={kernel}"])
    session = Session(spec, [], settings(cfg))
    session.scheduler.close()
    rng = np.random.default_rng(11)
    rows = [stage_times(session, rng) for _ in range(rounds)]
    print(f"\none request taken apart (in this process, 4 futures x {members} members, "
          f"kernel {session.model.kernel}, median of {rounds}; load {os.getloadavg()[0]:.2f})")
    for name in rows[0]:
        got = [r.get(name, 0.0) for r in rows]
        unit = "" if name == "variants simulated" else " ms"
        scale = 1.0 if name == "variants simulated" else 1e3
        print(f"  {name:44s} {np.median(got) * scale:8.2f}{unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=25, help="0: skip the per-request cases")
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--against", metavar="TREE", help="also run the many-hands cases "
                        "against a server of this checkout's code (e.g. /work/main), the "
                        "named baseline, in the same run")
    parser.add_argument("--kernels", action="store_true", help="many hands with "
                        "workshop.kernel=numpy and =numba (this tree) instead of the default")
    args = parser.parse_args()
    machine_info()
    print(f"load average (1, 5, 15 min) at the start: {os.getloadavg()}")
    if args.rounds > 0:
        for kernel in KERNELS if args.kernels else ("auto",):
            report_breakdown(args.members, args.rounds, kernel)
        report_requests(args.members, args.rounds)
    servers: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    if args.against:
        servers[f"baseline {args.against}"] = (args.against, ())
    if args.kernels:
        servers |= {f"kernel={k}": (None, (f"workshop.kernel={k}",)) for k in KERNELS}
    else:
        servers["this tree"] = (None, ())
    report_hands(args.members, args.participants, args.seconds, servers)


def report_requests(m: int, rounds: int) -> None:
    """The per-request cases (in-process, HTTP) against full simulations, interleaved
    (``workshop.kernel`` at its default, ``auto``)."""
    cfg, spec = load([f"workshop.members={m}", "workshop.port=0"])
    session = Session(spec, [], settings(cfg))
    _, spec_on = load([f"ensemble.members={m}"])
    _, spec_off = load([f"ensemble.members={m}", "events.enabled=false"])
    server = make_server(session)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    rng = np.random.default_rng(7)

    def in_process() -> None:
        session.answer(payload(rng))[0]

    def over_http() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/api/run", json.dumps(payload(rng)),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 200, body[:200]

    chart = np.random.default_rng(1).random((3, len(session.model.times), 16, m))
    cases = {
        "workshop request (in-process)": in_process,
        "workshop request (HTTP)": over_http,
        "baseline: runner.simulate, events on": lambda: simulate(spec_on),
        "baseline: runner.simulate, events off": lambda: simulate(spec_off),
        "summary: quantiles by one sort": lambda: quantiles(chart, QUANTILES),
        "summary: np.quantile": lambda: np.quantile(chart, QUANTILES, axis=-1),
    }
    for case in cases.values():  # warm-up: imports, first allocations
        case()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            started = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - started)
    server.shutdown()
    session.scheduler.close()
    server.server_close()

    print(f"\nworkshop: 4 futures x {m} members per request (8 simulated: world and current "
          f"variants), median of {rounds} rounds\n")
    median = {name: float(np.median(t)) * 1e3 for name, t in times.items()}
    ours = median["workshop request (in-process)"]
    print(f"{'case':42s} {'median ms':>10s} {'min ms':>8s} {'vs in-process request':>22s}")
    for name, t in times.items():
        print(f"{name:42s} {median[name]:10.1f} {min(t) * 1e3:8.1f} "
              f"{median[name] / ours:21.2f}x")
    print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()} on {os.cpu_count()} "
          "cores: other processes competing for the cores inflate every case alike")
    print(f"\ntarget: a request < 100 ms on the server -> "
          f"{'MET' if ours < 100 else 'NOT MET'} ({ours:.1f} ms in-process, "
          f"{median['workshop request (HTTP)']:.1f} ms over HTTP)")


if __name__ == "__main__":
    main()
