"""Run a validated configuration: sample members per future, simulate, label the result."""

from __future__ import annotations

import zlib

import numpy as np
import xarray as xr

from models.ensemble import Outcome, parameters, run
from models.events import KINDS
from models.sampling import sample
from scenarios import __version__
from scenarios.config.schema import RunSpec

#: The event table: one row per stochastic event (dim ``event``), its length differing from
#: run to run.
RAGGED = ("event_future", "event_member", "event_time", "event_kind", "event_size")


def future_seed(seed: int, label: str) -> np.random.SeedSequence:
    """The seed sequence of one future, a child of the run's ``seed``.

    The child is keyed by the future's label (CRC-32), not by its position in the run, so a
    future draws the same members whichever other futures run beside it.
    """
    return np.random.SeedSequence(seed, spawn_key=(zlib.crc32(label.encode()),))


def event_rngs(spec: RunSpec) -> list[np.random.SeedSequence]:
    """One seed sequence per future for its events: a second child keyed by the label.

    :func:`models.events.draw_pools` spawns one generator per block of members from it, so
    any chunk of members draws the same events as the whole run.
    """
    return [np.random.SeedSequence(spec.seed, spawn_key=(zlib.crc32(f.label.encode()), 1))
            for f in spec.futures]


def draw_members(spec: RunSpec) -> dict[str, np.ndarray]:
    """Sample every uncertain parameter for every future: name -> array (F, M)."""
    names = [u.name for u in spec.uncertainties]
    out = {name: np.empty((len(spec.futures), spec.members)) for name in names}
    for i, fut in enumerate(spec.futures):
        if spec.nominal:
            for u in spec.uncertainties:
                out[u.name][i] = u.nominal
            continue
        rng = np.random.default_rng(future_seed(spec.seed, fut.label))
        for name, values in sample(spec.uncertainties, spec.members, spec.design,
                                   rng=rng).items():
            out[name][i] = values
    return out


def simulate(spec: RunSpec) -> tuple[Outcome, dict[str, np.ndarray]]:
    """Sample and simulate; returns the raw outcome and the sampled parameters."""
    members = draw_members(spec)
    outcome = run(spec.world, spec.futures, members, spec.members, events=spec.events,
                  rngs=event_rngs(spec) if spec.events is not None else None,
                  out_dtype=np.dtype(spec.precision).type, chunk=spec.chunk,
                  threads=spec.threads)
    return outcome, members


def _names(spec: RunSpec, labels: list[str], lang: str) -> list[str]:
    """Display names from the run's study; a label it does not name is kept as written."""
    return [spec.study.display(x, lang) if spec.study.lookup(x) else x for x in labels]


def to_dataset(spec: RunSpec, outcome: Outcome, members: dict[str, np.ndarray],
               config_yaml: str) -> xr.Dataset:
    """Label a run as the ``outcomes.nc`` Dataset of DESIGN.md section 4.

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
    ds = xr.Dataset(
        data_vars={
            "level": (("future", "member", "time", "trend"), np.ascontiguousarray(level), {
                "units": "1",
                "long_name": "trend level: penetration in Dutch society (0 absent, 1 saturated)",
            }),
            "impact": (("future", "member", "time", "area"), np.ascontiguousarray(impact), {
                "units": "1",
                "long_name": "impact index: weighted change since 2021 (positive is better)",
            }),
            "sample": (("future", "member", "parameter"), sampled, {
                "units": "various (see parameter_units)",
                "long_name": "sampled value of each uncertain parameter per member",
            }),
            "position": (("future", "axis"),
                         np.array([[f.ownership, f.purpose] for f in spec.futures]), {
                "units": "1",
                "long_name": "position on the axes (ownership: 0 shareholder, 1 stakeholder; "
                             "purpose: 0 economic growth, 1 broad welfare)",
            }),
        },
        coords={
            "future": ("future", labels, {"long_name": "future label"}),
            "member": ("member", np.arange(spec.members), {
                "units": "1", "long_name": "ensemble member"}),
            "time": ("time", outcome.times, {"units": "year", "long_name": "decimal year"}),
            "trend": ("trend", trends, {"long_name": "trend label"}),
            "area": ("area", areas, {"long_name": "impact area label"}),
            "parameter": ("parameter", params, {"long_name": "uncertain parameter"}),
            "axis": ("axis", ["ownership", "purpose"], {"long_name": "scenario axis"}),
            "future_name_nl": ("future", _names(spec, labels, "nl"),
                               {"long_name": "future name (Dutch)"}),
            "future_name_en": ("future", _names(spec, labels, "en"),
                               {"long_name": "future name (English)"}),
            "trend_name_nl": ("trend", _names(spec, trends, "nl"),
                              {"long_name": "trend name (Dutch)"}),
            "trend_name_en": ("trend", _names(spec, trends, "en"),
                              {"long_name": "trend name (English)"}),
            "area_name_nl": ("area", _names(spec, areas, "nl"),
                             {"long_name": "impact area name (Dutch)"}),
            "area_name_en": ("area", _names(spec, areas, "en"),
                             {"long_name": "impact area name (English)"}),
            "parameter_units": ("parameter", [parameters(spec.world.trends)[p][1] for p in params],
                                {"long_name": "units of the uncertain parameter"}),
        },
        attrs={
            "title": "futures: Dutch digital transition to 2030, KSIM cross-impact ensemble",
            "source": "NDS 2021, chapter 4 (Toekomstverkenning Digitalisering 2030)",
            "model": "KSIM cross-impact simulation (Kane 1972), see docs/model.md",
            "futures_version": __version__,
            "seed": spec.seed,
            "ensemble_design": "nominal" if spec.nominal else spec.design,
            "config": config_yaml,
        },
    )
    if outcome.events is not None:
        ds = ds.merge(event_variables(spec, outcome))
        ds.attrs["events_exhausted"] = outcome.events.exhausted
    ds.attrs["events"] = "enabled" if outcome.events is not None else "disabled"
    return ds


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
            "event_future": ("event", log.future.astype(np.int16), {
                "units": "1", "long_name": "future of the event (index into future)"}),
            "event_member": ("event", log.member.astype(np.int32), {
                "units": "1", "long_name": "ensemble member of the event"}),
            "event_time": ("event", times[log.step], {
                "units": "year", "long_name": "decimal year at the end of the event's month"}),
            "event_kind": ("event", log.kind.astype(np.int8), {
                "units": "1", "long_name": "kind of event (index into kind)",
                "flag_values": np.arange(len(kinds), dtype=np.int8),
                "flag_meanings": " ".join(kinds)}),
            "event_size": ("event", log.size.astype(np.float32), {
                "units": "1", "long_name": "event severity"}),
            "milestone_time": (("future", "milestone"), milestone_time, {
                "units": "year", "long_name": "when the scheduled event happens (NaN: never)"}),
            "milestone_size": (("future", "milestone"), log.scheduled_size, {
                "units": "1", "long_name": "step in eu_regulation (EU rules); 1 (elections)"}),
            "policy_window_used": (("future", "member", "milestone"),
                                   log.window_used.transpose(0, 2, 1).astype(np.uint8), {
                "units": "1", "long_name": "1 if the member's policy window was used "
                                           "(elections; always 1 for EU rules)"}),
            "event_count": (("future", "member", "year", "kind"), counts, {
                "units": "1", "long_name": "number of events per calendar year"}),
        },
        coords={
            "kind": ("kind", kinds, {"long_name": "event kind"}),
            "year": ("year", years, {"units": "year", "long_name": "calendar year"}),
            "milestone": ("milestone", names, {"long_name": "scheduled event (kind:name)"}),
            "milestone_kind": ("milestone", kinds_of, {"long_name": "kind of scheduled event"}),
        },
    )
