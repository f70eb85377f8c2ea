"""Time per request of the workshop page, against full simulations of the same size.

All cases run in this process on the default configuration, ``members`` per future (256 by
default, as ``workshop.members``), interleaved round by round; the median over the rounds is
reported with the ratio to each baseline. Each round moves the sliders to new values, so no
case can reuse an answer.

Cases
-----
workshop request (in-process)
    What the server does for one ``POST /api/run``: check the settings, run the world and
    current variants of all 4 futures in one call of ``models.ensemble.run`` (8 futures x
    members, events off, the fixed member sample), summarise (quantiles over members), build
    the export, and encode the JSON.
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
    (3 variants x 109 times x 16 series x members), by ``workshop_model.quantiles`` and by
    ``np.quantile`` (the named baseline for that step).

Run from the repository root with the virtualenv active::

    python bench/bench_workshop.py                 # 25 rounds, 256 members
    python bench/bench_workshop.py --members 512 --rounds 15
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time

import numpy as np
from machine import machine_info  # bench/machine.py, beside this script

from scenarios.config.compose import load
from scenarios.engine.simulate import simulate
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    machine_info()
    print(f"load average (1, 5, 15 min) at the start: {os.getloadavg()}")
    m = args.members
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
        json.dumps(session.answer(payload(rng)))

    def over_http() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/api/run", json.dumps(payload(rng)),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 200, body[:200]

    chart = np.random.default_rng(1).random((3, 109, 16, m))
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
    for _ in range(args.rounds):
        for name, case in cases.items():
            started = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - started)
    server.shutdown()
    server.server_close()

    print(f"\nworkshop: 4 futures x {m} members per request (8 simulated: world and current "
          f"variants), median of {args.rounds} rounds\n")
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
