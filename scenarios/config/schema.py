"""Typed configuration: the one declared schema of every config node, and its validation.

The dataclasses below are the schema. Hydra composes ``conf/`` into a ``DictConfig`` checked
against :class:`Config` (registered in Hydra's ConfigStore as ``futures_schema``: types);
each field also declares its check (:mod:`scenarios.config.declare`: ranges, choices), and
:func:`validate` walks the same dataclasses (unknown keys, declared checks), then checks
what depends on the study's labels (matrices, futures, uncertainties: the labels come from
:mod:`scenarios.config.study`) and turns the config into plain :mod:`models` objects.
Every problem raises :class:`scenarios.config.errors.ConfigError` naming the key, the bad value and
what is allowed. No ``_target_`` instantiation: user YAML never imports or calls code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from models.compiled import KERNELS, available
from models.ensemble import (
    LEVEL_FLOOR,
    MOMENTUM,
    Future,
    World,
    open_bounds,
    parameters,
    structural_names,
    structural_nominals,
)
from models.events import EventModel
from models.sampling import DESIGNS, DISTRIBUTIONS, Uncertainty
from scenarios.config.analyses import (
    CalibrateConfig,
    DiscoverConfig,
    PlaneConfig,
    PortfolioConfig,
    RobustnessConfig,
    SensitivityConfig,
    SignpostsConfig,
    ValidateConfig,
)
from scenarios.config.checks import expect, label, mapping, number
from scenarios.config.declare import (
    after,
    between,
    boolean,
    checked,
    declared,
    multiple_of,
    number_in,
    one_of,
)
from scenarios.config.levers import lever_response, lever_uncertainties
from scenarios.config.study import Study, default_study, study_node, study_of


def relative(world: World) -> set[str]:
    """Uncertainties drawn as offsets around the nominal value in the config (initial.yaml,
    cross_impact.yaml momentum and every structural entry ``A.*`` / ``W.*`` of
    cross_impact.yaml and impacts.yaml, drivers.yaml), so their ranges follow edits of the
    nominal."""
    trends = world.trends
    return {f"initial.{t}" for t in trends} | {f"momentum.{t}" for t in trends} | \
        {"transition_years"} | set(structural_names(world))


#: Largest allowed magnitude of a cross-impact entry or loading, per year. KSIM stays
#: bounded for any value; this catches typos (e.g. 30 for 0.30).
MAX_IMPACT = 5.0
PRECISIONS = ("float32", "float64")
BACKENDS = ("local", "dask")
#: ``workshop.kernel``: ``auto`` is numba where it is installed, else numpy.
WORKSHOP_KERNELS = ("auto", "numpy", "numba")
FORMATS = ("netcdf", "zarr")
#: ``output.store``: every member (outcomes.nc / .zarr) or streamed statistics (summary.nc).
STORES = ("members", "summary")


#: Address schemes of a dask.distributed scheduler this program connects to.
SCHEDULER_SCHEMES = ("tcp", "tls")
#: Largest seed: it is stored as a 64-bit signed integer attribute of every output.
MAX_SEED = 2**63 - 1


def _address(key: str, value: Any, _: Mapping[str, Any]) -> Any:
    allowed = ("expected null (a local cluster) or an address like tcp://host:8786 "
               f"(schemes {list(SCHEDULER_SCHEMES)})")
    expect(value is None or (isinstance(value, str) and "://" in value), key, value, allowed)
    if value is not None:
        scheme, _, rest = value.partition("://")
        host, _, port = rest.rpartition(":")
        expect(scheme in SCHEDULER_SCHEMES and bool(host) and port.isdigit() and
               0 < int(port) < 65536, key, value, allowed)
    return value


def _kernel(key: str, value: Any, _: Mapping[str, Any]) -> Any:
    label(key, value, KERNELS, "kernel")
    expect(value != "numba" or available(), key, value,
           "numba is not installed: pip install 'futures-nl[fast]', or ensemble.kernel=numpy")
    return value


@dataclass
class EnsembleConfig:
    """``ensemble``: how many members, how they are drawn, how they are computed."""

    members: int = declared(1000, between(1, 10_000_000))
    design: str = declared("latin_hypercube", one_of(DESIGNS, "design"))
    nominal: bool = declared(False, boolean())
    prior: bool = declared(False, boolean())
    threads: int = declared(2, between(1, 256))
    chunk: int = declared(1024, between(8), multiple_of(8))
    batch: int = declared(8192, between(1), multiple_of("chunk"))
    backend: str = declared("local", one_of(BACKENDS, "backend"))
    scheduler: Optional[str] = declared(None, _address)  # noqa: UP045 - OmegaConf reads typing.Optional
    workers: int = declared(2, between(1, 1024))
    kernel: str = declared("numpy", _kernel)


@dataclass
class TimeConfig:
    """``time``: the simulated period in decimal years and the step length."""

    start: float = declared(2021.0, number_in(1900, 2200))
    end: float = declared(2030.0, after("start", 2200))
    steps_per_year: int = declared(12, between(1, 365))


@dataclass
class OutputConfig:
    """``output``: storage precision and compression of ``outcomes.nc``."""

    precision: str = declared("float32", one_of(PRECISIONS, "precision"))
    compression: int = declared(0, between(0, 9))
    format: str = declared("netcdf", one_of(FORMATS, "format"))
    store: str = declared("members", one_of(STORES, "store"))


@dataclass
class FutureConfig:
    """``future.<label>``: a point on the two axes plus named overrides."""

    ownership: float = 0.5
    purpose: float = 0.5
    drivers: dict[str, float] = field(default_factory=dict)
    levers: dict[str, float] = field(default_factory=dict)
    description: str = ""


@dataclass
class DriversConfig:
    """``drivers``: the 2021 status quo and how fast the futures take hold."""

    status_quo: dict[str, float] = field(default_factory=dict)
    transition_years: float = 5.0


@dataclass
class ImpactsConfig:
    """``impacts``: signed weights of trends, drivers and levers per area."""

    trends: dict[str, dict[str, float]] = field(default_factory=dict)
    drivers: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class WorkshopConfig:
    """``workshop``: the live page of ``futures workshop`` (checked by scenarios.workshop.server)."""

    members: int = 256
    host: str = "127.0.0.1"
    port: int = 8050
    lang: str = "en"
    kernel: str = declared("auto", one_of(WORKSHOP_KERNELS, "kernel"))


@dataclass
class SweepConfig:
    """``sweep``: limits of ``futures run -m`` (checked before any job starts)."""

    max_jobs: int = declared(10_000, between(1, 10_000_000))


@dataclass
class Config:
    """The whole configuration of ``futures run``."""

    seed: int = declared(2021, between(0, MAX_SEED))
    resume: bool = False
    futures: list[str] = field(default_factory=list)  # the study sets its futures
    ensemble: EnsembleConfig = field(default_factory=EnsembleConfig)
    time: TimeConfig = field(default_factory=TimeConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    future: dict[str, Any] = field(default_factory=dict)  # label -> FutureConfig fields
    initial: dict[str, float] = field(default_factory=dict)
    cross_impact: dict[str, Any] = field(default_factory=dict)
    drivers: DriversConfig = field(default_factory=DriversConfig)
    levers: dict[str, float] = field(default_factory=dict)
    lever_response: dict[str, Any] = field(default_factory=dict)  # scenarios.config.levers
    impacts: ImpactsConfig = field(default_factory=ImpactsConfig)
    uncertainties: dict[str, Any] = field(default_factory=dict)
    events: dict[str, Any] = field(default_factory=dict)
    workshop: WorkshopConfig = field(default_factory=WorkshopConfig)
    sensitivity: SensitivityConfig = field(default_factory=SensitivityConfig)
    calibrate: CalibrateConfig = field(default_factory=CalibrateConfig)
    signposts: SignpostsConfig = field(default_factory=SignpostsConfig)
    robustness: RobustnessConfig = field(default_factory=RobustnessConfig)
    plane: PlaneConfig = field(default_factory=PlaneConfig)
    portfolio: PortfolioConfig = field(default_factory=PortfolioConfig)
    discover: DiscoverConfig = field(default_factory=DiscoverConfig)
    validate: ValidateConfig = field(default_factory=ValidateConfig)
    sweep: SweepConfig = field(default_factory=SweepConfig)
    study: dict[str, Any] = field(default_factory=dict)  # checked by scenarios.config.study


@dataclass(frozen=True)
class RunSpec:
    """A validated configuration as plain model objects."""

    world: World
    futures: list[Future]
    uncertainties: list[Uncertainty]
    members: int
    design: str
    nominal: bool
    seed: int
    threads: int
    chunk: int
    precision: str
    compression: int
    events: EventModel | None = None
    batch: int = 8192
    backend: str = "local"
    scheduler: str | None = None
    workers: int = 2
    format: str = "netcdf"
    store: str = "members"
    study: Study = field(default_factory=default_study)
    #: ``ensemble.prior``: draw the members from the prior (the uncertainties as configured)
    #: instead of the study's stored posterior (scenarios.engine.seeds).
    prior: bool = False
    #: The sampled lever-response entries (``L.*``, scenarios.config.levers): drawn beside
    #: :attr:`uncertainties` under their own name, never from the posterior.
    lever_uncertainties: list[Uncertainty] = field(default_factory=list)
    #: ``ensemble.kernel``: ``numpy`` (the default) or ``numba`` (models.compiled).
    kernel: str = "numpy"


def _matrix(key: str, node: Mapping[str, Any], rows: tuple[str, ...],
            cols: tuple[str, ...], bound: float) -> np.ndarray:
    """Read a signed matrix given as ``row: {col: value}`` or ``row: [value, ...]``."""
    out = np.zeros((len(rows), len(cols)))
    for row, entries in mapping(key, node).items():
        i = rows.index(label(f"{key}.{row}", row, rows, "row label"))
        if isinstance(entries, (list, tuple)):
            expect(len(entries) == len(cols), f"{key}.{row}", list(entries),
                    f"a row given as a list needs {len(cols)} entries, one per column "
                    f"{list(cols)}")
            items = list(zip(cols, entries))
        else:
            items = list(mapping(f"{key}.{row}", entries).items())
        for col, value in items:
            j = cols.index(label(f"{key}.{row}.{col}", col, cols, "column label"))
            out[i, j] = number(f"{key}.{row}.{col}", value, -bound, bound)
    return out


def _uncertainties(node: Mapping[str, Any], world: World) -> list[Uncertainty]:
    """Flatten ``uncertainties`` (nested like ``initial: {trend: {low, high}}``)."""
    leaves: list[tuple[str, Mapping[str, Any]]] = []

    def walk(prefix: str, value: Any) -> None:
        entry = mapping(f"uncertainties.{prefix}" if prefix else "uncertainties", value)
        if "low" in entry or "high" in entry:
            leaves.append((prefix, entry))
            return
        for k, v in entry.items():
            walk(f"{prefix}.{k}" if prefix else str(k), v)

    walk("", node)
    known = parameters(world)
    names, rel = tuple(known), relative(world)
    momentum = world.drivers.index(MOMENTUM)
    nominals = {"cross_impact_strength": 1.0, "transition_years": world.transition_years,
                "ownership_shift": 0.0, "purpose_shift": 0.0, "lever_efficacy": 1.0}
    for i, t in enumerate(world.trends):
        nominals[f"initial.{t}"] = float(world.initial[i])
        nominals[f"momentum.{t}"] = float(world.driver_loadings[i, momentum])
    nominals.update(structural_nominals(world))
    out = []
    for name, entry in leaves:
        key = f"uncertainties.{name}"
        plain = [n for n in names if n[:2] not in ("A.", "W.", "L.")]
        expect(name in known and not name.startswith("L."), key, name,
               f"uncertain parameter not found; expected one of {plain} or "
               "A.<trend>.<impactor>, W.<area>.<impactor> (conf/structural.yaml); the L.* "
               "parameters come from lever_response (its low and high, lever_response.sampled)")
        extra = sorted(set(entry) - {"low", "high", "distribution"})
        expect(not extra, f"{key}.{extra[0] if extra else ''}", "...",
                "unknown field; expected low, high, distribution")
        is_rel = name in rel
        _, _, lo, hi = known[name]
        span = hi - lo
        low = number(f"{key}.low", entry.get("low"), -span if is_rel else lo,
                      span if is_rel else hi)
        high = number(f"{key}.high", entry.get("high"), -span if is_rel else lo,
                       span if is_rel else hi)
        expect(low < high, f"{key}.high", high, f"must be greater than low={low}")
        dist = label(f"{key}.distribution", entry.get("distribution", "uniform"),
                      DISTRIBUTIONS, "distribution")
        mode = 0.0 if is_rel else nominals[name]
        if dist == "triangular":
            expect(low <= mode <= high, key, f"[{low}, {high}]",
                    f"a triangular distribution needs its mode {mode} inside the range")
        u = Uncertainty(name, low, high, nominals[name], dist, is_rel)
        first, last = u.bounds
        is_open = name in open_bounds(world.trends)
        inside = (first > lo if is_open else first >= lo) and (last < hi if is_open else last <= hi)
        where = f"nominal {nominals[name]} + [{low}, {high}]" if is_rel else f"[{low}, {high}]"
        bounds = f"{'(' if is_open else '['}{lo}, {hi}{')' if is_open else ']'}"
        expect(inside, key, where, f"draws would leave {bounds}; narrow the range")
        out.append(u)
    return out


def _future(future_label: str, node: object, study: Study) -> Future:
    """Check one ``future.<label>`` node (every defined future, run or not)."""
    key = f"future.{future_label}"
    f = mapping(key, node)
    checked(f"{key}.", f, FutureConfig)
    over = mapping(f"{key}.drivers", f.get("drivers", {}))
    for name in over:
        label(f"{key}.drivers.{name}", name,
               study.other_drivers,
               "driver override (axis drivers follow ownership and purpose)")
    expect(not isinstance(f.get("description", ""), (list, tuple, Mapping)), f"{key}.description",
           f.get("description"), "expected text (quote it: 'a, b'), not a list or map")
    lev = mapping(f"{key}.levers", f.get("levers", {}))
    for name in lev:
        label(f"{key}.levers.{name}", name, study.lever_labels, "lever")
    return Future(
        label=future_label,
        ownership=number(f"{key}.ownership", f.get("ownership", 0.5), 0.0, 1.0),
        purpose=number(f"{key}.purpose", f.get("purpose", 0.5), 0.0, 1.0),
        drivers={k: number(f"{key}.drivers.{k}", v, 0.0, 1.0) for k, v in over.items()},
        levers={k: number(f"{key}.levers.{k}", v, 0.0, 1.0) for k, v in lev.items()})


def validate(cfg: Mapping[str, Any]) -> RunSpec:  # long: one pass in key order (item 4 replaces it)
    """Check a composed configuration and turn it into model objects.

    Parameters
    ----------
    cfg : mapping
        The resolved configuration as plain containers (``OmegaConf.to_container``).

    Returns
    -------
    RunSpec

    Raises
    ------
    ConfigError
        On the first problem, naming the key, the bad value and what is allowed.
    """
    values = checked("", cfg, Config)  # unknown keys and every declared check
    study = study_of(study_node(cfg))
    trends, drivers, levers = study.trend_labels, study.driver_labels, study.lever_labels
    seed = values["seed"]
    ens, out, tm = values["ensemble"], values["output"], values["time"]
    members, design = ens["members"], ens["design"]
    if design == "sobol":
        expect(members & (members - 1) == 0, "ensemble.members", members,
               "the sobol design needs a power of two (e.g. 1024)")
    threads, chunk, batch = ens["threads"], ens["chunk"], ens["batch"]
    backend, scheduler, workers = ens["backend"], ens["scheduler"], ens["workers"]
    precision, compression, fmt = out["precision"], out["compression"], out["format"]
    expect(backend != "dask" or fmt == "zarr", "ensemble.backend", backend,
           "dask streams its chunks to zarr; use output.format=zarr (picked for you "
           "when output.format is not given)")
    store = out.get("store", "members")
    expect(store == "members" or (backend == "local" and fmt == "netcdf"), "output.store",
           store, "a summary is streamed in this process into summary.nc; use it with "
           "ensemble.backend=local and output.format=netcdf")
    start, end, spy = tm["start"], tm["end"], tm["steps_per_year"]

    initial_node = mapping("initial", cfg["initial"])
    missing = [t for t in trends if t not in initial_node]
    expect(not missing, f"initial.{missing[0] if missing else ''}", "missing",
            "every trend needs a 2021 level in (0, 1)")
    for key in initial_node:
        label(f"initial.{key}", key, trends, "trend")
    initial = np.array([number(f"initial.{t}", initial_node[t], 0.0, 1.0, open_low=True,
                                open_high=True) for t in trends])

    matrix = _matrix("cross_impact", cfg["cross_impact"], trends, study.columns(),
                     MAX_IMPACT)
    n_t, n_d = len(trends), len(drivers)

    dcfg = cfg["drivers"]
    sq_node = mapping("drivers.status_quo", dcfg["status_quo"])
    sq_allowed = ("ownership", "purpose") + study.other_drivers
    for key in sq_node:
        label(f"drivers.status_quo.{key}", key, sq_allowed, "status-quo driver")
    sq = {k: number(f"drivers.status_quo.{k}", v, 0.0, 1.0) for k, v in sq_node.items()}
    own0, pur0 = sq.get("ownership", 0.5), sq.get("purpose", 0.5)
    (own_low, own_high), (pur_low, pur_high) = ((a.low, a.high) for a in study.axes)
    axis = {own_low: 1 - own0, own_high: own0, pur_low: 1 - pur0, pur_high: pur0,
            MOMENTUM: 1.0}
    status_quo = np.array([axis.get(d, sq.get(d, 0.0)) for d in drivers])
    transition = number("drivers.transition_years", dcfg["transition_years"], 0.05, 50.0)

    lever_node = mapping("levers", cfg["levers"])
    for key in lever_node:
        label(f"levers.{key}", key, levers, "lever")
    lever_ref = np.array([number(f"levers.{lv}", lever_node.get(lv, 0.0), 0.0, 1.0)
                          for lv in levers])

    icfg = cfg["impacts"]
    areas = study.area_labels
    w_trend = _matrix("impacts.trends", icfg["trends"], areas, trends, MAX_IMPACT)
    w_other = _matrix("impacts.drivers", icfg["drivers"], areas, drivers + levers, MAX_IMPACT)
    for a, area in enumerate(areas):  # levers act through the trends (issue 16 item 2)
        k = int(np.flatnonzero(w_other[a, len(drivers):])[0]) if w_other[a, len(drivers):].any() \
            else -1
        expect(k < 0, f"impacts.drivers.{area}.{levers[k]}", float(w_other[a, len(drivers) + k]),
               "a lever has no direct weight on an area: it acts through the trends "
               "(cross_impact.yaml, lever_response.yaml)")

    world = World(
        trend_matrix=matrix[:, :n_t], driver_loadings=matrix[:, n_t:n_t + n_d],
        lever_loadings=matrix[:, n_t + n_d:], area_trend_weights=w_trend,
        area_driver_weights=w_other[:, :n_d], area_lever_weights=w_other[:, n_d:],
        initial=initial, status_quo=status_quo, lever_reference=lever_ref,
        transition_years=transition, start=start, end=end, steps_per_year=spy,
        trends=trends, drivers=drivers, levers=levers, areas=areas,
        axes=tuple((a.low, a.high) for a in study.axes), floor=LEVEL_FLOOR,
        response=lever_response(cfg.get("lever_response"), levers, trends, drivers))

    defined = mapping("future", cfg["future"])
    for name in defined:  # labels become coordinates, file names and page ids: keep them plain
        expect(isinstance(name, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name)
               is not None, f"future.{name}", name, "a future label is 1-40 characters: "
               "a lower-case letter, then lower-case letters, digits or _")
    for name in study.future_labels:
        expect(name in defined, f"future.{name}", "missing", "every future of the study "
               "needs its point on the axes: future.<label>.ownership and .purpose in [0, 1]")
    chosen = cfg["futures"]
    expect(isinstance(chosen, (list, tuple)) and len(chosen) > 0, "futures", chosen,
            f"expected a non-empty list of future labels from {sorted(defined)}")
    for name in chosen:  # before the set below: a nested list is not a label
        expect(isinstance(name, str), "futures", name,
               f"expected a future label (text) from {sorted(defined)}, not a list or map")
    expect(len(set(chosen)) == len(chosen), "futures", chosen, "each future at most once")
    for name in chosen:
        label("futures", name, tuple(defined), "future")
    points = {str(name): _future(str(name), defined[name], study) for name in defined}
    futures = [points[str(name)] for name in chosen]

    uncertainties = _uncertainties(cfg["uncertainties"], world)
    nominal = ens["nominal"]
    from scenarios.config.events import build  # imports this module's helpers

    events = build(cfg.get("events", {}), world, futures, study.future_labels)
    return RunSpec(world=world, futures=futures, uncertainties=uncertainties, members=members,
                   design=design, nominal=bool(nominal), seed=seed, threads=threads,
                   chunk=chunk, precision=precision, compression=compression, events=events,
                   batch=batch, backend=backend, scheduler=scheduler, workers=workers,
                   format=fmt, study=study, store=store, prior=bool(ens["prior"]),
                   kernel=ens["kernel"],
                   lever_uncertainties=lever_uncertainties(cfg.get("lever_response"), levers,
                                                           trends, drivers))
