"""The one way into the model: :func:`simulate` runs a validated configuration (or part of
it) through :func:`models.ensemble.run`; :func:`to_dataset` labels a run as ``outcomes``.

Every command simulates through :func:`simulate` (``futures run`` and its batches, the
analyses, the workshop, the narrative fit), so the members and event draws of a future are
the same wherever it runs (:mod:`scenarios.engine.seeds`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from models.ensemble import Future, Outcome, World, parameters, run
from models.events import KINDS, EventModel
from scenarios.config.schema import RunSpec
from scenarios.engine.dataset import (
    AXES,
    coord,
    label_coords,
    member_coord,
    name_coordinates,
    position,
    provenance,
    var,
)
from scenarios.engine.seeds import draw_members, event_rngs, future_seed

__all__ = ["RAGGED", "draw_members", "event_rngs", "event_variables", "future_seed",
           "run_attrs", "simulate", "to_dataset"]

#: The event table: one row per stochastic event (dim ``event``), its length differing from
#: run to run.
RAGGED = ("event_future", "event_member", "event_time", "event_kind", "event_size")


def simulate(spec: RunSpec, *, futures: Sequence[Future] | None = None,
             members: Mapping[str, np.ndarray] | None = None, n_members: int | None = None,
             world: World | None = None, events: EventModel | bool | None = True,
             rngs: Sequence[np.random.SeedSequence] | None = None, member_start: int = 0,
             precision: str | None = None, chunk: int | None = None,
             threads: int | None = None, width: int | None = None,
             keep: np.ndarray | None = None, kernel: str | None = None
             ) -> tuple[Outcome, dict[str, np.ndarray]]:
    """Simulate futures of a run; every argument not given comes from ``spec``.

    Parameters
    ----------
    spec : RunSpec
        The validated run.
    futures : sequence of Future, optional
        F futures (default the run's); labels may repeat.
    members : mapping of str to ndarray (F, M), optional
        Sampled parameters (default: drawn under the futures' labels, :func:`draw_members`).
    n_members : int, optional
        M (default ``ensemble.members``).
    world : World, optional
        Another world than the run's (the narrative fit tries many).
    events : EventModel, bool or None
        ``True``: the run's events (if enabled); ``False``/``None``: the continuous model; an
        EventModel: that one (built for ``futures``).
    rngs : sequence of SeedSequence, optional
        Event seeds per future (default :func:`event_rngs` of the futures' labels).
    member_start, chunk, threads, width, keep, kernel :
        As :func:`models.ensemble.run`; ``chunk``, ``threads`` and ``kernel`` default to
        the run's (``ensemble.kernel``).
    precision : str, optional
        ``float32`` or ``float64`` storage of levels and impacts (default
        ``output.precision``).

    Returns
    -------
    Outcome
    dict of str to ndarray
        The members simulated.
    """
    chosen = list(spec.futures if futures is None else futures)
    n = spec.members if n_members is None else n_members
    labels = [f.label for f in chosen]
    drawn = draw_members(spec, labels, n) if members is None else dict(members)
    model = spec.events if events is True else (events or None)
    if model is not None and rngs is None:
        rngs = event_rngs(spec, labels)
    outcome = run(spec.world if world is None else world, chosen, drawn, n, events=model,
                  rngs=list(rngs) if model is not None and rngs is not None else None,
                  member_start=member_start,
                  out_dtype=np.dtype(precision or spec.precision).type,
                  chunk=spec.chunk if chunk is None else chunk,
                  threads=spec.threads if threads is None else threads, width=width,
                  keep=keep, kernel=spec.kernel if kernel is None else kernel)
    return outcome, drawn


def to_dataset(spec: RunSpec, outcome: Outcome, members: dict[str, np.ndarray],
               config_yaml: str) -> xr.Dataset:
    """Label a run as the ``outcomes.nc`` Dataset of README "The outcomes.nc contract".

    Returns
    -------
    xarray.Dataset
        dims ``future, member, time, trend, area, parameter, axis``; variables ``level``,
        ``impact``, ``sample`` and ``position``; attrs ``config``, ``seed``,
        ``futures_version``.
    """
    labels = [f.label for f in spec.futures]
    trends, areas = list(spec.world.trends), list(spec.world.areas)
    params = list(members)
    level = outcome.levels.transpose(0, 3, 1, 2)  # (F, M, T, n)
    impact = outcome.impacts.transpose(0, 3, 1, 2)
    sampled = np.stack([members[p] for p in params], axis=-1) if params else \
        np.empty((len(labels), spec.members, 0))
    known = parameters(spec.world)  # once: it builds ~150 entries (0.3 ms each call)
    names = name_coordinates({"future": labels, "trend": trends, "area": areas}, spec.study,
                             unknown="as written", long_names={"area": "impact area"})
    ds = xr.Dataset(
        data_vars={
            "level": var(("future", "member", "time", "trend"), np.ascontiguousarray(level),
                         "trend level: penetration in Dutch society (0 absent, 1 saturated)"),
            "impact": var(("future", "member", "time", "area"), np.ascontiguousarray(impact),
                          "impact index: weighted change since 2021 (positive is better)"),
            "sample": var(("future", "member", "parameter"), sampled,
                          "sampled value of each uncertain parameter per member",
                          "various (see parameter_units)"),
            "position": position(spec.futures, "position on the axes (ownership: 0 "
                                 "shareholder, 1 stakeholder; purpose: 0 economic growth, 1 "
                                 "broad welfare)"),
        },
        coords={
            **label_coords(future=labels),
            "member": member_coord(spec.members),
            "time": coord("time", outcome.times, "decimal year", "year"),
            **label_coords(trend=trends, area=areas, parameter=params, axis=AXES),
            **names,
            "parameter_units": coord("parameter", [known[p][1] for p in params],
                                     "units of the uncertain parameter"),
        },
        attrs=run_attrs(spec, config_yaml),
    )
    if outcome.events is not None:
        ds = ds.merge(event_variables(spec, outcome))
        ds.attrs["events_exhausted"] = outcome.events.exhausted
    ds.attrs["events"] = "enabled" if outcome.events is not None else "disabled"
    return ds


def run_attrs(spec: RunSpec, config_yaml: str, what: str = "") -> dict:
    """The provenance attributes of a run's dataset (``outcomes.nc``; ``summary.nc`` with
    ``what=" summary"``)."""
    return provenance(
        f"futures: Dutch digital transition to 2030, KSIM cross-impact ensemble{what}",
        spec.seed, config_yaml,
        source="NDS 2021, chapter 4 (Toekomstverkenning Digitalisering 2030)",
        model="KSIM cross-impact simulation (Kane 1972), see docs/model.md",
        after_seed={"ensemble_design": "nominal" if spec.nominal else spec.design})


def event_variables(spec: RunSpec, outcome: Outcome) -> xr.Dataset:
    """The events: a table of stochastic events (dim ``event``), the scheduled events per
    future (dim ``milestone``) and counts per future, member, year and kind."""
    log, model = outcome.events, spec.events
    assert log is not None and model is not None
    world, times = spec.world, outcome.times
    years = np.arange(int(np.floor(world.start)), int(np.ceil(world.end)))

    def year_index(step: np.ndarray) -> np.ndarray:
        # an event at step s happened during the month ending at times[s]
        year = np.floor(world.start + (np.maximum(step, 1) - 1) / world.steps_per_year)
        return np.clip(year.astype(int) - years[0], 0, len(years) - 1)

    counts = np.zeros((len(spec.futures), spec.members, len(years), len(KINDS)), np.uint16)
    np.add.at(counts, (log.future, log.member, year_index(log.step), log.kind), 1)
    names = [f"{ev.kind}:{ev.name}" for ev in model.scheduled]
    kinds_of = [ev.kind for ev in model.scheduled]
    for f in range(len(spec.futures)):
        for j, kind in enumerate(kinds_of):
            if log.scheduled_step[f, j] >= 0:
                counts[f, :, year_index(log.scheduled_step[f, j]), KINDS.index(kind)] += 1
    milestone_time = np.where(log.scheduled_step >= 0,
                              times[np.maximum(log.scheduled_step, 0)], np.nan)
    kinds = list(KINDS)
    return xr.Dataset(
        {
            "event_future": var("event", log.future.astype(np.int16),
                                "future of the event (index into future)"),
            "event_member": var("event", log.member.astype(np.int32),
                                "ensemble member of the event"),
            "event_time": var("event", times[log.step],
                              "decimal year at the end of the event's month", "year"),
            "event_kind": var("event", log.kind.astype(np.int8),
                              "kind of event (index into kind)",
                              flag_values=np.arange(len(kinds), dtype=np.int8),
                              flag_meanings=" ".join(kinds)),
            "event_size": var("event", log.size.astype(np.float32), "event severity"),
            "milestone_time": var(("future", "milestone"), milestone_time,
                                  "when the scheduled event happens (NaN: never)", "year"),
            "milestone_size": var(("future", "milestone"), log.scheduled_size,
                                  "step in eu_regulation (EU rules); 1 (elections)"),
            "policy_window_used": var(("future", "member", "milestone"),
                                      log.window_used.transpose(0, 2, 1).astype(np.uint8),
                                      "1 if the member's policy window was used "
                                      "(elections; always 1 for EU rules)"),
            "event_count": var(("future", "member", "year", "kind"), counts,
                               "number of events per calendar year"),
        },
        coords={
            "kind": coord("kind", kinds, "event kind"),
            "year": coord("year", years, "calendar year", "year"),
            "milestone": coord("milestone", names, "scheduled event (kind:name)"),
            "milestone_kind": coord("milestone", kinds_of, "kind of scheduled event"),
        },
    )
