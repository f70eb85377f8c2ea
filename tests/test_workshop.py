"""``futures workshop``: the model per request, validation, the export, and the real server."""

from __future__ import annotations

import http.client
import json
import math
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from models import compiled
from scenarios.analysis.robustness.costs import cost_of
from scenarios.config.compose import load
from scenarios.config.errors import ConfigError
from scenarios.config.study import default_study
from scenarios.engine.simulate import simulate
from scenarios.figures.style import FUTURE_COLOURS
from scenarios.workshop import server as server_module
from scenarios.workshop import session, worker
from scenarios.workshop.costs import lever_costs
from scenarios.workshop.export import config_yaml, override_line
from scenarios.workshop.scheduler import Scheduler
from scenarios.workshop.session import Workshop, quantiles
from tests.workshop_server import start

STUDY = default_study()

#: A scenario that moves every kind of slider, for the export tests.
MOVED = {"ownership": 0.42, "purpose": 0.61, "eu_regulation": 0.8,
         "cross_impact_strength": 1.35, "transition_years": 3.5, "lever_efficacy": 0.75,
         "ai_investment": 0.9, "cyber_resilience": 0.15}
STARTUP = ["seed=11", "cross_impact.mega_ecosystemen.decentralisering=-0.3"]


@pytest.fixture(scope="module")
def model() -> Workshop:
    _, spec = load(STARTUP)
    return Workshop(spec, 48)


def request(server, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send a raw request (the path exactly as given) and return status, headers, body."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent = {"Host": f"{server.host}:{server.port}", **(headers or {})}
        if body is not None:
            sent.setdefault("Content-Length", str(len(body)))
        for key, value in sent.items():
            conn.putheader(key, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def run_api(server, payload: object) -> tuple[int, dict[str, str], bytes]:
    return request(server, "POST", "/api/run", json.dumps(payload).encode(),
                   {"Content-Type": "application/json"})


# ------------------------------------------------------------------ the model, in-process


def test_quantiles_equal_numpy():
    values = np.random.default_rng(3).normal(size=(2, 5, 7, 201))
    qs = (0.1, 0.5, 0.9, 0.0, 1.0)
    np.testing.assert_allclose(quantiles(values, qs), np.quantile(values, qs, axis=-1),
                               rtol=0, atol=1e-14)


def test_default_settings_reproduce_the_baseline(model):
    """Common random numbers: with nothing moved, all three lines are the same numbers."""
    data = model.compute("versnelling", model.check("versnelling", {}))
    for block in (*data["trends"].values(), *data["areas"].values()):
        assert block["world"]["median"] == block["baseline"]["median"]
        assert block["current"]["median"] == block["baseline"]["median"]


def test_levers_move_current_only_and_world_moves_both(model):
    # AI money, not digital skills: since issue 16 levers act through the trends only, and
    # the skills programme moves broad welfare by ~0.005, AI investment by ~0.02
    lever = model.compute("gelijk_speelveld",
                          model.check("gelijk_speelveld", {"ai_investment": 1.0}))
    skills = lever["areas"]["brede_welvaart"]
    assert skills["world"]["median"] == skills["baseline"]["median"]
    assert skills["current"]["median"][-1] > skills["baseline"]["median"][-1] + 0.01
    world = model.compute("gelijk_speelveld",
                          model.check("gelijk_speelveld", {"cross_impact_strength": 2.0}))
    block = world["trends"]["autonomisering"]
    assert block["world"]["median"] == block["current"]["median"]
    assert abs(block["world"]["median"][-1] - block["baseline"]["median"][-1]) > 0.01


def test_cached_and_batched_variants_are_the_numbers_of_a_full_recomputation(model):
    """A request answered from cached variants, or in a batch with others, gives the numbers
    of simulating all 8 of its future-variants together in one call (bit for bit)."""
    requests = [("versnelling", {"ownership": 0.3, "ai_investment": 0.8}),
                ("gelijk_speelveld", {"ai_investment": 0.8}),
                ("versnelling", {"ownership": 0.3, "ai_investment": 0.8,
                                 "lever_efficacy": 1.4, "transition_years": 4.0})]
    checked = [(f, model.check(f, v)) for f, v in requests]
    batched = model.compute_many(checked)  # the first two share their world variants
    alone = [model.compute(f, v) for f, v in checked]  # now all from the cache
    assert batched == alone
    for (label, values), answer in zip(checked, batched):
        world, current, factors = model.scenario(label, values)
        rows = list(range(len(world)))
        full = model._run(world + current, model.members_of(rows + rows, [factors] * 8))
        c = model.labels.index(label)
        q = quantiles(full.levels[[c, c + 4]], (0.1, 0.5, 0.9))  # (3, 2, T, n)
        for j, trend in enumerate(model.spec.world.trends):
            series = answer["trends"][trend]
            assert series["world"]["median"] == np.round(q[1, 0, :, j], 4).tolist()
            assert series["current"]["low"] == np.round(q[0, 1, :, j], 4).tolist()
        final = np.round(np.median(full.impacts[:, -1], axis=-1), 4)
        for i, f in enumerate(model.labels):
            assert list(answer["futures"][f]["current"].values()) == final[4 + i].tolist()
    before = model.simulated
    model.compute(*checked[0])
    assert model.simulated == before  # nothing simulated again


def test_the_page_stores_quarters_of_the_same_monthly_run(model):
    """The page keeps every third month (and the last): the numbers of the full monthly
    simulation at those points, bit for bit; the last point is 2030."""
    world = model.spec.world
    assert model.keep[0] == 0 and model.keep[-1] == world.n_steps
    assert len(model.keep) == world.n_steps // 3 + 1 and np.all(np.diff(model.keep) == 3)
    futures = list(model.spec.futures)
    rows = list(range(len(futures)))
    sample = model.members_of(rows, [(1.2, 0.9, 4.5)] * len(rows))
    full, _ = simulate(model.spec, futures=futures, members=sample, events=False,
                       precision="float64", chunk=max(8, model.members), threads=1)
    mine = model._run(futures, sample)
    np.testing.assert_array_equal(mine.levels, full.levels[:, model.keep])
    np.testing.assert_array_equal(mine.impacts, full.impacts[:, model.keep])
    assert mine.times[-1] == 2030.0 and list(model.times) == list(mine.times)


def test_efficacy_without_a_moved_lever_simulates_nothing_new(model):
    """Efficacy scales the levers' changes only: with every lever at its reference the
    variants are the baseline's, bit for bit, and none is simulated again."""
    label = "radicale_markten"
    before = model.simulated
    data = model.compute(label, model.check(label, {"lever_efficacy": 0.5}))
    assert model.simulated == before
    world, _, factors = model.scenario(label, model.check(label, {"lever_efficacy": 0.5}))
    assert factors[1] == 0.5
    full = model._run(world, model.members_of(list(range(4)), [factors] * 4))
    c = model.labels.index(label)
    median = np.round(quantiles(full.levels[[c]], (0.5,))[0, 0], 4)
    for j, trend in enumerate(model.spec.world.trends):
        assert data["trends"][trend]["current"]["median"] == median[:, j].tolist()
    model.compute(label, model.check(label, {"lever_efficacy": 0.5, "digital_skills": 0.9}))
    assert model.simulated == before + 4  # the four current variants, not the world ones


def test_simulations_split_into_small_calls_give_the_same_bytes(model, monkeypatch):
    """Variants simulated in calls of at most SIMULATE_BLOCK (here 3) give the answers of
    larger calls bit for bit (a member's numbers do not depend on the call's other futures)."""
    requests = [("gelijk_speelveld", {"cross_impact_strength": 0.55, "digital_skills": 0.6}),
                ("radicale_markten", {"ownership": 0.12, "connectivity": 0.3})]
    checked = [(f, model.check(f, v)) for f, v in requests]
    monkeypatch.setattr(session, "SIMULATE_BLOCK", 3)
    calls = []
    small = Workshop(model.spec, model.members)
    run = small._run
    monkeypatch.setattr(small, "_run", lambda futures, sample: calls.append(len(futures))
                        or run(futures, sample))
    start = small.simulated  # the four baselines
    texts = small.compute_json(checked)
    # new: the first moves a shared world slider (4 world + 4 current variants), the second
    # an axis (its own world variant) and a lever (4 current): 13 in five even calls
    assert small.simulated - start == 13 and calls == [3, 2, 3, 2, 3]
    monkeypatch.setattr(session, "SIMULATE_BLOCK", 64)
    assert texts == model.compute_json(checked)


def test_the_rehearsal_of_a_model_process_moves_every_kind_of_slider_and_caches_nothing(model):
    """What the scheduler simulates before serving: world variants (the shared slider
    moved) and current ones (a lever too) of every future, the chosen one's axis moved;
    simulating them leaves the session's cache and counter as they were."""
    calls = model.rehearsal()
    assert [len(todo) for todo in calls] == [1, 7]  # one variant alone: other array layouts
    todo = [t for part in calls for t in part]
    keys = [key for key, *_ in todo]
    assert all(lines for *_, lines in todo)
    assert not set(keys) & set(model.baseline.values())
    assert {key[0] for key in keys} == set(model.labels)
    cached, simulated = len(model.variants), model.simulated
    assert [len(model.summaries(part)) for part in calls] == [1, 7]
    assert (len(model.variants), model.simulated) == (cached, simulated)


def test_the_scheduler_takes_waiting_requests_within_its_budget(model):
    """Three waiting pages that each need 4 new variants: the first two share a round (8
    variants, the budget), the third waits for the next; a request needing nothing new
    joins any round. Every answer is the one computed alone."""
    scheduler = Scheduler(model, process=False)
    label = "voorwaardelijke_groei"
    payloads = [model.check(label, {lever: 0.95}) for lever in
                ("ai_investment", "data_sharing", "connectivity")]
    first = model.simulated
    with scheduler.cond:
        scheduler.busy = True  # as if a computation were running: the requests wait
    answers: dict[int, str] = {}
    threads = [threading.Thread(target=lambda i=i, v=v: answers.update(
        {i: scheduler.run(label, v, f"budget-{i}", 1)})) for i, v in enumerate(payloads)]
    for thread in threads:
        thread.start()
        while len(scheduler.pending) < len(answers) + threads.index(thread) + 1:
            time.sleep(0.01)  # in this order: the waiting list is oldest first
    again = threading.Thread(target=lambda: answers.update(
        {3: scheduler.run(label, payloads[0], "budget-3", 1)}))
    again.start()
    while len(scheduler.pending) < 4:
        time.sleep(0.01)
    with scheduler.cond:
        assert [scheduler._cost(j, set()) for j in scheduler.pending] == [4, 4, 4, 4]
        scheduler.busy = False
        scheduler.cond.notify_all()
    for thread in [*threads, again]:
        thread.join(timeout=60)
    assert scheduler.batches == 2 and scheduler.computed == 4
    assert model.simulated == first + 12  # the fourth shared the first's variants
    assert answers[3] == answers[0]
    for i, values in enumerate(payloads):
        assert answers[i] == model.compute_json([(label, values)])[0]


@pytest.mark.skipif(not worker.available(), reason="the model process needs fork (Linux)")
def test_the_scheduler_simulates_in_child_processes_with_the_same_bytes(model, monkeypatch):
    """Off the server's GIL and on every core: the children, splitting a computation's
    variants, give the answer of one process bit for bit; if one dies the other goes on,
    and with none left the server's process simulates."""
    monkeypatch.setattr(worker, "WORKERS", 2)
    scheduler = Scheduler(model, process=True)
    here = []
    simulate_here = model.summaries
    monkeypatch.setattr(model, "summaries", lambda todo: here.append(len(todo))
                        or simulate_here(todo))
    fresh = Workshop(model.spec, model.members)  # all in one process, nothing cached
    try:
        values = model.check("versnelling", {"ownership": 0.77, "digital_skills": 0.35})
        text = scheduler.run("versnelling", values)  # 5 new variants: 3 and 2
        assert here == [] and [w.batches for w in scheduler.workers] == [1, 1]
        assert text == fresh.compute_json([("versnelling", values)])[0]
        for gone, moved in ((1, 0.78), (2, 0.79)):
            dead = scheduler.workers[0]
            dead._process.kill()
            dead._process.join()
            again = {**values, "ownership": moved}
            assert scheduler.run("versnelling", again) == \
                fresh.compute_json([("versnelling", again)])[0]
            assert len(scheduler.workers) == 2 - gone
        assert here == [2]  # the last request (its world and current variant), here
    finally:
        scheduler.close()


@pytest.mark.parametrize("key", ["ownership", "purpose", "eu_regulation",
                                 "cross_impact_strength", "transition_years",
                                 "lever_efficacy", *STUDY.lever_labels])
def test_every_slider_moves_the_charts(model, key):
    """Each slider, moved to the far end of its range, shifts some 2030 median by > 0.01."""
    slider = model.by_key[key]
    default = model.defaults["radicale_markten"][key]
    far = slider.high if default - slider.low < slider.high - default else slider.low
    if key == "lever_efficacy":  # it scales lever changes from the 2021 reference only
        moved = {"ai_investment": 1.0}
        ref = model.compute("radicale_markten", model.check("radicale_markten", moved))
        data = model.compute("radicale_markten",
                             model.check("radicale_markten", {**moved, key: far}))
        shift = max(abs(b["current"]["median"][-1] - r["current"]["median"][-1])
                    for group in ("trends", "areas")
                    for b, r in zip(data[group].values(), ref[group].values()))
        assert shift > 0.01
        return
    data = model.compute("radicale_markten", model.check("radicale_markten", {key: far}))
    shift = max(abs(b["current"]["median"][-1] - b["baseline"]["median"][-1])
                for b in (*data["trends"].values(), *data["areas"].values()))
    assert shift > 0.01


def test_chart_data_shape_and_bounds(model):
    data = model.compute("voorwaardelijke_groei", model.check("voorwaardelijke_groei", MOVED))
    n_times = len(model.times)
    assert list(data["trends"]) == list(STUDY.trend_labels)
    assert list(data["areas"]) == list(STUDY.area_labels)
    for block in data["trends"].values():
        for variant, series in block.items():
            for name, values in series.items():
                assert len(values) == n_times, (variant, name)
                assert all(0.0 <= v <= 1.0 for v in values)  # (0, 1), rounded to 4 decimals
        cur = block["current"]
        assert all(lo <= md <= hi for lo, md, hi in zip(cur["low"], cur["median"], cur["high"]))
    assert set(data["futures"]) == set(STUDY.future_labels)
    for per_variant in data["futures"].values():
        assert all(math.isfinite(v) for d in per_variant.values() for v in d.values())


@pytest.mark.parametrize(("future", "settings", "key"), [
    ("versneling", {}, "future"),
    (3, {}, "future"),
    ("versnelling", [], "settings"),
    ("versnelling", {"ownership": 1.5}, "settings.ownership"),
    ("versnelling", {"ownership": -0.01}, "settings.ownership"),
    ("versnelling", {"ownership": "0.5"}, "settings.ownership"),
    ("versnelling", {"ownership": True}, "settings.ownership"),
    ("versnelling", {"ownership": float("nan")}, "settings.ownership"),
    ("versnelling", {"transition_years": 0.5}, "settings.transition_years"),
    ("versnelling", {"ai_invest": 0.5}, "settings.ai_invest"),
    ("versnelling", {"_target_": "os.system"}, "settings._target_"),
])
def test_check_rejects_bad_requests(model, future, settings, key):
    with pytest.raises(ConfigError) as info:
        model.check(future, settings)
    assert info.value.key == key


# ------------------------------------------------------------------ the export


def _current_levels(model: Workshop, label: str, values: dict[str, float]) -> np.ndarray:
    """The page's current scenario of ``label``: levels (T, n, M), unrounded."""
    _, current, factors = model.scenario(label, values)
    rows = list(range(len(current)))
    out = model._run(current, model.members_of(rows, [factors] * len(rows)))
    return out.levels[model.labels.index(label)]


def _run_outcomes(path: Path, keep: np.ndarray) -> np.ndarray:
    """The run's levels (T, n, M) at the time points the page draws."""
    with xr.open_dataset(path / "outcomes.nc", engine="h5netcdf") as ds:
        assert ds.attrs["events"] == "disabled"
        return ds.level.isel(future=0, time=keep).transpose("time", "trend", "member").values


def test_exported_override_line_runs_and_reproduces_the_page(model, tmp_path):
    label = "voorwaardelijke_groei"
    values = model.check(label, MOVED)
    line = override_line(model.spec, STARTUP, label, values, model.defaults[label])
    assert line.startswith("futures run ")
    assert "future.voorwaardelijke_groei.levers.ai_investment=0.9" in line
    out = tmp_path / "run"
    bin_dir = Path(sys.executable).parent
    # through a real shell, as a strategist pastes it: the quoting must survive bash
    shell = f"{line} ensemble.members={model.members} hydra.run.dir={shlex.quote(str(out))}"
    result = subprocess.run(["bash", "-c", shell], check=False, capture_output=True, text=True,
                            timeout=300, env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    np.testing.assert_allclose(_run_outcomes(out, model.keep), _current_levels(model, label, values),
                               rtol=1e-5, atol=1e-6)


def _yaml_by_omegaconf(spec, startup: list[str], label: str, values, defaults) -> str:
    """The oracle: the export's YAML built wholly by OmegaConf, as ``futures run`` merges."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from scenarios.workshop.export import setting_overrides

    node = OmegaConf.create({"defaults": ["config", "_self_"]})
    for o in OverridesParser.create().parse_overrides(startup):
        if not o.is_delete() and not o.key_or_group.startswith(("seed", "events.", "futures")):
            OmegaConf.update(node, o.key_or_group, o.value(), merge=True, force_add=True)
    for key, value in [("seed", spec.seed), ("futures", [label]), ("events.enabled", False),
                       ("ensemble.kernel", "numpy"),
                       *setting_overrides(spec, label, values, defaults).items()]:
        OmegaConf.update(node, key, value, merge=True, force_add=True)
    return OmegaConf.to_yaml(node)


@pytest.mark.parametrize("startup", [
    [], STARTUP,
    ["uncertainties.cross_impact_strength.low=0.7", "uncertainties.lever_efficacy.distribution=uniform",
     "future.radicale_markten.levers.connectivity=0.2",
     "future.radicale_markten.ownership=0.1", "~levers.digital_skills"],
])
def test_exported_yaml_is_the_text_omegaconf_writes(model, startup):
    """The YAML, built from a per-session base and plain dicts, is OmegaConf's text."""
    label = "radicale_markten"
    for moved in ({}, MOVED, {"lever_efficacy": 1.5, "connectivity": 0.9, "ownership": 0.3}):
        values = model.check(label, moved)
        text = config_yaml(model.spec, startup, label, values, model.defaults[label])
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        oracle = _yaml_by_omegaconf(model.spec, startup, label, values, model.defaults[label])
        assert body + "\n" == oracle
        assert ("~levers.digital_skills" in text) == ("~levers.digital_skills" in startup)


def test_exported_yaml_runs_and_reproduces_the_page(model, tmp_path, cli):
    label = "radicale_markten"
    values = model.check(label, {**MOVED, "ownership": 0.9, "connectivity": 1.0})
    text = config_yaml(model.spec, STARTUP, label, values, model.defaults[label])
    assert text.startswith("# futures workshop export (futures ")
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "session.yaml").write_text(text)
    out = tmp_path / "run"
    result = cli("run", "--config-dir", str(folder), "--config-name", "session",
                 f"ensemble.members={model.members}", f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(_run_outcomes(out, model.keep), _current_levels(model, label, values),
                               rtol=1e-5, atol=1e-6)


def test_export_names_only_what_moved(model):
    label = "versnelling"
    line = override_line(model.spec, STARTUP, label, model.check(label, {}),
                         model.defaults[label])
    assert line == ("futures run cross_impact.mega_ecosystemen.decentralisering=-0.3 seed=11 "
                    "'futures=[versnelling]' events.enabled=false ensemble.kernel=numpy")


def test_workshop_kernel_resolves_auto_and_refuses_a_missing_numba(monkeypatch):
    """``auto`` is numba where it is installed, else numpy; ``numba`` without numba is one
    ConfigError naming the key; the session simulates with the kernel named."""
    for installed, auto in ((True, "numba"), (False, "numpy")):
        monkeypatch.setattr(compiled, "available", lambda installed=installed: installed)
        assert server_module.kernel_of("auto") == auto
        assert server_module.kernel_of("numpy") == "numpy"
    with pytest.raises(ConfigError) as info:
        server_module.kernel_of("numba")
    assert info.value.key == "workshop.kernel" and "not installed" in str(info.value)


@pytest.mark.skipif(not compiled.available(), reason="numba is not installed")
def test_the_numba_page_exports_its_kernel_and_the_run_reproduces_it(model, tmp_path):
    """With workshop.kernel=numba the page's numbers are numpy's to far below the charts'
    rounding, and its exported line (ensemble.kernel=numba) reproduces them in futures run."""
    fast = Workshop(model.spec, model.members, kernel="numba")
    label = "gelijk_speelveld"
    values = model.check(label, MOVED)
    mine, theirs = fast.compute(label, values), model.compute(label, values)
    for group in ("trends", "areas"):
        for name, block in mine[group].items():
            for variant, series in block.items():
                for key, got in series.items():
                    np.testing.assert_allclose(got, theirs[group][name][variant][key],
                                               atol=2e-4)  # 4 decimals, one may round apart
    line = override_line(fast.spec, STARTUP, label, values, fast.defaults[label], "numba")
    assert shlex.split(line).count("ensemble.kernel=numba") == 1
    out = tmp_path / "run"
    shell = f"{line} ensemble.members={fast.members} hydra.run.dir={shlex.quote(str(out))}"
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(["bash", "-c", shell], check=False, capture_output=True, text=True,
                            timeout=300, env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(_run_outcomes(out, fast.keep), _current_levels(fast, label, values),
                               rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ the real server


def test_page_and_assets_are_served_with_a_strict_policy(server):
    for path, kind in (("/", "text/html"), ("/app.js", "text/javascript"),
                       ("/style.css", "text/css")):
        status, headers, body = request(server, "GET", path)
        assert status == 200 and headers["Content-Type"].startswith(kind), path
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert body
    _, _, page = request(server, "GET", "/")
    assert b"http" not in page.replace(b"http-equiv", b"")  # no external URL in the page


def test_server_binds_loopback_by_default(server):
    assert server.host == "127.0.0.1"
    assert "4 futures x 256 members" in server.first_line


def test_meta_lists_sliders_futures_and_colours(server):
    status, _, body = request(server, "GET", "/api/meta")
    meta = json.loads(body)
    assert status == 200
    assert [s["key"] for s in meta["sliders"]][:2] == ["ownership", "purpose"]
    assert {s["group"] for s in meta["sliders"]} == {"axis", "world", "lever"}
    assert {f["label"]: f["colour"] for f in meta["futures"]} == FUTURE_COLOURS
    assert meta["members"] >= 200 and meta["futures_version"] and meta["seed"] == 2021


def test_meta_gives_the_lever_costs_of_the_study(server):
    """The page's cost line: per-unit costs whose sums are what futures robustness counts."""
    meta = json.loads(request(server, "GET", "/api/meta")[2])
    costs = meta["costs"]
    _, spec = load([])
    levers = list(spec.world.levers)
    assert list(costs["levers"]) == levers and costs["budget"] == [280.0, 190.0, 420.0]
    assert costs["levers"]["ai_investment"]["per_unit"] == [170.0, 90.0, 260.0]  # 85/0.5
    assert costs["levers"]["ai_investment"]["reference"] == 0.5
    assert "L716-718" in costs["levers"]["ai_investment"]["source"]
    rng = np.random.default_rng(3)
    for values in rng.uniform(0, 1, (5, len(levers))):
        page = [sum(costs["levers"][lv]["per_unit"][i] * v for lv, v in zip(levers, values))
                for i in range(3)]
        np.testing.assert_allclose(page, cost_of(values, spec.study, levers,
                                                 spec.world.lever_reference), rtol=1e-12)


def test_no_costs_no_cost_line():
    _, spec = load([])
    bare = lever_costs(replace(spec, study=replace(spec.study, costs={})))
    assert bare["levers"] == {} and bare["budget"] == []


def test_run_answers_chart_data_and_the_same_bytes_twice(server):
    payload = {"future": "gelijk_speelveld", "settings": {"data_sharing": 0.9}}
    status, headers, body = run_api(server, payload)
    assert status == 200, body
    data = json.loads(body)
    assert set(data["trends"]["kwetsbaarheid"]) == {"baseline", "world", "current"}
    assert "future.gelijk_speelveld.levers.data_sharing=0.9" in data["export"]["overrides"]
    assert float(headers["Server-Timing"].split("dur=")[1].split(",")[0]) > 0
    assert run_api(server, payload)[2] == body  # same settings, same bytes


def test_the_same_settings_again_come_from_the_cache(server):
    payload = {"future": "radicale_markten", "settings": {"connectivity": 0.35, "purpose": 0.3}}
    status, first_headers, first = run_api(server, payload)
    assert status == 200 and 'cache;desc="miss"' in first_headers["Server-Timing"]
    # the same settings from another page, in another key order: answered from the cache
    again = {"future": "radicale_markten", "settings": {"purpose": 0.3, "connectivity": 0.35},
             "client": "another-page", "seq": 1}
    status, headers, body = run_api(server, again)
    assert status == 200 and 'cache;desc="hit"' in headers["Server-Timing"]
    assert body == first
    # one step away is computed, and differs
    payload["settings"]["connectivity"] = 0.4
    status, headers, body = run_api(server, payload)
    assert 'cache;desc="miss"' in headers["Server-Timing"] and body != first


def _post_raw(server, payload: dict) -> socket.socket:
    """Send a request without waiting for its answer."""
    sock = socket.create_connection((server.host, server.port), timeout=60)
    body = json.dumps(payload).encode()
    sock.sendall(b"POST /api/run HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json"
                 b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                 % (server.host.encode(), server.port, len(body), body))
    return sock


def _answer_of(sock: socket.socket) -> tuple[int, dict]:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    sock.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_latest_wins_a_page_gets_only_its_newest_request_computed(server):
    client = "page-latest-wins"

    def burst(attempt: int) -> list[tuple[int, dict]]:
        # a slow first request (every variant new: settings no other test or attempt uses),
        # then two newer ones at once
        years = 9.5 - 0.25 * attempt
        sent = [_post_raw(server, {"future": "versnelling", "client": client,
                                   "seq": 3 * attempt + seq,
                                   "settings": {"cross_impact_strength":
                                                [0.6, 0.65, 0.7][seq - 1],
                                                "transition_years": years}})
                for seq in (1, 2, 3)]
        return [_answer_of(sock) for sock in sent]

    # On a loaded machine the first request can be done before the third is sent; then the
    # second is computed in its turn. Latest-wins must show within three bursts.
    for attempt in range(3):
        answers = burst(attempt)
        assert answers[2][0] == 200 and answers[2][1]["settings"]["cross_impact_strength"] == 0.7
        # seq 1 was being computed (answered; the page draws it until seq 3 arrives), unless
        # it was still waiting when a newer one came
        assert answers[0][0] in (200, 409)
        if answers[1][0] == 409:
            break
        assert answers[1][0] == 200  # computed before the third arrived: never an error
    # seq 2 waited while seq 1 was computed, and seq 3 came: dropped without computing
    assert answers[1][0] == 409 and answers[1][1]["superseded"] is True
    assert answers[1][1]["latest"] == 3 * attempt + 3
    # an old request arriving after a newer one was seen is refused at once
    latest = 3 * attempt + 3
    status, _, body = run_api(server, {"future": "versnelling", "client": client,
                                       "seq": latest - 1, "settings": {}})
    assert status == 409 and json.loads(body) == {
        "error": f"seq={latest - 1}: superseded by seq={latest} of the same page",
        "superseded": True, "seq": latest - 1, "latest": latest}
    # other pages and requests without a client id are not affected
    status, _, body = run_api(server, {"future": "versnelling", "client": "page-other",
                                       "seq": 1, "settings": {}})
    assert status == 200
    assert run_api(server, {"future": "versnelling", "settings": {}})[0] == 200


def test_pages_at_once_are_answered_in_one_batch_with_their_own_numbers(server):
    payloads = [{"future": f, "client": f"batch-{i}", "seq": 1,
                 "settings": {"lever_efficacy": 1.25 + 0.05 * i, "ai_investment": 0.15}}
                for i, f in enumerate(["versnelling", "gelijk_speelveld", "radicale_markten"])]
    answers = [_answer_of(sock) for sock in [_post_raw(server, p) for p in payloads]]
    for (status, data), sent in zip(answers, payloads):
        assert status == 200
        assert data["future"] == sent["future"]
        assert data["settings"]["lever_efficacy"] == sent["settings"]["lever_efficacy"]
    # the same settings one at a time give the same numbers as in the batch
    for (_, data), sent in zip(answers, payloads):
        del sent["client"], sent["seq"]
        sent["settings"]["ai_investment"] = 0.15
        alone = json.loads(run_api(server, sent)[2])
        assert alone["trends"] == data["trends"] and alone["futures"] == data["futures"]


@pytest.mark.parametrize(("body", "headers", "needle"), [
    (b'{"future": "versnelling", "settings": {"ownership": 2}}', None, "settings.ownership=2"),
    (b'{"future": "versnelling", "settings": {"ownership": "high"}}', None,
     "settings.ownership='high'"),
    (b'{"future": "versnelling", "settings": {"ownership": NaN}}', None, "NaN"),
    (b'{"future": "versnelling", "settings": {"ownership": 1e999}}', None,
     "settings.ownership=inf"),
    (b'{"future": "versnelling", "settings": {"levers": 1}}', None, "unknown setting"),
    (b'{"future": "nowhere"}', None, "future='nowhere'"),
    (b'{"future": "versnelling", "extra": 1}', None, "body.extra"),
    (b'{"future": "versnelling", "client": "a b", "seq": 1}', None, "body.client='a b'"),
    (b'{"future": "versnelling", "client": "page", "seq": -1}', None, "body.seq=-1"),
    (b'{"future": "versnelling", "client": "page", "seq": true}', None, "body.seq=True"),
    (b'{"future": "versnelling", "seq": 4}', None, "body.seq=4"),
    (b'[1, 2]', None, "expected a JSON object"),
    (b'{"future": ', None, "expected JSON"),
    (b'\xff\xfe', None, "expected JSON"),
    (b'{"future": "versnelling"}', {"Content-Type": "text/plain"}, "Content-Type"),
    (b'x' * 20_000, None, "Content-Length=20000"),
])
def test_bad_requests_get_400_naming_key_and_value(server, body, headers, needle):
    status, _, answer = request(server, "POST", "/api/run", body,
                                headers or {"Content-Type": "application/json"})
    assert status == 400
    assert needle in json.loads(answer)["error"]


@pytest.mark.parametrize("path", [
    "/../pyproject.toml", "/%2e%2e/pyproject.toml", "/..%2fpyproject.toml",
    "/scenarios/workshop/server.py", "/workshop_assets/app.js", "//etc/passwd",
    "/app.js/../../pyproject.toml", "/index.html", "/.git/config", "/api/../README.md",
])
def test_no_file_beyond_the_assets(server, path):
    status, _, body = request(server, "GET", path)
    assert status == 404
    assert b"[project]" not in body and b"root:" not in body


def test_wrong_host_method_and_query_are_refused(server):
    status, _, body = request(server, "GET", "/api/meta", headers={"Host": "evil.example"})
    assert status == 400 and "Host" in json.loads(body)["error"]
    status, _, body = request(server, "GET", "/api/meta?file=/etc/passwd")
    assert status == 400 and "query" in json.loads(body)["error"]
    assert request(server, "PUT", "/api/run", b"{}")[0] == 405
    assert request(server, "GET", "/api/run")[0] == 405
    assert request(server, "POST", "/app.js", b"{}",
                   {"Content-Type": "application/json"})[0] == 405


def test_ctrl_c_stops_the_server_cleanly():
    running = start("workshop.members=16")
    status, _, _ = request(running, "GET", "/api/meta")
    assert status == 200
    code, out, err = running.stop(signal.SIGINT)
    assert code == 0, err
    assert "stopped" in out and "Traceback" not in err
    with pytest.raises(OSError):
        socket.create_connection((running.host, running.port), timeout=2).close()


# ------------------------------------------------------------------ command-line errors


@pytest.mark.parametrize(("args", "needle"), [
    (["--port", "http"], "--port='http': expected an integer in [0, 65535]"),
    (["--port=70000"], "--port='70000'"),
    (["--host", "example.com"], "--host='example.com': expected an IP address"),
    (["--verbose"], "option='--verbose': not known"),
    (["workshop.members=0"], "workshop.members=0: expected an integer >= 1"),
    (["workshop.lang=de"], "workshop.lang='de': language not found"),
    (["workshop.kernel=fortran"],
     "workshop.kernel='fortran': kernel not found; expected one of ['auto', 'numpy', 'numba']"),
    (["futures=[versneling]"], "futures='versneling'"),
    (["+future.evil={_target_:os.system,ownership:0.5}"], "future.evil._target_"),
])
def test_bad_command_lines_give_one_line_and_status_2(cli, args, needle):
    result = cli("workshop", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("futures: error: ")
    assert needle in result.stderr
    assert result.stdout == ""


def test_a_busy_port_gives_one_line_and_status_2(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("workshop", "--port", str(port), "workshop.members=8")
    assert result.returncode == 2
    assert f"--port={port}: cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_names_the_options(cli):
    result = cli("workshop", "--help")
    assert result.returncode == 0 and "--port N" in result.stdout and "--host" in result.stdout
    assert "workshop [--port N]" in cli("--help").stdout
